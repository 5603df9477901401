// quantscope-cli evaluate: the float model and its quantized export on the same audio, per speaker and
// speaker group: the test clips of a split, never the clips the export's calibration read.
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include "app/cli/args.h"
#include "app/cli/corpus_args.h"
#include "app/cli/commands.h"
#include "app/cli/progress_printer.h"
#include "core/base/errors.h"
#include "core/engine/engine.h"
#include "core/evaluation/evaluation.h"
#include "core/evaluation/trn_files.h"
#include "core/export/calibration_record.h"
#include "core/export/export_report.h"
#include "core/base/json_io.h"

namespace qs::cli {
namespace {

// --quantized names the export folder (holding model.pt) or a TorchScript file directly.
std::string quantizedModelPath(const std::string& given) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(given, ec)) throw InputError("--quantized: " + given + " does not exist");
    if (fs::is_directory(given, ec)) {
        const fs::path model = fs::path(given) / "model.pt";
        if (!fs::is_regular_file(model, ec))
            throw InputError("--quantized: the folder " + given + " holds no model.pt (expected an export folder)");
        return model.string();
    }
    return given;
}

std::string percent(double rate) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", rate * 100.0);
    return buf;
}

// "en-us_f2: 12 clips, SQNR 31.2 dB, KL 0.0021, WER vs float 2.1%, WER 8.3% (float 7.9%)"
std::string summary(const EvaluationScores& s, bool transcripts) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s: %d clip%s, SQNR %.1f dB, KL %.4g", s.name.c_str(), s.clips,
                  s.clips == 1 ? "" : "s", s.output.sqnrDb, s.output.kl);
    std::string line = buf;
    if (transcripts) {
        line += ", WER vs float " + percent(s.werVsFloat.rate()) + ", CER vs float " + percent(s.cerVsFloat.rate());
        if (s.referenceClips > 0)
            line += ", WER " + percent(s.werQuantized.rate()) + " (float " + percent(s.werFloat.rate()) + "), CER " +
                    percent(s.cerQuantized.rate()) + " (float " + percent(s.cerFloat.rate()) + ")";
    }
    return line;
}

}  // namespace

OptionSpec evaluateOptions() {
    OptionSpec spec;
    spec.values = {"model", "quantized", "audio", "out", "max-clips", "threads", "window-seconds", "raw-rate",
                   "raw-channels", "trn", "test-fraction", "split", "speaker-groups", "group-by", "max-memory"};
    spec.repeatable = {"speaker"};
    return spec;
}

int runEvaluate(const std::vector<std::string>& argv) {
    const Args args(argv, evaluateOptions());
    const std::string modelPath = args.required("model");
    const std::string quantizedArg = args.required("quantized");
    const std::string audioDir = args.required("audio");
    const std::string out = args.required("out");
    const int threads = args.getInt("threads", 0);
    if (threads < 0) throw InputError("--threads must be 0 (every core) or more");
    const int maxClips = args.getInt("max-clips", 0);
    if (maxClips < 0) throw InputError("--max-clips must be 0 (every clip) or more");
    const std::string quantizedPath = quantizedModelPath(quantizedArg);

    checkWritable(out);
    std::error_code ec;
    if (args.has("trn") && std::filesystem::exists(args.required("trn"), ec) &&
        !std::filesystem::is_directory(args.required("trn"), ec))
        throw InputError("--trn: " + args.required("trn") + " is a file; it names the folder for the trn files");
    // Ctrl-C is a cancel request from here on, also while the models load and the folder is scanned.
    ProgressPrinter printer("evaluate");
    printer.exitAtOnce(true);  // nothing is written while the engine and the models load
    const Engine& e = engine();
    const std::shared_ptr<const SpeechModel> floatLoaded = e.loadModel(modelPath);
    const std::shared_ptr<const SpeechModel> quantizedLoaded = e.loadModel(quantizedPath);
    const SpeechModel& floatModel = *floatLoaded;
    const SpeechModel& quantized = *quantizedLoaded;
    printer.exitAtOnce(false);
    checkModelsMatch(floatModel.info(), quantized.info());
    if (args.has("trn") && floatModel.info().labels.empty())
        throw InputError("--trn: " + modelPath + " has no CTC labels (model.json \"labels\"), so there are no transcripts");
    const std::int64_t budget = memoryBudget(args);
    const WorkerMemory worker{{floatModel.info().memory, quantized.info().memory}, workerStateBytes(floatModel.info())};
    const AudioCorpus scanned = scanCorpus(args, audioDir, floatModel.info(), maxClips, worker, budget, "evaluate");
    // With a split, only the test clips; never a clip the export's calibration read.
    const ClipSplit split = ClipSplit::make(scanned, splitSpec(args));
    AudioCorpus corpus = split.testCorpus(scanned);
    const std::set<std::string> calibrationFiles =
        std::filesystem::is_directory(quantizedArg) ? readCalibrationFiles(quantizedArg) : std::set<std::string>{};
    std::size_t clips = 0, leftOut = 0;
    for (const auto& s : corpus.speakers()) clips += s.clips.size();
    if (!calibrationFiles.empty()) {
        corpus.keepClips([&](const Clip& c) { return !calibrationFiles.count(calibrationFileKey(c.path)); });
        std::size_t kept = 0;
        for (const auto& s : corpus.speakers()) kept += s.clips.size();
        leftOut = clips - kept;
        clips = kept;
        if (clips == 0)
            throw InputError("every clip of " + audioDir + " was used to calibrate " + quantizedArg +
                             ": evaluate on other audio, or split it (--test-fraction) before analysing and exporting");
    }
    const std::vector<Profile> groups = speakerGroups(args, corpus);

    std::fprintf(stderr, "evaluate: %s against %s; %zu speakers, %zu clips (%zu files skipped)\n",
                 quantizedPath.c_str(), modelPath.c_str(), corpus.speakers().size(), clips, corpus.skipped().size());
    if (split.active()) std::fprintf(stderr, "evaluate: test clips only, %s\n", splitSummary(split).c_str());
    if (leftOut > 0)
        std::fprintf(stderr, "evaluate: left out %zu clip%s the calibration used (listed in %s/encodings.json)\n", leftOut,
                     leftOut == 1 ? "" : "s", quantizedArg.c_str());

    EvaluateOptions options;
    options.threads = threads;
    options.profiles = groups;
    options.maxMemory = budget;
    Evaluation evaluation = e.evaluate(floatModel, quantized, corpus, options, printer.callback());
    evaluation.split = split.record();
    evaluation.calibrationClipsLeftOut = int(leftOut);
    printer.finish();
    saveEvaluation(out, evaluation);
    if (args.has("trn")) {
        const TrnFiles trn = writeTrnFiles(args.required("trn"), evaluation);
        std::fprintf(stderr, "evaluate: wrote %d utterances to %s%s, %s\n", trn.utterances,
                     trn.reference.empty() ? "" : (trn.reference + ", ").c_str(), trn.floatHypotheses.c_str(),
                     trn.quantizedHypotheses.c_str());
    }

    for (const auto& s : evaluation.skipped) std::fprintf(stderr, "skipped %s: %s\n", s.path.c_str(), s.reason.c_str());
    for (const auto& s : evaluation.speakers) std::fprintf(stderr, "%s\n", summary(s, evaluation.transcripts).c_str());
    for (const auto& s : evaluation.profiles)
        std::fprintf(stderr, "group %s\n", summary(s, evaluation.transcripts).c_str());
    if (evaluation.speakers.size() > 1)
        std::fprintf(stderr, "%s\n", summary(evaluation.all, evaluation.transcripts).c_str());
    std::fprintf(stderr, "evaluate: wrote %s (%.1f s of audio in %.1f s on %d threads)\n", out.c_str(),
                 evaluation.all.seconds, evaluation.elapsedSeconds, evaluation.threads);
    // An export folder's report.csv gets the measured WER/CER, SQNR and KL.
    const std::filesystem::path report = std::filesystem::path(quantizedArg) / "report.csv";
    if (std::filesystem::is_directory(quantizedArg, ec) && std::filesystem::is_regular_file(report, ec)) {
        updateReportCsv(report.string(), evaluationFields(evaluation));
        std::fprintf(stderr, "evaluate: added the measures to %s\n", report.string().c_str());
    }
    return 0;
}

}  // namespace qs::cli
