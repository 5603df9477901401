// Samples of quantized layers' inputs taken on calibration clips, and the layer outputs they give,
// for the cosine weight-clipping search (core/quantize/weight_calibration.h). Internal to core.
//
// Deterministic whatever the thread count: every clip contributes the same rows at the same
// positions, and samples are put together in clip order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/model/speech_model.h"

namespace qs::detail {

// What one clip gave one layer: `rows` input vectors of `channels` values (linear), or a segment of
// `length` time steps of a [channels, length] input (conv1d).
struct InputSample {
    std::int64_t channels = 0;
    std::int64_t rows = 0;     // linear
    std::int64_t length = 0;   // conv1d
    std::vector<float> values;
};

// Per worker: set clip before each forward pass. Linear layers keep perClip rows evenly spread
// over the clip's frames; conv1d layers one centred segment giving perClip output positions.
class InputSampler : public LayerSink {
public:
    InputSampler(const ModelInfo& info, const std::vector<bool>& wanted, int perClip);
    void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
    bool wantsInputs() const override { return true; }
    void observeInput(int layer, const float* data, std::size_t outer, std::size_t channels,
                      std::size_t inner) override;

    int clip = 0;
    std::map<std::pair<int, int>, InputSample> samples;  // (layer, clip) -> sample

private:
    const ModelInfo& info_;
    std::vector<bool> wanted_;
    int perClip_;
};

// One layer's samples, ready to compute its output for any weight.
class LayerOutputProbe {
public:
    // kind is "linear" or "conv1d"; weightShape the layer's weight shape.
    LayerOutputProbe(const std::string& kind, const std::vector<std::int64_t>& weightShape,
                     std::vector<InputSample> samples);
    ~LayerOutputProbe();
    LayerOutputProbe(LayerOutputProbe&&) noexcept;

    // Cosine similarity of the output with weight w against the output with the float weight
    // given first to setReference(). Both weights are row-major in weightShape.
    void setReference(const std::vector<float>& w);
    double cosine(const std::vector<float>& w) const;
    std::int64_t positions() const;  // rows / output positions the cosine is measured on

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace qs::detail
