// Sampling layer inputs for learned rounding, and unfolding them into the rows a weight multiplies.
#include "core/quantize/layer_rows.h"

#include <algorithm>
#include <cmath>

#include "core/base/errors.h"

namespace qs::detail {
namespace {

// Output positions of a convolution along one dimension of `length` real inputs, and the padded
// extent one kernel application covers.
struct Axis {
    std::int64_t length = 0, padBegin = 0, padEnd = 0, stride = 1, extent = 1;
    std::int64_t padded() const { return padBegin + length + padEnd; }
    std::int64_t outputs() const { return padded() < extent ? 0 : (padded() - extent) / stride + 1; }
};

Axis axisOf(const LayerInfo& l, std::size_t d, std::int64_t length) {
    return {length, l.padBegin[d], l.padEnd[d], l.stride[d], l.dilation[d] * (l.shape[d + 2] - 1) + 1};
}

std::int64_t spatialDims(const LayerInfo& l) { return std::int64_t(l.shape.size()) - 2; }

}  // namespace

RowSampler::RowSampler(const ModelInfo& info, const std::vector<bool>& wanted, int rowsPerClip)
    : info_(info), wanted_(wanted), perClip_(std::max(1, rowsPerClip)) {}

void RowSampler::observeInputTensor(int layer, const float* data, const std::vector<std::int64_t>& shape, int) {
    if (layer < 0 || std::size_t(layer) >= wanted_.size() || !wanted_[std::size_t(layer)] || samples.count(layer)) return;
    const LayerInfo& l = info_.layers[std::size_t(layer)];
    if (!roundable(l) || shape.empty()) return;
    LayerInputSample s;
    if (l.kind == "linear") {
        const std::int64_t in = shape.back();
        if (in != l.shape[1]) return;
        std::int64_t rows = 1;
        for (std::size_t i = 0; i + 1 < shape.size(); ++i) rows *= shape[i];
        const std::int64_t take = std::min(rows, perClip_);
        if (take <= 0) return;
        s.shape = {take, in};
        s.values.reserve(std::size_t(take * in));
        for (std::int64_t j = 0; j < take; ++j) {
            const std::int64_t r = (2 * j + 1) * rows / (2 * take);  // evenly spread, centred
            s.values.insert(s.values.end(), data + r * in, data + (r + 1) * in);
        }
        samples.emplace(layer, std::move(s));
        return;
    }
    const std::int64_t dims = spatialDims(l);
    if (std::int64_t(shape.size()) != dims + 2 || shape[1] != l.shape[1] * l.groups) return;
    const std::int64_t channels = shape[1];
    const Axis first = axisOf(l, 0, shape[2]);
    const Axis second = dims == 2 ? axisOf(l, 1, shape[3]) : Axis{1, 0, 0, 1, 1};
    if (first.outputs() <= 0 || second.outputs() <= 0) return;
    // A centred window along the first spatial dimension; every position along the second.
    const std::int64_t want = std::max<std::int64_t>(1, (perClip_ + second.outputs() - 1) / second.outputs());
    const std::int64_t positions = std::min(first.outputs(), want);
    const std::int64_t start = (first.outputs() - positions) / 2 * first.stride;  // in padded coordinates
    const std::int64_t span = (positions - 1) * first.stride + first.extent;
    const std::int64_t width = second.padded();
    s.shape = dims == 2 ? std::vector<std::int64_t>{channels, span, width} : std::vector<std::int64_t>{channels, span};
    s.values.assign(std::size_t(channels * span * width), 0.0f);
    const std::int64_t inner = dims == 2 ? shape[3] : 1;  // real elements per step of the first dimension
    for (std::int64_t c = 0; c < channels; ++c)
        for (std::int64_t i = 0; i < span; ++i) {
            const std::int64_t real = start + i - first.padBegin;
            if (real < 0 || real >= first.length) continue;  // zero padding
            const float* from = data + (c * first.length + real) * inner;
            float* to = s.values.data() + (c * span + i) * width + second.padBegin;
            std::copy(from, from + inner, to);
        }
    samples.emplace(layer, std::move(s));
}

void RowCounter::observeInputTensor(int layer, const float*, const std::vector<std::int64_t>& shape, int) {
    if (layer < 0 || std::size_t(layer) >= info_.layers.size() || rows.count(layer) || shape.empty()) return;
    const LayerInfo& l = info_.layers[std::size_t(layer)];
    if (!roundable(l)) return;
    if (l.kind == "linear") {
        std::int64_t n = 1;
        for (std::size_t i = 0; i + 1 < shape.size(); ++i) n *= shape[i];
        rows[layer] = n;
        return;
    }
    const std::int64_t dims = spatialDims(l);
    if (std::int64_t(shape.size()) != dims + 2) return;
    const Axis first = axisOf(l, 0, shape[2]);
    const Axis second = dims == 2 ? axisOf(l, 1, shape[3]) : Axis{1, 0, 0, 1, 1};
    rows[layer] = first.outputs() * second.outputs();
}

std::int64_t rowCount(const LayerInfo& l, const std::vector<const LayerInputSample*>& samples) {
    std::int64_t n = 0;
    for (const LayerInputSample* s : samples) {
        if (l.kind == "linear") {
            n += s->shape[0];
            continue;
        }
        const Axis first{s->shape[1], 0, 0, l.stride[0], l.dilation[0] * (l.shape[2] - 1) + 1};
        const Axis second = spatialDims(l) == 2
                                ? Axis{s->shape[2], 0, 0, l.stride[1], l.dilation[1] * (l.shape[3] - 1) + 1}
                                : Axis{1, 0, 0, 1, 1};
        n += first.outputs() * second.outputs();
    }
    return n;
}

at::Tensor layerRows(const LayerInfo& l, const std::vector<const LayerInputSample*>& samples, std::int64_t group) {
    if (!roundable(l)) throw ModelError("layer " + l.name + ": its input cannot be unfolded");
    const std::int64_t rowLength = l.params / l.shape[0];
    std::vector<at::Tensor> parts;
    for (const LayerInputSample* s : samples) {
        at::Tensor x = at::from_blob(const_cast<float*>(s->values.data()), s->shape, at::kFloat);
        if (l.kind == "linear") {
            if (s->shape.size() != 2 || s->shape[1] != rowLength) throw ModelError("layer " + l.name + ": a sample does not fit its weight");
            parts.push_back(x);
            continue;
        }
        const std::int64_t perGroup = l.shape[1];
        if (s->shape[0] != perGroup * l.groups || group < 0 || group >= l.groups)
            throw ModelError("layer " + l.name + ": a sample does not fit its weight");
        x = x.narrow(0, group * perGroup, perGroup);
        const bool two = spatialDims(l) == 2;
        x = two ? x.unsqueeze(0) : x.unsqueeze(0).unsqueeze(2);  // [1, C/groups, H, W]
        const std::vector<std::int64_t> kernel = two ? std::vector<std::int64_t>{l.shape[2], l.shape[3]}
                                                     : std::vector<std::int64_t>{1, l.shape[2]};
        const std::vector<std::int64_t> dilation = two ? l.dilation : std::vector<std::int64_t>{1, l.dilation[0]};
        const std::vector<std::int64_t> stride = two ? l.stride : std::vector<std::int64_t>{1, l.stride[0]};
        // [1, C/groups × kernel, positions]: channel-major columns, the flattened weight's order.
        parts.push_back(at::im2col(x, kernel, dilation, {0, 0}, stride)[0].t());
    }
    if (parts.empty()) return at::zeros({0, rowLength}, at::kFloat);
    return parts.size() == 1 ? parts[0].clone(at::MemoryFormat::Contiguous) : at::cat(parts, 0);
}

}  // namespace qs::detail
