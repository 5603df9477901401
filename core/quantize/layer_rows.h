// Layer inputs for learned rounding, as the rows a weight multiplies: sampled on calibration clips
// through a LayerSink (bounded memory), then laid out as [groups, rows, row length] so that one
// weight row (output channel) of convolution group g times one row of group g is one output value.
// Internal to core (qs_engine); tests use it to check the layout against LibTorch's convolutions.
//
// Sampling, per clip and layer (the first call of a layer in a pass stands for it):
//   linear       rowsPerClip input vectors evenly spread over the clip's frames (all leading
//                dimensions flattened), [rows, in features];
//   convolution  a centred window of the zero-padded input of the first batch element that gives
//                rowsPerClip output positions along the first spatial dimension (conv2d: every
//                position along the second), [channels, span] or [channels, span, padded width].
// Rows of a convolution are its unfolded (im2col) input with the layer's stride, dilation and groups,
// ordered like the flattened weight ([in channels / groups, kernel...]), so stride, padding,
// dilation and groups are respected exactly.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <vector>

#include "core/model/speech_model.h"
#include "core/quantize/rounding_estimate.h"

namespace qs::detail {

struct LayerInputSample {
    std::vector<std::int64_t> shape;  // linear [rows, features]; conv1d [C, span]; conv2d [C, span, width]
    std::vector<float> values;
};

// Per clip: samples the wanted layers' inputs. Layers whose geometry is unknown are not sampled.
class RowSampler : public LayerSink {
public:
    RowSampler(const ModelInfo& info, const std::vector<bool>& wanted, int rowsPerClip);
    void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
    bool wantsInputs() const override { return true; }
    void observeInputTensor(int layer, const float* data, const std::vector<std::int64_t>& shape, int axis) override;

    std::map<int, LayerInputSample> samples;  // layer -> this clip's sample

private:
    const ModelInfo& info_;
    std::vector<bool> wanted_;
    std::int64_t perClip_;
};

// Per clip: how many rows each layer's input offers (all its output positions), shapes only, nothing
// copied; for planning how many layers' samples fit in memory at once.
class RowCounter : public LayerSink {
public:
    explicit RowCounter(const ModelInfo& info) : info_(info) {}
    void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
    bool wantsInputs() const override { return true; }
    void observeInputTensor(int layer, const float* data, const std::vector<std::int64_t>& shape, int axis) override;

    std::map<int, std::int64_t> rows;  // layer -> rows of its first input in the pass

private:
    const ModelInfo& info_;
};

// The input rows of convolution group `group` of a layer (0 for linear layers) from its samples,
// clip order kept: [rows, row length], row length = the weight's elements per output channel; the
// weight rows of that group are output channels [group, group + 1) × out / groups. Throws ModelError
// when a sample does not fit the weight.
at::Tensor layerRows(const LayerInfo& layer, const std::vector<const LayerInputSample*>& samples, std::int64_t group);

// How many rows layerRows gives for these samples (per group).
std::int64_t rowCount(const LayerInfo& layer, const std::vector<const LayerInputSample*>& samples);

}  // namespace qs::detail
