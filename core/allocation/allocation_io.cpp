// allocation.json: writing an Allocation and reading one back with checks.
#include "core/allocation/allocation_io.h"

#include <utility>

#include "core/base/errors.h"
#include "core/base/json_io.h"

namespace qs {

using nlohmann::json;

namespace {

// Reads j[key] as T, throwing InputError that names the field rather than nlohmann's type_error.
template <typename T>
T field(const json& j, const char* key, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end()) throw InputError(where + " has no '" + key + "'");
    try {
        return it->template get<T>();
    } catch (const json::exception&) {
        throw InputError(where + ": '" + key + "' has the wrong type");
    }
}

template <typename T>
T optionalField(const json& j, const char* key, const T& fallback, const std::string& where) {
    return j.contains(key) ? field<T>(j, key, where) : fallback;
}

}  // namespace

json toJson(const Allocation& a) {
    json layers = json::array();
    for (const LayerBits& l : a.layers)
        layers.push_back({{"name", l.name}, {"bits", l.bits}, {"params", l.params}, {"score", l.score},
                          {"included", l.included}});
    return {
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
    };
}

Allocation allocationFromJson(const json& j) {
    const std::string where = "allocation";
    if (!j.is_object()) throw InputError("an allocation must be a JSON object");
    Allocation a;
    a.targetMb = field<double>(j, "target_mb", where);
    a.sizeMb = field<double>(j, "size_mb", where);
    a.metric = parseMetric(field<std::string>(j, "metric", where));
    a.order = parseOrder(field<std::string>(j, "order", where));
    a.speaker = field<std::string>(j, "speaker", where);
    a.minBits = optionalField<int>(j, "min_bits", kDefaultMinBits, where);
    a.spread = optionalField<int>(j, "spread", 1, where);
    a.split = optionalField<std::string>(j, "split", a.split, where);
    a.floatSizeMb = optionalField<double>(j, "float_size_mb", 0.0, where);
    a.averageBits = optionalField<double>(j, "average_bits", 0.0, where);
    a.compressionRatio = optionalField<double>(j, "compression_ratio", 0.0, where);

    const json layers = field<json>(j, "layers", where);
    if (!layers.is_array()) throw InputError("allocation: 'layers' must be an array");
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const json& l = layers[i];
        const std::string at = "allocation layer #" + std::to_string(i);
        if (!l.is_object()) throw InputError(at + " must be an object");
        LayerBits b;
        b.name = field<std::string>(l, "name", at);
        b.bits = field<int>(l, "bits", at);
        if (b.bits < 1 || b.bits > kFloatBits)
            throw InputError(at + " (" + b.name + ") has " + std::to_string(b.bits) + " bits, expected 1 to 32");
        b.params = optionalField<std::int64_t>(l, "params", 0, at);
        b.score = optionalField<double>(l, "score", 0.0, at);
        b.included = optionalField<bool>(l, "included", true, at);
        a.layers.push_back(std::move(b));
    }
    return a;
}

void saveAllocation(const std::string& path, const Allocation& a) { writeJsonAtomic(path, toJson(a)); }

Allocation loadAllocation(const std::string& path) {
    const json j = readJson(path);
    try {
        return allocationFromJson(j);
    } catch (const InputError& e) {
        throw InputError(path + ": " + e.what());
    }
}

}  // namespace qs
