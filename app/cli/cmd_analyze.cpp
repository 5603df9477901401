// quantscope-cli analyze: per-layer activation statistics of a model on an audio folder (its tune
// clips when a split is given), per speaker, per speaker group and over all.
#include <cstdio>

#include "app/cli/args.h"
#include "app/cli/corpus_args.h"
#include "app/cli/commands.h"
#include "app/cli/progress_printer.h"
#include "core/engine/engine.h"
#include "core/base/json_io.h"
#include "core/base/system_memory.h"

namespace qs::cli {

OptionSpec analyzeOptions() {
    OptionSpec spec;
    spec.values = {"model", "audio", "out", "max-clips", "threads", "window-seconds", "raw-rate",
                   "raw-channels", "distance-clips", "distance-bits", "test-fraction", "split", "speaker-groups", "group-by", "max-memory"};
    spec.repeatable = {"speaker"};
    return spec;
}

int runAnalyze(const std::vector<std::string>& argv) {
    const Args args(argv, analyzeOptions());
    const std::string modelPath = args.required("model");
    const std::string audioDir = args.required("audio");
    const std::string out = args.required("out");
    const int threads = args.getInt("threads", 0);
    if (threads < 0) throw InputError("--threads must be 0 (every core) or more");

    checkWritable(out);
    // Ctrl-C is a cancel request from here on, also while the model loads and the folder is scanned.
    ProgressPrinter printer("analyze");
    printer.exitAtOnce(true);  // nothing is written while the engine and the models load
    const Engine& e = engine();
    const std::shared_ptr<const SpeechModel> loaded = e.loadModel(modelPath);
    const SpeechModel& model = *loaded;
    printer.exitAtOnce(false);
    const std::int64_t budget = memoryBudget(args);
    const AudioCorpus scanned =
        scanCorpus(args, audioDir, model.info(), args.getInt("max-clips", 0), workerMemory(model.info()), budget, "analyze");
    // With a split, only the tune clips are analysed; the test clips are held out for evaluation.
    const ClipSplit split = ClipSplit::make(scanned, splitSpec(args));
    const AudioCorpus corpus = split.tuneCorpus(scanned);
    const std::vector<Profile> groups = speakerGroups(args, corpus);

    std::size_t clips = 0;
    for (const auto& s : corpus.speakers()) clips += s.clips.size();
    std::fprintf(stderr, "analyze: %s, %zu layers; %zu speakers, %zu clips (%zu files skipped)\n",
                 modelPath.c_str(), model.info().layers.size(), corpus.speakers().size(), clips,
                 corpus.skipped().size());
    if (split.active()) std::fprintf(stderr, "analyze: %s\n", splitSummary(split).c_str());
    if (!groups.empty()) std::fprintf(stderr, "analyze: %zu speaker groups from %s\n", groups.size(), args.required("speaker-groups").c_str());

    AnalyzeOptions options;
    options.threads = threads;
    options.profiles = groups;
    options.maxMemory = budget;
    Analysis analysis = e.analyze(model, corpus, options, printer.callback());
    analysis.split = split.record();
    printer.finish();

    // Distance sensitivities (kl, l1, l2, cosine, sqnr): one extra pass per layer per clip.
    const int distanceClips = args.getInt("distance-clips", 0);
    if (distanceClips < 0) throw InputError("--distance-clips must be 0 (off) or more");
    if (distanceClips > 0) {
        DistanceOptions d;
        d.clipsPerSpeaker = distanceClips;
        d.bits = args.getInt("distance-bits", 8);
        d.threads = threads;
        d.profiles = groups;
        d.maxMemory = budget;
        std::fprintf(stderr, "analyze: distance passes, %zu layers x %d clips per speaker at %d bits\n",
                     model.info().layers.size(), distanceClips, d.bits);
        ProgressPrinter layers("distances", "layers");
        attachDistances(analysis, e.distanceScores(model, corpus, d, layers.callback()));
    }

    saveAnalysis(out, analysis);
    for (const auto& s : analysis.skipped) std::fprintf(stderr, "skipped %s: %s\n", s.path.c_str(), s.reason.c_str());
    double seconds = 0;
    for (const auto& s : analysis.speakers) seconds += s.seconds;
    std::fprintf(stderr, "analyze: wrote %s (%.1f s of audio in %.1f s on %d threads", out.c_str(), seconds,
                 analysis.elapsedSeconds, analysis.threads);
    if (analysis.workers < analysis.threads && analysis.workers < int(clips))
        std::fprintf(stderr, ", %d clip%s at a time to fit the memory budget of %s", analysis.workers,
                     analysis.workers == 1 ? "" : "s", memoryText(double(budget)).c_str());
    std::fprintf(stderr, ")\n");
    return 0;
}

}  // namespace qs::cli
