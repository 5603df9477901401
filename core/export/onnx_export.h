// model.onnx of an export folder (LibTorch-free part). core/export writes an "ONNX-ready" TorchScript
// model (SpeechModel::exportOnnxSource) and a spec of the quantized layers, then runs
// tools/onnx/export_onnx.py with /usr/bin/python3 as a child process: torch.onnx.export at opset 13,
// then python3-onnx rewrites each quantized weight into an integer initializer feeding
// DequantizeLinear (INT4 for 2-4 bits, INT8 for 5-7, UINT8 with zero point 128 for 8: see
// tools/onnx/onnx_rewrite.py, ONNX Runtime saturates uint8 x int8 on x86 without VNNI; INT16 for
// 9-16; opset 21 when INT4, INT16 or per-group scales occur) and writes model.encodings, AIMET's
// format keyed by the ONNX tensor names. The child's stderr becomes one line of the InputError
// thrown on failure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/progress.h"
#include "core/quantize/activation_calibration.h"
#include "core/quantize/quantized_codes.h"

namespace qs {

// One quantized layer as the ONNX rewrite needs it.
struct OnnxLayerSpec {
    std::string name;                 // layer name
    std::string param;                // its weight parameter's name ("a.b.weight", "attn.in_proj_weight")
    int bits = 8;
    Granularity granularity = Granularity::PerChannel;
    std::int64_t groupSize = 0;
    std::vector<std::int64_t> shape;
    std::vector<float> scales;        // channel-major, as in QuantizedCodes
    const ActivationEncoding* input = nullptr;  // its input quantizer when on
};

// What export_onnx.py reports about the file it wrote.
struct OnnxSummary {
    bool written = false;
    int opset = 0;
    std::int64_t fileBytes = 0;
    std::int64_t tensorBytes = 0;     // every initializer's payload
    std::int64_t floatBytes = 0;      // float32 initializers (biases, norms, float layers, scales)
    std::int64_t structureBytes = 0;  // the rest: nodes, names, constants, protobuf framing
    std::int64_t codeBytes = 0, scaleBytes = 0, zeroPointBytes = 0;  // quantized weights
    std::int64_t paddingBits = 0;     // Σ (storage bits - layer bits) × elements
    int int4Layers = 0, int8Layers = 0, int16Layers = 0;
    double seconds = 0;
};

// The spec file's JSON (see tools/onnx/export_onnx.py).
nlohmann::json onnxSpecJson(const std::vector<OnnxLayerSpec>& layers, const nlohmann::json& quantizerArgs);

// export_onnx.py's summary file, parsed. Throws InputError on a malformed one.
OnnxSummary parseOnnxSummary(const nlohmann::json& j);

// The exporter script: $QUANTSCOPE_ONNX_TOOL, else share/quantscope/tools/onnx/export_onnx.py beside
// the installed libraries, else the source tree's tools/onnx/export_onnx.py. Throws InputError naming
// the places looked at when none exists.
std::string onnxToolPath();

// The Python interpreter: $QUANTSCOPE_PYTHON, else /usr/bin/python3 (Debian's, with torch).
std::string pythonPath();

// Runs `python tool args...`, polling progress (which may throw Cancelled: the child is then killed)
// every 100 ms. Throws InputError with the child's last "quantscope-onnx: " line (or its last stderr
// line) when it fails.
void runOnnxTool(const std::vector<std::string>& args, const std::string& stderrPath, const ProgressFn& progress);

}  // namespace qs

namespace qs {

class SpeechModel;
struct WeightOverride;
struct ActivationQuant;

// Engine (LibTorch): writes dir/model.onnx and dir/model.encodings for model with the given
// quantized weights (overrides: every quantized layer's weight on its grid), activation quantizers
// and layer specs, through a temporary ONNX-ready TorchScript file and spec in dir that are removed
// afterwards. Throws InputError (the exporter's one line), ModelError, Cancelled.
OnnxSummary writeOnnxModel(const SpeechModel& model, const std::vector<OnnxLayerSpec>& layers,
                           const std::vector<WeightOverride>& overrides, const std::vector<ActivationQuant>& activations,
                           const nlohmann::json& quantizerArgs, const std::string& dir, const ProgressFn& progress);

}  // namespace qs
