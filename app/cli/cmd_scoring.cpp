// quantscope-cli scoring: which score earns the bits? Every scoring rule (metric × order) and a
// random baseline (the default allocation with its extra bits on random layers) at the same budget,
// calibrated alike, measured on test clips with paired bootstrap intervals against the default rule,
// and a recommendation that keeps the default unless a rule's win is outside the noise.
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
#include "core/scoring/scoring_io.h"

namespace qs::cli {
namespace {

// Every speaker pooled by default; --per-profile: each speaker alone or each group of
// --speaker-groups; --profile narrows those to the named ones.
std::vector<Profile> scoringProfiles(const Args& args, const AudioCorpus& corpus) {
    if (args.has("per-profile") || args.has("profile")) return chooseProfiles(args, corpus);
    Profile every{kEverySpeakerProfile, {}};
    for (const Speaker& s : corpus.speakers()) every.speakers.push_back(s.name);
    return {every};
}

std::string cell(const RuleRow& row, Measure m, bool first) {
    const RuleMeasure* x = row.find(m);
    if (!x) return "n/a";
    const double scale = isRate(m) ? 100.0 : 1.0;
    std::string text = numberText(scale * x->value, m == Measure::Kl ? "%.4g" : "%.2f");
    if (first) return text;
    if (x->identical) return text + " (same as default)";
    return text + " " + gainIntervalText(m, x->versusDefault);
}

void printBudget(const ProfileScoring& p, const ScoringBudget& b, double confidence) {
    const PersonalizationResult& run = p.run;
    std::string floatText;
    if (!run.profiles.empty() && run.references)
        floatText = ", float WER " + measureText(Measure::Wer, measureValue(Measure::Wer, run.profiles[0].floatQuality));
    std::fprintf(stderr, "\n%s: budget %.2f bits per weight (%.4f MB), %zu test clips%s\n", p.profile.c_str(), b.targetBits,
                 b.targetMb, run.testClips.size(), floatText.c_str());
    std::fprintf(stderr, "  each measure, then its gain over the default (positive: better) with its %g%% paired bootstrap interval\n",
                 100.0 * confidence);
    std::vector<Measure> measures;
    for (Measure m : {Measure::Wer, Measure::WerVsFloat, Measure::SqnrDb, Measure::Kl})
        if (!b.rows.empty() && b.rows[0].find(m)) measures.push_back(m);
    std::fprintf(stderr, "  %-34s %9s %6s %6s", "rule", "size MB", "bits", "moved");
    for (Measure m : measures)
        std::fprintf(stderr, "  %-30s", (measureName(m) + (isRate(m) ? " %" : m == Measure::SqnrDb ? "" : "")).c_str());
    std::fprintf(stderr, "\n");
    for (std::size_t i = 0; i < b.rows.size(); ++i) {
        const RuleRow& row = b.rows[i];
        std::fprintf(stderr, "  %-34s %9.4f %6.2f %6d", row.label().c_str(), row.sizeMb, row.averageBits, row.differingFromDefault);
        for (Measure m : measures) std::fprintf(stderr, "  %-30s", cell(row, m, i == 0).c_str());
        std::fprintf(stderr, "\n");
    }
    std::fprintf(stderr, "  recommendation (%s): %s\n", measureName(b.recommendation.measure).c_str(), b.recommendation.text.c_str());
}

std::vector<std::string> measureChoices() {
    std::vector<std::string> out;
    for (Measure m : allMeasures()) out.push_back(measureName(m));
    return out;
}

}  // namespace

OptionSpec scoringOptions() {
    OptionSpec spec;
    spec.values = {"model", "audio", "out", "target-bits", "target-mb", "random", "seed", "measure", "test-fraction",
                   "split", "speaker-groups", "group-by", "min-bits", "distance-clips", "distance-bits",
                   "calibration-clips", "activation-bits", "weight-calibration", "activation-calibration", "bootstrap",
                   "confidence", "threads", "max-clips", "window-seconds", "raw-rate", "raw-channels", "max-memory"};
    spec.repeatable = {"metric", "order", "profile", "speaker"};
    spec.switches = {"per-profile"};
    spec.choices = {{"metric", metricNames()},
                    {"order", {"descending", "ascending"}},
                    {"measure", measureChoices()},
                    {"weight-calibration", {"mse", "cosine", "minmax"}},
                    {"activation-calibration", {"mse", "percentile", "minmax"}}};
    return spec;
}

int runScoring(const std::vector<std::string>& argv) {
    const Args args(argv, scoringOptions());
    const std::string modelPath = args.required("model");
    const std::string audioDir = args.required("audio");
    const std::string out = args.required("out");
    if (args.has("target-bits") == args.has("target-mb")) throw InputError("give the budgets as --target-bits or --target-mb");

    ScoringOptions o;
    // The rules: the given metrics (default every one) × the given orders (default both).
    std::vector<std::string> metrics = args.has("metric") ? args.all("metric") : metricNames();
    std::vector<std::string> orders = args.has("order") ? args.all("order") : std::vector<std::string>{"descending", "ascending"};
    o.rules.clear();
    for (const std::string& m : metrics)
        for (const std::string& d : orders) o.rules.push_back({parseMetric(m), parseOrder(d)});
    o.rules = withDefaultFirst(o.rules);
    o.randomDraws = args.getInt("random", o.randomDraws);
    if (o.randomDraws < 0 || o.randomDraws > 100) throw InputError("--random takes 0 to 100 draws");
    o.randomSeed = std::uint64_t(args.getInt("seed", int(o.randomSeed)));
    o.measure = parseMeasure(args.choice("measure", "wer"));
    CompareOptions& run = o.run;
    readSchemeOptions(args, run);

    {
        std::error_code ec;
        std::filesystem::create_directories(out, ec);
        if (ec) throw InputError("cannot create " + out + ": " + ec.message());
        checkWritable(out + "/scoring.json");
    }
    const auto start = std::chrono::steady_clock::now();
    const Engine& e = engine();
    const std::shared_ptr<const SpeechModel> loaded = e.loadModel(modelPath);
    const SpeechModel& model = *loaded;
    const AudioCorpus corpus = scanCorpus(args, audioDir, model.info(), args.getInt("max-clips", 0), workerMemory(model.info()),
                                          memoryBudget(args), "scoring");
    SplitSpec spec = splitSpec(args);
    if (!spec.active()) spec = SplitSpec::fraction(0.5);  // rules are compared on clips calibration never saw
    const ClipSplit split = ClipSplit::make(corpus, spec);
    const std::vector<Profile> profiles = scoringProfiles(args, corpus);
    o.targetsMb = budgetsMb(args, SizeModel::fromModel(model.info()));
    std::size_t distance = 0;
    for (const ScoringRule& r : o.rules) distance += !isStatistic(r.metric);
    std::fprintf(stderr, "scoring: %s; %zu rules (%zu need distance passes) + %d random draws, %zu budget%s, %zu profile%s\nscoring: %s\n",
                 modelPath.c_str(), o.rules.size(), distance, o.randomDraws, o.targetsMb.size(), o.targetsMb.size() == 1 ? "" : "s",
                 profiles.size(), profiles.size() == 1 ? "" : "s", splitSummary(split).c_str());

    // The printer's line, with the phase at work (distance passes cost one forward pass per layer
    // per clip) and an estimate of the time left from the share done so far.
    ProgressPrinter printer("scoring", "steps");
    const ProgressFn print = printer.callback();
    const auto t0 = std::chrono::steady_clock::now();
    auto progress = [&](const Progress& p) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double f = p.fraction();
        Progress line;
        line.message = numberText(100.0 * f, "%.0f") + "% " + p.message + ", " + numberText(elapsed, "%.0f") + " s elapsed" +
                       (f > 0.02 ? ", about " + numberText(elapsed * (1 - f) / f, "%.0f") + " s left" : std::string());
        return print(line);
    };
    const ScoringResult r = e.compareScoring(model, corpus, split, profiles, o, progress);
    printer.finish();
    saveScoring(out, r);
    const std::string transcripts = writeScoringTranscripts(out, r);

    for (const ProfileScoring& p : r.profiles)
        for (const ScoringBudget& b : p.budgets) printBudget(p, b, run.bootstrap.confidence);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string phases;
    for (const ProfileScoring& p : r.profiles) {
        for (const auto& [name, s] : p.run.phaseSeconds) phases += (phases.empty() ? "" : ", ") + name + " " + numberText(s, "%.1f") + " s";
        if (r.profiles.size() > 1) break;  // the first profile's phases stand for the others
    }
    std::fprintf(stderr, "\nscoring: wrote %s/{scoring.json,scoring.csv} in %.1f s on %d threads (%s)\n", out.c_str(), seconds,
                 r.profiles.empty() ? 0 : r.profiles[0].run.threads, phases.c_str());
    if (!transcripts.empty())
        std::fprintf(stderr, "scoring: each rule's transcripts (NIST trn, for sclite) are in %s\n", transcripts.c_str());
    return 0;
}

}  // namespace qs::cli
