// quantscope-cli allocate: bits per layer for a memory budget, from an analysis.json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/stats/analysis.h"
#include "core/base/errors.h"

namespace qs::cli {

OptionSpec allocateOptions() {
    OptionSpec spec;
    spec.values = {"analysis", "target-mb", "metric", "order", "min-bits", "spread", "speaker", "profile", "out",
                   "weight-granularity", "weight-group-size"};
    spec.switches = {"fit-files"};
    spec.choices = {{"metric", metricNames()},
                    {"order", {"descending", "ascending"}},
                    {"weight-granularity", {"channel", "tensor", "group"}}};
    return spec;
}

int runAllocate(const std::vector<std::string>& args) {
    const Args a(args, allocateOptions());
    const std::string analysisPath = a.required("analysis");
    const std::string outPath = a.required("out");
    (void)a.required("target-mb");  // a missing budget is "missing --target-mb", not a default

    AllocationRequest request;
    request.targetMb = a.getDouble("target-mb", 0.0);
    if (!(request.targetMb > 0.0) || !std::isfinite(request.targetMb))
        throw InputError("--target-mb must be a positive number of MB");
    request.metric = parseMetric(a.choice("metric", "median"));
    request.settings.order = parseOrder(a.choice("order", "descending"));
    request.settings.minBits = a.getInt("min-bits", kDefaultMinBits);
    if (request.settings.minBits < 1 || request.settings.minBits > 31)
        throw InputError("--min-bits must be 1 to 31, not " + std::to_string(request.settings.minBits));
    request.settings.spread = a.getInt("spread", 1);
    if (request.settings.spread < 1 || request.settings.spread > 31)
        throw InputError("--spread must be 1 to 31, not " + std::to_string(request.settings.spread));
    // A profile (speaker group) is chosen like a speaker; --profile says which one is meant.
    if (a.has("speaker") && a.has("profile")) throw InputError("give either --speaker or --profile, not both");
    request.speaker = a.get("profile", a.get("speaker", kAllSpeakers));

    const Analysis analysis = loadAnalysis(analysisPath);
    if (a.has("profile") && !analysis.findProfile(request.speaker)) {
        std::string known;
        for (const ProfileSummary& p : analysis.profiles) known += (known.empty() ? "" : ", ") + p.name;
        throw InputError("unknown profile '" + request.speaker + "' (" +
                         (known.empty() ? "the analysis has no speaker groups: analyze with --speaker-groups FILE" : "available: " + known) + ")");
    }
    if (a.has("fit-files")) {  // budget the export files, scales, zero points and ONNX storage included
        FileSizeOptions f;
        f.granularity = parseGranularity("per_" + a.choice("weight-granularity", "channel"));
        f.groupSize = a.getInt("weight-group-size", int(f.groupSize));
        if (f.groupSize < 1) throw InputError("--weight-group-size must be 1 or more");
        request.settings.fitFiles = std::make_shared<FileSizeModel>(FileSizeModel::forAnalysis(analysis, f));
    } else if (a.has("weight-granularity") || a.has("weight-group-size")) {
        throw InputError("--weight-granularity and --weight-group-size go with --fit-files");
    }
    const Allocation result = allocateAnalysis(analysis, request);
    saveAllocation(outPath, result);

    int lowest = kFloatBits, highest = 0;
    for (const LayerBits& l : result.layers)
        if (l.included) lowest = std::min(lowest, l.bits), highest = std::max(highest, l.bits);
    std::fprintf(stderr, "allocated %zu layers: %.3f MB (target %.3f MB, float %.3f MB), average %.2f bits, %.2fx smaller, "
                 "%d to %d bits (spread %d) -> %s\n",
                 result.layers.size(), result.sizeMb, result.targetMb, result.floatSizeMb, result.averageBits,
                 result.compressionRatio, lowest, highest, result.spread, outPath.c_str());
    if (result.fitFiles)
        std::fprintf(stderr, "export files: at most %.3f MB (weights.safetensors and model.onnx's tensors, %s scales "
                             "and zero points, ONNX storage widths); myQASR's size model: %.3f MB\n",
                     result.filesMb, granularityName(result.fileSize.granularity).c_str(), result.sizeMb);
    return 0;
}

}  // namespace qs::cli
