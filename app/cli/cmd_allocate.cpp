// quantscope-cli allocate: bits per layer for a memory budget, from an analysis.json.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/stats/analysis.h"
#include "core/base/errors.h"

namespace qs::cli {

int runAllocate(const std::vector<std::string>& args) {
    const Args a(args, {{"analysis", "target-mb", "metric", "order", "min-bits", "speaker", "profile", "spread", "out"}, {}, {}});
    const std::string analysisPath = a.required("analysis");
    const std::string outPath = a.required("out");
    (void)a.required("target-mb");  // a missing budget is "missing --target-mb", not a default

    AllocationRequest request;
    request.targetMb = a.getDouble("target-mb", 0.0);
    if (!(request.targetMb > 0.0) || !std::isfinite(request.targetMb))
        throw InputError("--target-mb must be a positive number of MB");
    request.metric = parseMetric(a.choice("metric", metricNames(), "median"));
    request.settings.order = parseOrder(a.choice("order", {"descending", "ascending"}, "descending"));
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
    const Allocation result = allocateAnalysis(analysis, request);
    saveAllocation(outPath, result);

    int lowest = kFloatBits, highest = 0;
    for (const LayerBits& l : result.layers)
        if (l.included) lowest = std::min(lowest, l.bits), highest = std::max(highest, l.bits);
    std::fprintf(stderr, "allocated %zu layers: %.3f MB (target %.3f MB, float %.3f MB), average %.2f bits, %.2fx smaller, "
                 "%d to %d bits (spread %d) -> %s\n",
                 result.layers.size(), result.sizeMb, result.targetMb, result.floatSizeMb, result.averageBits,
                 result.compressionRatio, lowest, highest, result.spread, outPath.c_str());
    return 0;
}

}  // namespace qs::cli
