// quantscope-cli compare: the personalization matrix. Does each profile's own scheme (its allocation,
// calibrated on its own tune clips) serve it better than the all-profiles scheme, the best other
// profile's scheme and a uniform one? Measured on test clips, with paired bootstrap intervals.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/comparison_args.h"
#include "app/cli/corpus_args.h"
#include "app/cli/progress_printer.h"
#include "core/allocation/size_model.h"
#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/base/number_text.h"
#include "core/engine/engine.h"
#include "core/personalization/personalization_io.h"

namespace qs::cli {
namespace {

std::string gainCell(const SchemeGain* g) {
    if (!g) return "n/a";
    return gainText(*g);
}

void printMatrix(const PersonalizationResult& r, const PersonalizationMatrix& m) {
    const Measure measure = r.primary;
    int uniform = -1;
    for (int s : m.rows)
        if (r.schemes[std::size_t(s)].kind == "uniform") uniform = s;
    std::fprintf(stderr, "\nbudget %.2f bits per weight (%.4f MB), spread %d", m.targetBits, m.targetMb, m.spread);
    if (uniform >= 0)
        std::fprintf(stderr, "; %s: %.4f MB (%+.4f MB against the budget)", r.schemes[std::size_t(uniform)].label().c_str(),
                     r.schemes[std::size_t(uniform)].sizeMb, r.schemes[std::size_t(uniform)].sizeMb - m.targetMb);
    std::fprintf(stderr, "\n  %s on each profile's test clips; gains of its own scheme (positive: own better), %g%% "
                         "paired bootstrap intervals over its test clips\n",
                 measureName(measure).c_str(), 100.0 * r.options.bootstrap.confidence);
    int better = 0, worse = 0, same = 0, minDiff = 1 << 30, maxDiff = 0, sumDiff = 0, owns = 0;
    for (std::size_t p = 0; p < r.profiles.size(); ++p) {
        const ProfileClips& profile = r.profiles[p];
        auto find = [&](const std::string& versus) -> const SchemeGain* {
            for (const SchemeGain& g : m.gains)
                if (g.profile == profile.name && g.versus == versus && g.measure == measure) return &g;
            return nullptr;
        };
        const SchemeGain* all = find("all");
        if (!all) continue;
        for (int s : m.rows) {
            const Scheme& sc = r.schemes[std::size_t(s)];
            if (sc.kind != "own" || sc.profile != profile.name) continue;
            minDiff = std::min(minDiff, sc.differingFromAll), maxDiff = std::max(maxDiff, sc.differingFromAll);
            sumDiff += sc.differingFromAll, ++owns;
        }
        const std::string floatValue = measure == Measure::Wer ? ", float " + measureText(measure, measureValue(Measure::Wer, profile.floatQuality)) : "";
        std::fprintf(stderr, "  %s (%d test clips%s): own %s\n", profile.name.c_str(), int(r.columnClips[p].size()),
                     floatValue.c_str(), measureText(measure, all->own).c_str());
        std::fprintf(stderr, "      vs all profiles (%s): %s\n", measureText(measure, all->other).c_str(), gainCell(all).c_str());
        if (const SchemeGain* b = find("best_other"))
            std::fprintf(stderr, "      vs best other, %s (%s): %s\n", r.schemes[std::size_t(b->versusScheme)].label().c_str(),
                         measureText(measure, b->other).c_str(), gainCell(b).c_str());
        if (const SchemeGain* u = find("uniform"))
            std::fprintf(stderr, "      vs uniform (%s): %s\n", measureText(measure, u->other).c_str(), gainCell(u).c_str());
        if (all->identical || all->gain.containsZero()) ++same;
        else if (all->gain.low > 0) ++better;
        else ++worse;
    }
    std::fprintf(stderr, "  own scheme against the all-profiles scheme: better for %d, worse for %d, no measurable difference "
                         "for %d of %zu profiles\n",
                 better, worse, same, r.profiles.size());
    if (owns > 0)
        std::fprintf(stderr, "  own allocations differ from the all-profiles allocation in %d to %d of %zu layers (mean %.1f)\n",
                     minDiff, maxDiff, r.layerNames.size(), double(sumDiff) / owns);
}

}  // namespace

OptionSpec compareOptions() {
    OptionSpec spec;
    spec.values = {"model", "audio", "out", "target-bits", "target-mb", "spread", "test-fraction", "split",
                            "speaker-groups", "group-by", "metric", "order", "min-bits", "distance-clips", "distance-bits",
                            "calibration-clips", "activation-bits", "weight-calibration", "activation-calibration",
                            "bootstrap", "confidence", "seed", "threads", "max-clips", "window-seconds", "raw-rate",
                            "raw-channels", "max-memory"};
    spec.repeatable = {"profile", "speaker"};
    spec.switches = {"no-uniform"};
    spec.choices = {{"metric", metricNames()},
                    {"order", {"descending", "ascending"}},
                    {"weight-calibration", {"mse", "cosine", "minmax"}},
                    {"activation-calibration", {"mse", "percentile", "minmax"}}};
    return spec;
}

int runCompare(const std::vector<std::string>& argv) {
    const Args args(argv, compareOptions());
    const std::string modelPath = args.required("model");
    const std::string audioDir = args.required("audio");
    const std::string out = args.required("out");
    if (args.has("target-bits") == args.has("target-mb")) throw InputError("give the budgets as --target-bits or --target-mb");

    CompareOptions o;
    readSchemeOptions(args, o);
    o.spreads.clear();
    for (double s : args.has("spread") ? positiveNumbers(args, "spread") : std::vector<double>{1}) {
        if (s != std::floor(s) || s > 31) throw InputError("--spread takes whole numbers from 1 to 31");
        o.spreads.push_back(int(s));
    }
    o.metric = parseMetric(args.choice("metric", "median"));
    o.order = parseOrder(args.choice("order", "descending"));
    o.uniform = !args.has("no-uniform");
    o.bootstrap.seed = std::uint64_t(args.getDouble("seed", double(o.bootstrap.seed)));

    {
        std::error_code ec;
        std::filesystem::create_directories(out, ec);
        if (ec) throw InputError("cannot create " + out + ": " + ec.message());
        checkWritable(out + "/personalization.json");
    }
    const auto start = std::chrono::steady_clock::now();
    ProgressPrinter printer("compare", "steps");
    const Engine& e = engine();
    const std::shared_ptr<const SpeechModel> loaded = e.loadModel(modelPath);
    const SpeechModel& model = *loaded;
    const AudioCorpus corpus = scanCorpus(args, audioDir, model.info(), args.getInt("max-clips", 0), workerMemory(model.info()),
                                          memoryBudget(args), "compare");
    SplitSpec spec = splitSpec(args);
    if (!spec.active()) spec = SplitSpec::fraction(0.5);  // the matrix always keeps test clips apart
    const ClipSplit split = ClipSplit::make(corpus, spec);
    const std::vector<Profile> profiles = chooseProfiles(args, corpus);

    o.targetsMb = budgetsMb(args, SizeModel::fromModel(model.info()));
    std::fprintf(stderr, "compare: %s; %zu profiles (%s), %zu budget%s x %zu spread%s\ncompare: %s\n", modelPath.c_str(),
                 profiles.size(), args.has("speaker-groups") ? ("groups of " + args.required("speaker-groups")).c_str() : "each speaker alone",
                 o.targetsMb.size(), o.targetsMb.size() == 1 ? "" : "s", o.spreads.size(), o.spreads.size() == 1 ? "" : "s",
                 splitSummary(split).c_str());

    const PersonalizationResult r = e.comparePersonalization(model, corpus, split, profiles, o, printer.callback());
    printer.finish();
    savePersonalization(out, r);

    std::size_t variants = r.variants.size();
    std::fprintf(stderr, "compare: %zu schemes, %zu distinct (same bits and calibration clips are one), on %zu test clips\n",
                 r.schemes.size(), variants, r.testClips.size());
    for (const PersonalizationMatrix& m : r.matrices) printMatrix(r, m);
    for (const SkippedFile& f : r.skipped) std::fprintf(stderr, "skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string phases;
    for (const auto& [name, s] : r.phaseSeconds) phases += (phases.empty() ? "" : ", ") + name + " " + numberText(s, "%.1f") + " s";
    std::fprintf(stderr, "\ncompare: wrote %s/{personalization.json,matrix.csv,gains.csv,clips.csv} in %.1f s on %d threads (%s)\n",
                 out.c_str(), seconds, r.threads, phases.c_str());
    return 0;
}

}  // namespace qs::cli
