// quantscope-cli allocate: bits per layer for a memory budget, from an analysis.json.
#include <cmath>
#include <cstdio>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/stats/analysis.h"
#include "core/base/errors.h"

namespace qs::cli {

OptionSpec allocateOptions() {
    OptionSpec spec;
    spec.values = {"analysis", "target-mb", "metric", "order", "min-bits", "speaker", "out"};
    spec.choices = {{"metric", metricNames()}, {"order", {"descending", "ascending"}}};
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
    request.speaker = a.get("speaker", kAllSpeakers);

    const Analysis analysis = loadAnalysis(analysisPath);
    const Allocation result = allocateAnalysis(analysis, request);
    saveAllocation(outPath, result);

    std::fprintf(stderr, "allocated %zu layers: %.3f MB (target %.3f MB, float %.3f MB), average %.2f bits, %.2fx smaller -> %s\n",
                 result.layers.size(), result.sizeMb, result.targetMb, result.floatSizeMb, result.averageBits,
                 result.compressionRatio, outPath.c_str());
    return 0;
}

}  // namespace qs::cli
