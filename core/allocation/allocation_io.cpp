// allocation.json: writing an Allocation and reading one back with checks.
#include "core/allocation/allocation_io.h"

#include <limits>
#include <set>
#include <utility>

#include "core/base/errors.h"
#include "core/base/json_fields.h"
#include "core/base/json_io.h"
#include "core/base/version.h"

namespace qs {

using nlohmann::json;

json toJson(const Allocation& a) {
    json layers = json::array();
    for (const LayerBits& l : a.layers)
        layers.push_back({{"name", l.name}, {"bits", l.bits}, {"params", l.params}, {"score", l.score},
                          {"included", l.included}});
    json j = {
        {"target_mb", a.targetMb},
        {"size_mb", a.sizeMb},
        {"float_size_mb", a.floatSizeMb},
        {"metric", metricName(a.metric)},
        {"order", orderName(a.order)},
        {"speaker", a.speaker},
        {"min_bits", a.minBits},
        {"spread", a.spread},
        {"split", a.split},
        {"average_bits", a.averageBits},
        {"compression_ratio", a.compressionRatio},
        {"layers", layers},
        {"written_by", writtenByJson()},
    };
    if (a.fitFiles)
        j["fit_files"] = {{"files_mb", a.filesMb}, {"granularity", granularityName(a.fileSize.granularity)},
                          {"group_size", a.fileSize.groupSize}};
    return j;
}

Allocation allocationFromJson(const json& j) { return allocationFromJson(JsonField(j, "the allocation")); }

// Besides types and ranges: unique layer names, and excluded layers at 32 bits (the export reads
// only the bits, so an excluded layer with fewer would be quantized against the file's own word).
Allocation allocationFromJson(const JsonField& j) {
    constexpr double kHuge = std::numeric_limits<double>::max();
    j.requireObject();
    Allocation a;
    a.targetMb = j["target_mb"].number(0, kHuge);
    if (!(a.targetMb > 0)) j["target_mb"].fail("is 0, expected a size in MB above 0");
    a.sizeMb = j["size_mb"].number(0, kHuge);
    auto choice = [&](const char* key, auto parse) {
        const JsonField f = j[key];
        try {
            return parse(f.string());
        } catch (const InputError& e) {
            f.fail(std::string("is not valid: ") + e.what());
        }
    };
    a.metric = choice("metric", parseMetric);
    a.order = choice("order", parseOrder);
    a.speaker = j["speaker"].nonEmptyString();
    if (j.has("min_bits")) a.minBits = int(j["min_bits"].integer(1, kFloatBits - 1));
    if (j.has("spread")) a.spread = int(j["spread"].integer(1, kFloatBits - 1));
    if (j.has("split")) a.split = j["split"].string();
    if (j.has("float_size_mb")) a.floatSizeMb = j["float_size_mb"].number(0, kHuge);
    if (j.has("average_bits")) a.averageBits = j["average_bits"].number(0, kFloatBits);
    if (j.has("compression_ratio")) a.compressionRatio = j["compression_ratio"].number(0, kHuge);

    if (j.has("fit_files")) {
        const JsonField f = j["fit_files"];
        f.requireObject();
        a.fitFiles = true;
        a.filesMb = f["files_mb"].number(0, kHuge);
        const JsonField g = f["granularity"];
        try {
            a.fileSize.granularity = parseGranularity(g.string());
        } catch (const InputError& e) {
            g.fail(std::string("is not valid: ") + e.what());
        }
        if (f.has("group_size")) a.fileSize.groupSize = f["group_size"].integer(1);
    }
    const JsonField layers = j["layers"];
    if (layers.size() == 0) layers.fail("is empty: the allocation lists no layers");
    std::set<std::string> names;
    for (const JsonField& l : layers.elements()) {
        LayerBits b;
        b.name = l["name"].nonEmptyString();
        if (!names.insert(b.name).second) l["name"].fail("repeats layer '" + b.name + "'");
        b.bits = int(l["bits"].integer(1, kFloatBits));
        if (l.has("params")) b.params = l["params"].integer(0);
        if (l.has("score")) b.score = l["score"].number();
        if (l.has("included")) b.included = l["included"].boolean();
        if (!b.included && b.bits != kFloatBits)
            l["bits"].fail("is " + std::to_string(b.bits) + ", but the layer is excluded (included: false) and stays at 32");
        a.layers.push_back(std::move(b));
    }
    return a;
}

void saveAllocation(const std::string& path, const Allocation& a) { writeJsonAtomic(path, toJson(a)); }

Allocation loadAllocation(const std::string& path) { return allocationFromJson(JsonField(readJson(path), path)); }

}  // namespace qs
