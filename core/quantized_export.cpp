#include "core/quantized_export.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <unistd.h>

#include "core/clip_runner.h"
#include "core/errors.h"
#include "core/export_report.h"
#include "core/json_io.h"
#include "core/packed_weights.h"
#include "core/quantizer.h"

namespace qs {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxPackedBits = 16;

// Per layer min/max of the layer's input, for one worker.
class InputRangeSink : public LayerSink {
public:
    explicit InputRangeSink(std::size_t layers) : lo(layers, INFINITY), hi(layers, -INFINITY) {}
    void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
    bool wantsInputs() const override { return true; }
    void observeInput(int layer, const float* d, std::size_t o, std::size_t c, std::size_t i) override {
        float& l = lo[std::size_t(layer)];
        float& h = hi[std::size_t(layer)];
        for (std::size_t k = 0; k < o * c * i; ++k)
            if (std::isfinite(d[k])) l = std::min(l, d[k]), h = std::max(h, d[k]);
    }
    std::vector<float> lo, hi;
};

// Asymmetric per-tensor parameters as PyTorch's MinMaxObserver derives them.
void setInputQuantizer(LayerEncoding& e, float lo, float hi, int bits) {
    lo = std::min(lo, 0.0f);
    hi = std::max(hi, 0.0f);
    const std::int64_t qmax = (std::int64_t(1) << bits) - 1;
    float scale = (hi - lo) / float(qmax);
    if (!(scale > 1e-12f)) scale = 1.0f;
    e.quantizeInput = true;
    e.inputBits = bits;
    e.inputMin = lo;
    e.inputMax = hi;
    e.inputScale = scale;
    e.inputZeroPoint = std::clamp<std::int64_t>(std::int64_t(std::nearbyint(-lo / scale)), 0, qmax);
}

nlohmann::json encodingsJson(const std::vector<LayerEncoding>& layers, const Allocation& a, const ExportOptions& o) {
    nlohmann::json params = nlohmann::json::object(), acts = nlohmann::json::object();
    nlohmann::json perLayer = nlohmann::json::object();
    for (const LayerEncoding& e : layers) {
        if (e.bits >= 32) continue;
        const std::int64_t qmax = (std::int64_t(1) << (e.bits - 1)) - 1;
        nlohmann::json scales = nlohmann::json::array();
        for (float s : e.weightScales)
            scales.push_back({{"bitwidth", e.bits}, {"dtype", "int"}, {"is_symmetric", "True"},
                              {"min", -double(s) * double(qmax + 1)}, {"max", double(s) * double(qmax)},
                              {"offset", -(qmax + 1)}, {"scale", s}});
        params[e.name + ".weight"] = scales;
        nlohmann::json layer = {{"bits", e.bits}, {"scheme", "symmetric"}, {"granularity", granularityName(e.granularity)},
                                {"weight_calibration", weightRangeName(e.weightMethod)},
                                {"clip_factors", e.clipFactors}, {"weight_mse", e.weightMse}};
        if (e.granularity == Granularity::PerGroup) layer["group_size"] = e.groupSize;
        if (e.outputCosine >= -1.0) layer["output_cosine"] = e.outputCosine;
        if (e.quantizeInput) {
            acts[e.name + ".input"] = nlohmann::json::array(
                {{{"bitwidth", e.inputBits}, {"dtype", "int"}, {"is_symmetric", "False"}, {"min", e.inputMin},
                  {"max", e.inputMax}, {"offset", -e.inputZeroPoint}, {"scale", e.inputScale},
                  {"zero_point", e.inputZeroPoint}}});
            layer["input"] = {{"bits", e.inputBits}, {"scheme", "asymmetric"}, {"granularity", "per_tensor"},
                              {"calibration", "minmax"}, {"min", e.inputMin}, {"max", e.inputMax}};
        }
        perLayer[e.name] = layer;
    }
    return {{"version", "0.6.1"},
            {"quantizer", {{"tool", "quantscope"},
                           {"weights", "symmetric " + granularityName(o.weights.granularity) + " " +
                                           weightRangeName(o.weights.method)},
                           {"activations", o.activationBits > 0 ? "asymmetric per_tensor minmax" : "none"},
                           {"metric", metricName(a.metric)}, {"order", orderName(a.order)}, {"speaker", a.speaker}}},
            {"param_encodings", params},
            {"activation_encodings", acts},
            {"layers", perLayer}};
}

ReportRow reportRow(const Analysis& analysis, const Allocation& a, const ExportSummary& s, const ExportOptions& o) {
    std::vector<double> bits;
    for (const LayerBits& l : a.layers)
        if (l.included) bits.push_back(l.bits);
    double mean = 0, var = 0;
    for (double b : bits) mean += b / double(bits.size());
    for (double b : bits) var += (b - mean) * (b - mean) / double(bits.size());
    std::string perLayer;
    for (const LayerBits& l : a.layers) perLayer += (perLayer.empty() ? "" : ";") + std::to_string(l.bits);
    const WeightCalibrationOptions& w = o.weights;
    ReportRow row{
        {"model", analysis.model.path}, {"speaker", a.speaker}, {"metric", metricName(a.metric)},
        {"order", orderName(a.order)}, {"min_bits_floor", std::to_string(a.minBits)},
        {"target_mb", std::to_string(a.targetMb)}, {"size_mb", std::to_string(s.sizeModelMb)},
        {"float_size_mb", std::to_string(a.floatSizeMb)}, {"compression_ratio", std::to_string(a.compressionRatio)},
        {"avg_bits", std::to_string(a.averageBits)}, {"mean_layer_bits", std::to_string(mean)},
        {"min_layer_bits", std::to_string(bits.empty() ? 32 : *std::min_element(bits.begin(), bits.end()))},
        {"max_layer_bits", std::to_string(bits.empty() ? 32 : *std::max_element(bits.begin(), bits.end()))},
        {"std_layer_bits", std::to_string(std::sqrt(var))},
        {"weight_calibration", weightRangeName(w.method)},
        {"weight_granularity", granularityName(w.granularity)},
        {"weight_group_size", w.granularity == Granularity::PerGroup ? std::to_string(w.groupSize) : ""},
        {"clip_candidates", w.method == WeightRange::MinMax ? "" : std::to_string(w.candidates)},
        {"activation_calibration", o.activationBits > 0 ? "minmax_per_tensor_asymmetric" : "none"},
        {"activation_bits", std::to_string(o.activationBits)}, {"calibration_clips", std::to_string(s.calibrationClips)},
        {"analysis_seconds", std::to_string(analysis.elapsedSeconds)},
        {"calibration_seconds", std::to_string(s.calibrationSeconds)}, {"export_seconds", std::to_string(s.exportSeconds)},
        {"packed_mb", std::to_string(s.packedMb)}, {"overhead_mb", std::to_string(s.overheadMb)}};
    for (auto& f : emptyEvaluationFields()) row.push_back(std::move(f));
    row.emplace_back("layer_bits", perLayer);
    return row;
}

void writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw InputError("cannot write " + path);
}

// Replaces outDir by the finished temporary folder; an existing outDir is removed only afterwards.
void publish(const fs::path& tmp, const fs::path& outDir) {
    std::error_code ec;
    fs::path old;
    if (fs::exists(outDir)) {
        old = outDir.string() + ".old." + std::to_string(::getpid());
        fs::rename(outDir, old, ec);
        if (ec) throw InputError("cannot replace " + outDir.string() + ": " + ec.message());
    }
    fs::rename(tmp, outDir, ec);
    if (ec) {
        if (!old.empty()) fs::rename(old, outDir, ec);
        throw InputError("cannot write " + outDir.string());
    }
    if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace

ExportSummary exportQuantizedModel(const SpeechModel& model, const Analysis& analysis, const Allocation& allocation,
                                   const AudioCorpus* corpus, const ExportOptions& options, const std::string& outDir,
                                   const ProgressFn& progress) {
    const auto start = std::chrono::steady_clock::now();
    const ModelInfo& info = model.info();
    if (allocation.layers.size() != info.layers.size())
        throw InputError("the allocation has " + std::to_string(allocation.layers.size()) + " layers, the model " +
                         std::to_string(info.layers.size()) + ": were they made from another model?");
    for (std::size_t l = 0; l < info.layers.size(); ++l)
        if (allocation.layers[l].name != info.layers[l].name)
            throw InputError("allocation layer " + allocation.layers[l].name + " is not the model's layer " +
                             info.layers[l].name);
    if (options.activationBits != 0 && (options.activationBits < 2 || options.activationBits > 16))
        throw InputError("activation bits must be 0 (off) or 2..16");
    // The folder is replaced as a whole; what must be writable is the folder it goes into.
    const fs::path parent = fs::path(outDir).parent_path();
    checkWritable((parent.empty() ? fs::path(".") : parent).string() + "/" + fs::path(outDir).filename().string() + ".tmp");

    ExportSummary summary;
    summary.dir = outDir;
    std::vector<std::vector<float>> qweights(info.layers.size());
    std::vector<WeightOverride> overrides;
    std::vector<int> layerBits(info.layers.size(), 32);
    summary.layers.resize(info.layers.size());
    for (std::size_t l = 0; l < info.layers.size(); ++l) {
        LayerEncoding& e = summary.layers[l];
        e.name = info.layers[l].name;
        layerBits[l] = allocation.layers[l].bits;
        e.bits = allocation.layers[l].bits <= kMaxPackedBits ? allocation.layers[l].bits : 32;
    }

    // The calibration clips: the first calibrationClips of every speaker.
    const bool cosine = options.weights.method == WeightRange::Cosine;
    std::vector<const Clip*> clips;
    if (options.activationBits > 0 || cosine) {
        if (!corpus) throw InputError(options.activationBits > 0 ? "activation calibration needs audio"
                                                                  : "the cosine weight calibration needs audio");
        for (const Speaker& s : corpus->speakers())
            for (std::size_t i = 0; i < s.clips.size() && (options.calibrationClips <= 0 || int(i) < options.calibrationClips); ++i)
                clips.push_back(&s.clips[i]);
    }

    // Activation ranges on the calibration clips.
    const auto calStart = std::chrono::steady_clock::now();
    if (options.activationBits > 0) {
        std::vector<InputRangeSink> sinks(std::size_t(clipWorkers(clips.size(), options.threads)),
                                          InputRangeSink(info.layers.size()));
        std::mutex mutex;
        runClips(clips, options.threads, [&](int worker, const Clip& clip) {
            try {
                model.forwardObserved(corpus->load(clip), sinks[std::size_t(worker)]);
                std::lock_guard<std::mutex> lock(mutex);
                ++summary.calibrationClips;
            } catch (const AudioError&) {
            }
        }, progress, Progress{0, clips.size(), 0, "calibration"});
        if (summary.calibrationClips == 0) throw InputError("no calibration clip could be decoded");
        for (std::size_t l = 0; l < info.layers.size(); ++l) {
            float lo = INFINITY, hi = -INFINITY;
            for (const auto& s : sinks) lo = std::min(lo, s.lo[l]), hi = std::max(hi, s.hi[l]);
            if (summary.layers[l].bits < 32 && std::isfinite(lo) && std::isfinite(hi))
                setInputQuantizer(summary.layers[l], lo, hi, options.activationBits);
        }
    }

    // Weights: symmetric, clipping range calibrated; the safetensors entries and the TorchScript
    // overrides come from the same codes.
    WeightCalibrationOptions wo = options.weights;
    wo.threads = options.threads;
    std::vector<int> quantizedBits(info.layers.size());
    for (std::size_t l = 0; l < info.layers.size(); ++l) quantizedBits[l] = summary.layers[l].bits;
    int weightClips = 0;
    std::vector<WeightEncoding> weights =
        calibrateWeights(model, quantizedBits, corpus, clips, wo, progress, &weightClips);
    summary.calibrationClips = std::max(summary.calibrationClips, weightClips);
    summary.calibrationSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - calStart).count();

    std::vector<WeightEntry> entries;
    std::vector<ActivationQuant> acts;
    for (const ModelParameter& p : model.parameters()) {
        if (p.layer < 0 || summary.layers[std::size_t(p.layer)].bits >= 32) {
            entries.push_back({p.name, p.shape, p.values, {}});
            continue;
        }
        if (!qweights[std::size_t(p.layer)].empty()) continue;  // a weight shared by two call sites
        LayerEncoding& e = summary.layers[std::size_t(p.layer)];
        WeightEncoding& w = weights[std::size_t(p.layer)];
        e.weightScales = w.codes.scales;
        e.granularity = w.codes.granularity;
        e.groupSize = w.codes.groupSize;
        e.weightMethod = w.method;
        e.clipFactors = w.clipFactors;
        e.weightMse = w.mse;
        e.outputCosine = w.outputCosine;
        WeightEntry entry{e.name, p.shape, {}, std::move(w.codes)};
        qweights[std::size_t(p.layer)] = dequantize(entry);
        entries.push_back(std::move(entry));
    }
    for (std::size_t l = 0; l < info.layers.size(); ++l) {
        const LayerEncoding& e = summary.layers[l];
        if (!qweights[l].empty()) overrides.push_back({int(l), &qweights[l]});
        if (e.quantizeInput) acts.push_back({int(l), e.inputScale, e.inputZeroPoint, 0, (std::int64_t(1) << e.inputBits) - 1});
    }
    report(progress, {0, 0, 0, "writing " + outDir});

    summary.sizeModelMb = SizeModel::fromModel(info).sizeMb(layerBits);

    const fs::path tmp = outDir + ".tmp." + std::to_string(::getpid());
    std::error_code ec;
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) throw InputError("cannot create " + tmp.string() + ": " + ec.message());
    try {
        nlohmann::json meta = {{"quantscope", {{"speaker", allocation.speaker}, {"metric", metricName(allocation.metric)},
                                               {"target_mb", allocation.targetMb}, {"size_mb", summary.sizeModelMb},
                                               {"activation_bits", options.activationBits}}}};
        model.exportQuantized((tmp / "model.pt").string(), overrides, acts, meta.dump());
        const PackedSize packed = writePackedWeights((tmp / "weights.safetensors").string(), entries,
                                                     {{"format", "quantscope"}, {"speaker", allocation.speaker}});
        summary.packedMb = double(packed.codeBytes + packed.floatBytes) / (1024.0 * 1024.0);
        summary.overheadMb = double(packed.quantParamBytes + packed.headerBytes) / (1024.0 * 1024.0);
        writeJsonAtomic((tmp / "encodings.json").string(), encodingsJson(summary.layers, allocation, options));
        summary.exportSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        writeText((tmp / "report.csv").string(), reportCsv(reportRow(analysis, allocation, summary, options)));
        publish(tmp, outDir);
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
    return summary;
}

}  // namespace qs
