// A TorchScript speech model behind a plain C++ interface (no LibTorch types), so Qt code can hold
// one. Loading discovers the quantizable layers and prepares an instrumented copy of the forward
// graph in which every layer output passes through an observer that reports it to a LayerSink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model/model_info.h"

namespace qs {

// Receives layer outputs during forwardObserved(). Block layout is [outer][channels][inner], the
// convention of ActivationStats::add. Called on the thread that runs the forward pass.
class LayerSink {
public:
    virtual ~LayerSink() = default;
    virtual void observe(int layer, const float* data, std::size_t outer, std::size_t channels,
                         std::size_t inner) = 0;

    // A sink that returns true here also receives each layer's input (before any activation
    // quantization), laid out the same way: channels are the input features (Linear) or input
    // channels (Conv). Calibration uses this; analysis does not pay for it.
    virtual bool wantsInputs() const { return false; }
    virtual void observeInput(int /*layer*/, const float* /*data*/, std::size_t /*outer*/,
                              std::size_t /*channels*/, std::size_t /*inner*/) {}

    // The same input with its whole shape (a convolution's [batch, channels, spatial...], a linear
    // layer's [..., features]) and its channel axis (1, or -1 for linear layers), for sinks that need
    // the spatial layout. The default hands it to observeInput as [outer][channels][inner].
    virtual void observeInputTensor(int layer, const float* data, const std::vector<std::int64_t>& shape, int axis) {
        const std::size_t dims = shape.size(), ax = std::size_t(axis < 0 ? axis + int(dims) : axis);
        if (ax >= dims) return;
        std::size_t outer = 1, inner = 1;
        for (std::size_t i = 0; i < ax; ++i) outer *= std::size_t(shape[i]);
        for (std::size_t i = ax + 1; i < dims; ++i) inner *= std::size_t(shape[i]);
        observeInput(layer, data, outer, std::size_t(shape[ax]), inner);
    }
};

// A replacement weight for one layer during a forward pass: `values` has the layer's weight shape,
// row-major, output channels first (as layerWeight() returns it) and must outlive the call.
struct WeightOverride {
    int layer = 0;
    const std::vector<float>* values = nullptr;
};

// Fake-quantization of one layer's input during a forward pass: per tensor, affine, exactly
// at::fake_quantize_per_tensor_affine(x, scale, zeroPoint, qmin, qmax).
// With channelScales given, per channel instead (per-embedding-group quantization gives every channel
// its group's parameters): at::fake_quantize_per_channel_affine(x, channelScales, channelZeroPoints
// as int32, axis, qmin, qmax), axis being the input's channel dimension (1 for convolutions, the last
// for linear layers); scale and zeroPoint are then unused. Both vectors hold one entry per input
// channel; a count that differs from the layer's input channels is a ModelError naming the layer.
struct ActivationQuant {
    int layer = 0;
    float scale = 1.0f;
    std::int64_t zeroPoint = 0;
    std::int64_t qmin = 0;
    std::int64_t qmax = 255;
    std::vector<float> channelScales{};            // empty: per tensor
    std::vector<std::int64_t> channelZeroPoints{};  // same size as channelScales
};

// One parameter of the module tree, as floats.
struct ModelParameter {
    std::string name;                 // e.g. "encoder.layers.0.fc1.bias"
    std::vector<std::int64_t> shape;
    std::vector<float> values;
    int layer = -1;                   // index into ModelInfo::layers when this is a layer's weight
};

struct ModelOutput {
    std::vector<std::int64_t> shape;  // e.g. [1, frames, vocabulary] for a CTC model
    std::vector<float> values;        // row-major
};

class SpeechModel {
public:
    // Loads a TorchScript file and its optional model.json metadata, finds the quantizable layers,
    // checks that forward accepts a [1, samples] float waveform and measures how a pass's memory grows
    // with its length (info().memory, core/model/forward_memory.h). Throws ModelError with one readable
    // sentence: not a TorchScript file, no forward method, rejected input, no quantizable layers;
    // Cancelled when this thread's cancel flag is set while it reads the file or runs the probe pass.
    static SpeechModel load(const std::string& path);

    SpeechModel(SpeechModel&&) noexcept;
    SpeechModel& operator=(SpeechModel&&) noexcept;
    ~SpeechModel();

    const ModelInfo& info() const { return *info_; }  // inline: Qt code reads it without the engine

    // The model's own forward pass on a mono waveform at info().sampleRate. Thread-safe.
    // Every pass below checks this thread's cancel flags (core/base/cancel.h) at each layer boundary
    // and throws Cancelled there when one is set; the model is unharmed.
    ModelOutput forward(const std::vector<float>& wave) const;

    // The same pass through the instrumented graph: every quantizable layer's output is handed to
    // sink before the network goes on. The output equals forward()'s. Thread-safe; sinks are per call.
    ModelOutput forwardObserved(const std::vector<float>& wave, LayerSink& sink) const;

    // A forward pass in which the listed layers compute with replacement weights and every other
    // layer with its own; the model itself is not modified, so concurrent calls may each replace
    // different layers. sink may be null. Throws InputError on a wrong layer index or size.
    ModelOutput forwardWithWeights(const std::vector<float>& wave, const std::vector<WeightOverride>& overrides,
                                   LayerSink* sink = nullptr,
                                   const std::vector<ActivationQuant>& activations = {}) const;

    // Writes a TorchScript model that computes what forwardWithWeights(wave, overrides, nullptr,
    // activations) computes, with standard ATen operators only (the weights replaced by the given
    // values, aten::fake_quantize_per_tensor_affine or, for per-channel quantizers,
    // aten::fake_quantize_per_channel_affine before the listed layers), loadable by stock
    // PyTorch and LibTorch without quantscope. Carries model.json with extraMetadata merged in.
    // Written atomically. Throws ModelError / InputError.
    void exportQuantized(const std::string& path, const std::vector<WeightOverride>& overrides,
                         const std::vector<ActivationQuant>& activations,
                         const std::string& extraMetadataJson = "{}") const;

    // The model tools/onnx/export_onnx.py hands to torch.onnx.export: what exportQuantized writes
    // (overrides must put every tagged weight on its grid), with each tagged layer's weight passed
    // through aten::fake_quantize_per_channel_affine(w, scales, 0, axis 0, -128, 127) (one scale:
    // ..._per_tensor_affine), and activation quantizers narrower than 8 bits written as a clamp to
    // their range before an 8-bit one of the same scale and zero point, since torch 1.13's exporter
    // accepts only 8-bit ranges. Throws InputError for activation quantizers wider than 8 bits.
    struct WeightTag {
        int layer = 0;
        std::vector<float> scales;  // one per output channel, or one
    };
    void exportOnnxSource(const std::string& path, const std::vector<WeightOverride>& overrides,
                          const std::vector<ActivationQuant>& activations, const std::vector<WeightTag>& tags) const;

    // Every parameter of the module tree, in the module's order (a copy: checks for a cancel request
    // between parameters).
    std::vector<ModelParameter> parameters() const;

    // Layer i's weight (info().layers[i]) as row-major floats, output channels first.
    std::vector<float> layerWeight(int layer) const;

private:
    struct Impl;
    explicit SpeechModel(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> d;
    const ModelInfo* info_ = nullptr;  // d->info
};

// Threads LibTorch may use for one operator, on the calling thread (0 = every core).
void setComputeThreads(int threads);
int hardwareThreads();

}  // namespace qs
