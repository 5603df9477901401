// quantscope-cli export: calibrate on the user's audio and write the quantized model folder.
#include <cstdio>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress_printer.h"
#include "core/allocation/allocation_io.h"
#include "core/engine/engine.h"
#include "core/export/quantized_export.h"

namespace qs::cli {

int runExport(const std::vector<std::string>& argv) {
    const Args args(argv, {{"model", "analysis", "allocation", "out", "audio", "activation-bits", "calibration-clips",
                            "threads", "weight-calibration", "weight-granularity", "weight-group-size", "clip-candidates",
                            "activation-calibration", "activation-percentile", "activation-groups", "outlier-ratio",
                            "rounding-range", "rounding-iterations", "rounding-rows", "rounding-mode", "rounding-memory-mb"},
                           {},
                           {"activation-groups-all"}});
    const std::string out = args.required("out");
    ProgressPrinter printer("export");
    const Engine& e = engine();
    const std::shared_ptr<const SpeechModel> loaded = e.loadModel(args.required("model"));
    const SpeechModel& model = *loaded;
    const Analysis analysis = loadAnalysis(args.required("analysis"));
    const Allocation allocation = loadAllocation(args.required("allocation"));

    ExportOptions options;
    options.activationBits = args.getInt("activation-bits", options.activationBits);
    options.calibrationClips = args.getInt("calibration-clips", options.calibrationClips);
    options.threads = args.getInt("threads", 0);
    WeightCalibrationOptions& w = options.weights;
    const WeightMethod method = parseWeightCalibration(
        args.choice("weight-calibration", weightCalibrationNames(), weightRangeName(w.method)),
        parseWeightRange(args.choice("rounding-range", {"mse", "cosine", "minmax"}, "mse")));
    w.method = method.range;
    LearnedRoundingOptions& r = options.rounding;
    r.method = method.rounding;
    r.adaround.iterations = args.getInt("rounding-iterations", r.adaround.iterations);
    if (r.adaround.iterations < 0) throw InputError("--rounding-iterations must be 0 or more");
    r.sampleRows = args.getInt("rounding-rows", r.sampleRows);
    if (r.sampleRows < 1) throw InputError("--rounding-rows must be 1 or more");
    r.sequential = args.choice("rounding-mode", {"independent", "sequential"}, r.sequential ? "sequential" : "independent") ==
                   "sequential";
    r.sampleMb = args.getDouble("rounding-memory-mb", r.sampleMb);
    if (!(r.sampleMb > 0)) throw InputError("--rounding-memory-mb must be positive");
    const std::string granularity =
        args.choice("weight-granularity", {"channel", "tensor", "group"}, "channel");
    w.granularity = parseGranularity("per_" + granularity);
    w.groupSize = args.getInt("weight-group-size", int(w.groupSize));
    if (w.groupSize < 1) throw InputError("--weight-group-size must be 1 or more");
    w.candidates = args.getInt("clip-candidates", w.candidates);
    if (w.candidates < 1) throw InputError("--clip-candidates must be 1 or more");

    ActivationCalibrationOptions& a = options.activations;
    a.method = parseActivationRange(
        args.choice("activation-calibration", {"mse", "percentile", "minmax"}, activationRangeName(a.method)));
    a.percentile = args.getDouble("activation-percentile", a.percentile);
    a.groups = args.getInt("activation-groups", a.groups);
    a.outlierRatio = args.getDouble("outlier-ratio", a.outlierRatio);
    a.groupsAllLayers = args.has("activation-groups-all");

    // Calibration audio: the analysed folder (or --audio), narrowed to the allocation's speaker.
    std::unique_ptr<AudioCorpus> corpus;
    if (options.activationBits > 0 || w.method == WeightRange::Cosine || r.method != WeightRounding::Nearest) {
        const std::string audio = args.get("audio", analysis.audioRoot);
        if (audio.empty()) throw InputError("the analysis names no audio folder: pass --audio DIR");
        corpus = std::make_unique<AudioCorpus>(AudioCorpus::scan(audio, corpusOptionsFor(model.info())));
        if (allocation.speaker != kAllSpeakers) corpus->selectSpeakers({allocation.speaker});
    }
    const ExportSummary s = e.exportQuantizedModel(model, analysis, allocation, corpus.get(), options, out, printer.callback());
    printer.finish();
    for (const SkippedFile& f : s.skipped) std::fprintf(stderr, "skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
    if (r.method != WeightRounding::Nearest)
        std::fprintf(stderr, "%s rounding: %d layers in %.1f s (%d passes over the clips), nearest rounding kept on %d\n",
                     weightRoundingName(r.method).c_str(), s.roundedLayers, s.roundingSeconds, s.roundingPasses,
                     s.keptNearestLayers);
    int quantized = 0;
    for (const auto& l : s.layers) quantized += l.bits < 32;
    std::fprintf(stderr,
                 "exported %s: %d of %zu layers quantized, size model %.3f MB, weights.safetensors %.3f MB + %.3f MB "
                 "scales/header, %d calibration clips, %d layer inputs per embedding group\n",
                 out.c_str(), quantized, s.layers.size(), s.sizeModelMb, s.packedMb, s.overheadMb, s.calibrationClips,
                 s.groupedLayers);
    return 0;
}

}  // namespace qs::cli
