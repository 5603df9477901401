// exportQuantizedModel(): calibration, then model.pt, weights.safetensors, encodings.json and
// report.csv into a new folder.
#include "core/export/quantized_export.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/export/calibration_record.h"
#include "core/model/clip_runner.h"
#include "core/export/export_report.h"
#include "core/base/json_io.h"
#include "core/base/number_text.h"
#include "core/base/version.h"
#include "core/export/packed_weights.h"
#include "core/quantize/learned_rounding.h"
#include "core/quantize/quantizer.h"

namespace qs {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxPackedBits = 16;


// "asymmetric per_tensor mse, per_embedding_group (6) where max/median channel range > 8".
std::string activationQuantizerName(const ExportOptions& o) {
    if (o.activationBits <= 0) return "none";
    const ActivationCalibrationOptions& a = o.activations;
    std::string name = "asymmetric per_tensor " + activationRangeName(a.method);
    if (a.method == ActivationRange::Percentile) name += " " + numberText(a.percentile);
    if (a.groups > 0)
        name += ", per_embedding_group (" + std::to_string(a.groups) + ")" +
                (a.groupsAllLayers ? " on every layer" : " where max/median channel range > " + numberText(a.outlierRatio));
    return name;
}

// AIMET-style list: one encoding per tensor, or one per input channel (its group's) when grouped.
nlohmann::json activationEncodingsJson(const ActivationEncoding& e) {
    auto one = [&](float lo, float hi, float scale, std::int64_t zp) {
        return nlohmann::json{{"bitwidth", e.bits}, {"dtype", "int"}, {"is_symmetric", "False"}, {"min", lo},
                              {"max", hi}, {"offset", -zp}, {"scale", scale}, {"zero_point", zp}};
    };
    nlohmann::json list = nlohmann::json::array();
    if (e.groups == 0) {
        list.push_back(one(e.min, e.max, e.scale, e.zeroPoint));
    } else {
        for (int g : e.channelGroup) {
            const std::size_t k = std::size_t(g);
            list.push_back(one(e.groupMin[k], e.groupMax[k], e.groupScale[k], e.groupZeroPoint[k]));
        }
    }
    return list;
}

// Everything the activation calibration found for one layer input.
nlohmann::json inputJson(const ActivationEncoding& e) {
    nlohmann::json j = {{"bits", e.bits}, {"scheme", "asymmetric"},
                        {"granularity", e.groups > 0 ? "per_embedding_group" : "per_tensor"},
                        {"calibration", e.method}, {"observed_min", e.observedMin}, {"observed_max", e.observedMax},
                        {"min", e.min}, {"max", e.max}, {"scale", e.scale}, {"zero_point", e.zeroPoint},
                        {"mse", e.mse}, {"values", e.count}, {"channels", e.channels},
                        {"max_channel_range", e.maxChannelRange}, {"median_channel_range", e.medianChannelRange},
                        {"outlier", e.outlier}};
    if (e.groups > 0) {
        j["groups"] = e.groups;
        j["channel_group"] = e.channelGroup;
        j["group_min"] = e.groupMin;
        j["group_max"] = e.groupMax;
        j["group_scale"] = e.groupScale;
        j["group_zero_point"] = e.groupZeroPoint;
        if (e.groupMse >= 0) j["group_mse"] = e.groupMse;
    }
    return j;
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
                                {"weight_rounding", weightRoundingName(e.rounding)},
                                {"clip_factors", e.clipFactors}, {"weight_mse", e.weightMse}};
        if (e.rounding != WeightRounding::Nearest)
            layer["rounding"] = {{"output_error", e.outputError}, {"nearest_output_error", e.nearestOutputError},
                                 {"rows", e.roundingRows}, {"kept_nearest", e.keptNearest}, {"seconds", e.roundingSeconds}};
        if (e.granularity == Granularity::PerGroup) layer["group_size"] = e.groupSize;
        if (e.outputCosine >= -1.0) layer["output_cosine"] = e.outputCosine;
        if (e.input.on) {
            acts[e.name + ".input"] = activationEncodingsJson(e.input);
            layer["input"] = inputJson(e.input);
        }
        perLayer[e.name] = layer;
    }
    return {{"version", "0.6.1"},
            {"quantizer", {{"tool", "quantscope"}, {"tool_version", versionText()},
                           {"weights", "symmetric " + granularityName(o.weights.granularity) + " " +
                                           weightRangeName(o.weights.method) + ", " +
                                           weightRoundingName(o.rounding.method) + " rounding"},
                           {"activations", activationQuantizerName(o)},
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
        {"order", orderName(a.order)}, {"min_bits_floor", std::to_string(a.minBits)}, {"spread", std::to_string(a.spread)},
        {"split", analysis.split.description},
        {"target_mb", std::to_string(a.targetMb)}, {"size_mb", std::to_string(s.sizeModelMb)},
        {"fit_files_mb", a.fitFiles ? std::to_string(a.filesMb) : ""},
        {"float_size_mb", std::to_string(a.floatSizeMb)}, {"compression_ratio", std::to_string(a.compressionRatio)},
        {"avg_bits", std::to_string(a.averageBits)}, {"mean_layer_bits", std::to_string(mean)},
        {"min_layer_bits", std::to_string(bits.empty() ? 32 : *std::min_element(bits.begin(), bits.end()))},
        {"max_layer_bits", std::to_string(bits.empty() ? 32 : *std::max_element(bits.begin(), bits.end()))},
        {"std_layer_bits", std::to_string(std::sqrt(var))},
        {"weight_calibration", weightRangeName(w.method)},
        {"weight_granularity", granularityName(w.granularity)},
        {"weight_group_size", w.granularity == Granularity::PerGroup ? std::to_string(w.groupSize) : ""},
        {"clip_candidates", w.method == WeightRange::MinMax ? "" : std::to_string(w.candidates)},
        {"weight_rounding", weightRoundingName(o.rounding.method)},
        {"rounding_mode", o.rounding.method == WeightRounding::Nearest ? "" : o.rounding.sequential ? "sequential" : "independent"},
        {"rounding_iterations", o.rounding.method == WeightRounding::AdaRound ? std::to_string(o.rounding.adaround.iterations) : ""},
        {"rounding_seconds", o.rounding.method == WeightRounding::Nearest ? "" : std::to_string(s.roundingSeconds)},
        {"activation_calibration", o.activationBits > 0 ? activationRangeName(o.activations.method) : "none"},
        {"activation_percentile",
         o.activationBits > 0 && o.activations.method == ActivationRange::Percentile ? numberText(o.activations.percentile) : ""},
        {"activation_groups", o.activationBits > 0 ? std::to_string(o.activations.groups) : ""},
        {"activation_grouped_layers", o.activationBits > 0 ? std::to_string(s.groupedLayers) : ""},
        {"activation_bits", std::to_string(o.activationBits)}, {"calibration_clips", std::to_string(s.calibrationClips)},
        {"skipped_clips", std::to_string(s.skipped.size())},
        {"analysis_seconds", std::to_string(analysis.elapsedSeconds)},
        {"calibration_seconds", std::to_string(s.calibrationSeconds)}, {"export_seconds", std::to_string(s.exportSeconds)},
        {"packed_mb", std::to_string(s.packedMb)}, {"overhead_mb", std::to_string(s.overheadMb)},
        {"onnx_mb", s.onnx.written ? std::to_string(double(s.onnx.fileBytes) / (1024.0 * 1024.0)) : ""},
        {"onnx_opset", s.onnx.written ? std::to_string(s.onnx.opset) : ""}};
    for (auto& f : versionFields()) row.push_back(std::move(f));
    for (auto& f : emptyEvaluationFields()) row.push_back(std::move(f));
    row.emplace_back("layer_bits", perLayer);
    return row;
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

std::vector<const Clip*> pickCalibrationClips(const AudioCorpus& corpus, int perSpeaker) {
    std::vector<const Clip*> clips;
    for (const Speaker& s : corpus.speakers()) {
        const std::size_t n = s.clips.size();
        const std::size_t k = perSpeaker <= 0 ? n : std::min(n, std::size_t(perSpeaker));
        for (std::size_t i = 0; i < k; ++i) clips.push_back(&s.clips[i * n / k]);
    }
    return clips;
}

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

    const bool cosine = options.weights.method == WeightRange::Cosine;
    const bool learned = options.rounding.method != WeightRounding::Nearest;
    std::vector<const Clip*> clips;
    if (options.activationBits > 0 || cosine || learned) {
        if (!corpus) throw InputError(options.activationBits > 0 ? "activation calibration needs audio"
                                      : cosine ? "the cosine weight calibration needs audio"
                                               : weightRoundingName(options.rounding.method) + " rounding needs calibration audio");
        clips = pickCalibrationClips(*corpus, options.calibrationClips);
        for (const Clip* c : clips) summary.calibrationFiles.push_back(calibrationFileKey(c->path));
        std::sort(summary.calibrationFiles.begin(), summary.calibrationFiles.end());
        summary.calibrationFiles.erase(std::unique(summary.calibrationFiles.begin(), summary.calibrationFiles.end()),
                                       summary.calibrationFiles.end());
    }

    // Activation ranges of every quantized layer's input on the calibration clips.
    const auto calStart = std::chrono::steady_clock::now();
    if (options.activationBits > 0) {
        ActivationCalibrationOptions ao = options.activations;
        ao.bits = options.activationBits;
        ao.threads = options.threads;
        ao.maxMemory = options.maxMemory;
        std::vector<bool> quantizeLayer(info.layers.size());
        for (std::size_t l = 0; l < info.layers.size(); ++l) quantizeLayer[l] = summary.layers[l].bits < 32;
        std::vector<ActivationEncoding> inputs =
            calibrateActivations(model, *corpus, clips, quantizeLayer, ao, progress, &summary.calibrationClips,
                                 &summary.skipped);
        for (std::size_t l = 0; l < info.layers.size(); ++l) {
            summary.layers[l].input = std::move(inputs[l]);
            summary.groupedLayers += summary.layers[l].input.on && summary.layers[l].input.groups > 0;
        }
    }

    // Weights: symmetric, clipping range calibrated; the safetensors entries and the TorchScript
    // overrides come from the same codes.
    WeightCalibrationOptions wo = options.weights;
    wo.threads = options.threads;
    wo.maxMemory = options.maxMemory;
    std::vector<int> quantizedBits(info.layers.size());
    for (std::size_t l = 0; l < info.layers.size(); ++l) quantizedBits[l] = summary.layers[l].bits;
    int weightClips = 0;
    std::vector<WeightEncoding> weights =
        calibrateWeights(model, quantizedBits, corpus, clips, wo, progress, &weightClips,
                         summary.skipped.empty() ? &summary.skipped : nullptr);  // the same clips: listed once
    summary.calibrationClips = std::max(summary.calibrationClips, weightClips);
    if (learned) {  // on the grids just chosen; sequential mode runs the model with its activation quantizers
        std::vector<ActivationQuant> inputs;
        for (const LayerEncoding& e : summary.layers)
            if (e.input.on) inputs.push_back(e.input.quant());
        const LearnedRoundingSummary r = learnRounding(model, weights, *corpus, clips, inputs, wo, options.rounding, progress,
                                                       options.threads);
        summary.calibrationClips = std::max(summary.calibrationClips, r.clipsUsed);
        if (summary.skipped.empty()) summary.skipped = r.skipped;
        summary.roundingSeconds = r.seconds;
        summary.roundedLayers = r.layers;
        summary.keptNearestLayers = r.keptNearest;
        summary.roundingPasses = r.passes;
    }
    summary.calibrationSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - calStart).count();

    // The codes into tensors and files: one long step on a worker, checking for cancel requests
    // between parameters and files, while this thread reports progress (and sees a cancel).
    std::vector<WeightEntry> entries;
    std::vector<ActivationQuant> acts;
    std::vector<OnnxLayerSpec> onnxLayers;
    summary.sizeModelMb = SizeModel::fromModel(info).sizeMb(layerBits);
    const fs::path tmp = outDir + ".tmp." + std::to_string(::getpid());
    std::error_code ec;
    try {
        nlohmann::json encodings;
        runCancellable([&] {
            for (const ModelParameter& p : model.parameters()) {
                throwIfCancelled();
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
                e.rounding = w.rounding;
                e.outputError = w.outputError;
                e.nearestOutputError = w.nearestOutputError;
                e.roundingRows = w.roundingRows;
                e.keptNearest = w.keptNearest;
                e.roundingSeconds = w.roundingSeconds;
                onnxLayers.push_back({e.name, p.name, e.bits, e.granularity, e.groupSize, p.shape, e.weightScales,
                                      e.input.on ? &e.input : nullptr});
                WeightEntry entry{e.name, p.shape, {}, std::move(w.codes)};
                qweights[std::size_t(p.layer)] = dequantize(entry);
                entries.push_back(std::move(entry));
            }
            for (std::size_t l = 0; l < info.layers.size(); ++l) {
                const LayerEncoding& e = summary.layers[l];
                if (!qweights[l].empty()) overrides.push_back({int(l), &qweights[l]});
                if (e.input.on) acts.push_back(e.input.quant());
            }

            fs::remove_all(tmp, ec);
            fs::create_directories(tmp, ec);
            if (ec) throw InputError("cannot create " + tmp.string() + ": " + ec.message());
            nlohmann::json meta = {{"quantscope", {{"speaker", allocation.speaker}, {"metric", metricName(allocation.metric)},
                                                   {"target_mb", allocation.targetMb}, {"size_mb", summary.sizeModelMb},
                                                   {"activation_bits", options.activationBits}}}};
            model.exportQuantized((tmp / "model.pt").string(), overrides, acts, meta.dump());
            throwIfCancelled();
            const PackedSize packed = writePackedWeights((tmp / "weights.safetensors").string(), entries,
                                                         {{"format", "quantscope"}, {"speaker", allocation.speaker}});
            summary.packedMb = double(packed.codeBytes + packed.floatBytes) / (1024.0 * 1024.0);
            summary.overheadMb = double(packed.quantParamBytes + packed.headerBytes) / (1024.0 * 1024.0);
            throwIfCancelled();
            encodings = encodingsJson(summary.layers, allocation, options);
            encodings["calibration_clips"] = summary.calibrationFiles;
            writeJsonAtomic((tmp / "encodings.json").string(), encodings);
            throwIfCancelled();
        }, progress, {0, 0, 0, "writing " + outDir});
        // ONNX: torch.onnx.export in a child process, which reports its own progress (and stops on cancel).
        if (options.onnx)
            summary.onnx = writeOnnxModel(model, onnxLayers, overrides, acts, encodings["quantizer"], tmp.string(), progress);
        summary.exportSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        writeFileAtomic((tmp / "report.csv").string(), reportCsv(reportRow(analysis, allocation, summary, options)));
        publish(tmp, outDir);
    } catch (const InputError& e) {
        // A write failed (full disk, file-size limit): name the export's file, not the temporary one.
        fs::remove_all(tmp, ec);
        std::string what = e.what();
        for (auto pos = what.find(tmp.string()); pos != std::string::npos; pos = what.find(tmp.string(), pos))
            what.replace(pos, tmp.string().size(), outDir);
        throw InputError(what + "; nothing was written");
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
    return summary;
}

}  // namespace qs
