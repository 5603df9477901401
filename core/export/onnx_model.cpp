// writeOnnxModel() (onnx_export.h): the ONNX-ready TorchScript model and the spec, then
// tools/onnx/export_onnx.py as a child process.
#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/export/onnx_export.h"
#include "core/model/speech_model.h"

namespace qs {
namespace fs = std::filesystem;

namespace {

// The scales the exporter's weight fake-quantizer carries: per channel or per tensor as calibrated;
// for per-group weights each channel's largest group scale (the rewrite replaces that quantizer by
// a blocked DequantizeLinear with the real group scales, so it only marks the weight).
std::vector<float> tagScales(const OnnxLayerSpec& l) {
    if (l.granularity != Granularity::PerGroup) return l.scales;
    const std::size_t out = std::size_t(l.shape.at(0)), groups = l.scales.size() / out;
    std::vector<float> s(out, 0.0f);
    for (std::size_t c = 0; c < out; ++c)
        for (std::size_t g = 0; g < groups; ++g) s[c] = std::max(s[c], l.scales[c * groups + g]);
    return s;
}

}  // namespace

OnnxSummary writeOnnxModel(const SpeechModel& model, const std::vector<OnnxLayerSpec>& layers,
                           const std::vector<WeightOverride>& overrides, const std::vector<ActivationQuant>& activations,
                           const nlohmann::json& quantizerArgs, const std::string& dir, const ProgressFn& progress) {
    const auto start = std::chrono::steady_clock::now();
    const std::string tool = onnxToolPath();
    std::vector<SpeechModel::WeightTag> tags;
    const ModelInfo& info = model.info();
    for (const OnnxLayerSpec& l : layers) {
        int index = -1;
        for (std::size_t i = 0; i < info.layers.size(); ++i)
            if (info.layers[i].name == l.name) index = int(i);
        if (index < 0) throw InputError("ONNX export: no layer " + l.name);
        tags.push_back({index, tagScales(l)});
    }
    const fs::path d(dir);
    const std::string src = (d / ".onnx-source.pt").string(), spec = (d / ".onnx-spec.json").string(),
                      summary = (d / ".onnx-summary.json").string(), log = (d / ".onnx-stderr.txt").string();
    auto cleanup = [&] {
        std::error_code ec;
        for (const std::string& f : {src, spec, summary, log}) fs::remove(f, ec);
    };
    try {
        report(progress, {0, 0, 0, "writing the ONNX exporter's model"});
        model.exportOnnxSource(src, overrides, activations, tags);
        writeJsonAtomic(spec, onnxSpecJson(layers, quantizerArgs));
        runOnnxTool({tool, "--model", src, "--out", (d / "model.onnx").string(), "--spec", spec, "--encodings",
                     (d / "model.encodings").string(), "--summary", summary},
                    log, progress);
        OnnxSummary s = parseOnnxSummary(readJson(summary));
        s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        cleanup();
        return s;
    } catch (...) {
        cleanup();
        throw;
    }
}

}  // namespace qs
