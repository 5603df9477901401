// quantscope-cli export: calibrate on the user's audio and write the quantized model folder.
#include <cstdio>

#include "app/cli/args.h"
#include "app/cli/corpus_args.h"
#include "app/cli/commands.h"
#include "app/cli/progress_printer.h"
#include "core/allocation/allocation_io.h"
#include "core/audio/clip_split.h"
#include "core/engine/engine.h"
#include "core/export/quantized_export.h"

namespace qs::cli {

OptionSpec exportOptions() {
    OptionSpec spec;
    spec.values = {"model", "analysis", "allocation", "out", "audio", "activation-bits", "calibration-clips",
                   "threads", "weight-calibration", "weight-granularity", "weight-group-size", "clip-candidates",
                   "activation-calibration", "activation-percentile", "activation-groups", "outlier-ratio", "format", "max-memory", "rounding-range", "rounding-iterations", "rounding-rows",
                   "rounding-mode", "rounding-memory-mb"};
    spec.switches = {"activation-groups-all"};
    spec.choices = {{"format", {"torchscript", "onnx"}},
                    {"weight-calibration", {"mse", "cosine", "minmax", "adaround", "gptq"}},
                    {"rounding-range", {"mse", "cosine", "minmax"}},
                    {"rounding-mode", {"independent", "sequential"}},
                    {"weight-granularity", {"channel", "tensor", "group"}},
                    {"activation-calibration", {"mse", "percentile", "minmax"}}};
    return spec;
}

int runExport(const std::vector<std::string>& argv) {
    const Args args(argv, exportOptions());
    const std::string out = args.required("out");
    ProgressPrinter printer("export");
    printer.exitAtOnce(true);  // nothing is written while the engine and the models load
    const Engine& e = engine();
    const std::shared_ptr<const SpeechModel> loaded = e.loadModel(args.required("model"));
    const SpeechModel& model = *loaded;
    printer.exitAtOnce(false);
    const std::string analysisPath = args.required("analysis"), allocationPath = args.required("allocation");
    const Analysis analysis = loadAnalysis(analysisPath);
    const Allocation allocation = loadAllocation(allocationPath);
    // Files from another model (or hand-edited layers) are one line here, not a wrong export.
    checkSameModel(analysis, model.info(), analysisPath);
    if (!sameLayers(allocation, analysis))
        throw InputError(allocationPath + " does not belong to " + analysisPath +
                         ": its layers differ (made from another model?)");

    ExportOptions options;
    options.activationBits = args.getInt("activation-bits", options.activationBits);
    options.calibrationClips = args.getInt("calibration-clips", options.calibrationClips);
    options.threads = args.getInt("threads", 0);
    options.onnx = args.choice("format", "torchscript") == "onnx";
    options.maxMemory = memoryBudget(args);
    WeightCalibrationOptions& w = options.weights;
    const WeightMethod method = parseWeightCalibration(
        args.choice("weight-calibration", weightRangeName(w.method)),
        parseWeightRange(args.choice("rounding-range", "mse")));
    w.method = method.range;
    LearnedRoundingOptions& r = options.rounding;
    r.method = method.rounding;
    r.adaround.iterations = args.getInt("rounding-iterations", r.adaround.iterations);
    if (r.adaround.iterations < 0) throw InputError("--rounding-iterations must be 0 or more");
    r.sampleRows = args.getInt("rounding-rows", 0);  // 0: the method's default
    if (args.has("rounding-rows") && r.sampleRows < 1) throw InputError("--rounding-rows must be 1 or more");
    r.sequential = args.choice("rounding-mode", r.sequential ? "sequential" : "independent") ==
                   "sequential";
    r.sampleMb = args.getDouble("rounding-memory-mb", r.sampleMb);
    if (!(r.sampleMb > 0)) throw InputError("--rounding-memory-mb must be positive");
    const std::string granularity =
        args.choice("weight-granularity", "channel");
    w.granularity = parseGranularity("per_" + granularity);
    w.groupSize = args.getInt("weight-group-size", int(w.groupSize));
    if (w.groupSize < 1) throw InputError("--weight-group-size must be 1 or more");
    w.candidates = args.getInt("clip-candidates", w.candidates);
    if (w.candidates < 1) throw InputError("--clip-candidates must be 1 or more");

    ActivationCalibrationOptions& a = options.activations;
    a.method = parseActivationRange(
        args.choice("activation-calibration", activationRangeName(a.method)));
    a.percentile = args.getDouble("activation-percentile", a.percentile);
    a.groups = args.getInt("activation-groups", a.groups);
    a.outlierRatio = args.getDouble("outlier-ratio", a.outlierRatio);
    a.groupsAllLayers = args.has("activation-groups-all");

    // Calibration audio: the analysed folder (or --audio), its tune clips when the analysis recorded
    // a split, narrowed to the allocation's speaker or speaker group.
    std::unique_ptr<AudioCorpus> corpus;
    if (options.activationBits > 0 || w.method == WeightRange::Cosine || r.method != WeightRounding::Nearest) {
        const std::string audio = args.get("audio", analysis.audioRoot);
        if (audio.empty()) throw InputError("the analysis names no audio folder: pass --audio DIR");
        corpus = std::make_unique<AudioCorpus>(
            scanCorpus(args, audio, model.info(), 0, workerMemory(model.info()), options.maxMemory, "export"));
        if (analysis.split.active()) {
            *corpus = ClipSplit::fromRecord(*corpus, analysis.split).tuneCorpus(*corpus);
            std::fprintf(stderr, "export: calibrating on tune clips only (split: %s)\n", analysis.split.description.c_str());
        }
        if (allocation.speaker != kAllSpeakers) {
            const std::vector<std::string> members = analysis.membersOf(allocation.speaker);
            corpus->selectSpeakers(members.empty() ? std::vector<std::string>{allocation.speaker} : members);
        }
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
    if (s.onnx.written)
        std::fprintf(stderr,
                     "model.onnx %.3f MB (opset %d): %d INT4, %d INT8, %d INT16 weight layers; graph structure %.3f MB\n",
                     double(s.onnx.fileBytes) / (1024.0 * 1024.0), s.onnx.opset, s.onnx.int4Layers, s.onnx.int8Layers,
                     s.onnx.int16Layers, double(s.onnx.structureBytes) / (1024.0 * 1024.0));
    return 0;
}

}  // namespace qs::cli
