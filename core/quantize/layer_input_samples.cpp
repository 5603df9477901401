// Sampling quantized layers' inputs during calibration passes, and layer outputs on those samples.
#include "core/quantize/layer_input_samples.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "core/base/errors.h"

namespace qs::detail {

InputSampler::InputSampler(const ModelInfo& info, const std::vector<bool>& wanted, int perClip)
    : info_(info), wanted_(wanted), perClip_(std::max(1, perClip)) {}

void InputSampler::observeInput(int layer, const float* data, std::size_t outer, std::size_t channels,
                                std::size_t inner) {
    if (layer < 0 || std::size_t(layer) >= wanted_.size() || !wanted_[std::size_t(layer)]) return;
    const auto key = std::make_pair(layer, clip);
    if (samples.count(key)) return;  // a layer called twice in one pass: its first call stands for it
    const LayerInfo& l = info_.layers[std::size_t(layer)];
    InputSample s;
    s.channels = std::int64_t(channels);
    if (l.kind == "linear" && inner == 1) {
        const std::size_t rows = outer, take = std::min<std::size_t>(rows, std::size_t(perClip_));
        s.rows = std::int64_t(take);
        s.values.reserve(take * channels);
        for (std::size_t j = 0; j < take; ++j) {
            const std::size_t r = (2 * j + 1) * rows / (2 * take);  // evenly spread, centred
            s.values.insert(s.values.end(), data + r * channels, data + (r + 1) * channels);
        }
    } else if (l.kind == "conv1d" && outer >= 1 && l.shape.size() == 3) {
        const std::size_t k = std::size_t(l.shape[2]);
        if (inner < k) return;
        const std::size_t len = std::min(inner, k + std::size_t(perClip_) - 1), start = (inner - len) / 2;
        s.length = std::int64_t(len);
        s.values.resize(channels * len);
        for (std::size_t c = 0; c < channels; ++c)  // first batch element only
            std::copy_n(data + c * inner + start, len, s.values.begin() + std::ptrdiff_t(c * len));
    } else {
        return;
    }
    samples.emplace(key, std::move(s));
}

struct LayerOutputProbe::Impl {
    bool conv = false;
    std::vector<std::int64_t> shape;
    std::int64_t groups = 1;
    std::vector<at::Tensor> inputs;  // linear: one [rows, in]; conv1d: [1, C, L] per segment
    at::Tensor reference;            // flattened float output
    double referenceNorm = 0.0;
    std::int64_t positions = 0;

    at::Tensor output(const std::vector<float>& w) const {
        const at::Tensor wt = at::from_blob(const_cast<float*>(w.data()), shape, at::kFloat);
        std::vector<at::Tensor> outs;
        for (const at::Tensor& x : inputs)
            outs.push_back(conv ? at::conv1d(x, wt, at::Tensor(), at::IntArrayRef{1}, at::IntArrayRef{0}, at::IntArrayRef{1}, groups).reshape(-1) : at::matmul(x, wt.t()).reshape(-1));
        return outs.size() == 1 ? outs[0] : at::cat(outs);
    }
};

LayerOutputProbe::LayerOutputProbe(const std::string& kind, const std::vector<std::int64_t>& weightShape,
                                   std::vector<InputSample> samples)
    : d(std::make_unique<Impl>()) {
    d->conv = kind == "conv1d";
    d->shape = weightShape;
    if (samples.empty()) throw InputError("no layer input was sampled");
    if (d->conv) {
        const std::int64_t perGroup = weightShape.at(1);
        if (perGroup <= 0 || samples[0].channels % perGroup != 0)
            throw ModelError("a conv1d layer's input channels do not match its weight");
        d->groups = samples[0].channels / perGroup;
        for (InputSample& s : samples) {
            d->inputs.push_back(at::from_blob(s.values.data(), {1, s.channels, s.length}, at::kFloat).clone());
            d->positions += s.length - weightShape.at(2) + 1;
        }
    } else {
        std::vector<float> all;
        for (const InputSample& s : samples) {
            all.insert(all.end(), s.values.begin(), s.values.end());
            d->positions += s.rows;
        }
        d->inputs.push_back(at::from_blob(all.data(), {d->positions, samples[0].channels}, at::kFloat).clone());
    }
}

LayerOutputProbe::~LayerOutputProbe() = default;
LayerOutputProbe::LayerOutputProbe(LayerOutputProbe&&) noexcept = default;

void LayerOutputProbe::setReference(const std::vector<float>& w) {
    d->reference = d->output(w).to(at::kDouble);
    d->referenceNorm = d->reference.norm().item<double>();
}

double LayerOutputProbe::cosine(const std::vector<float>& w) const {
    const at::Tensor y = d->output(w).to(at::kDouble);
    const double norms = d->referenceNorm * y.norm().item<double>();
    if (!(norms > 0.0)) return d->referenceNorm == 0.0 && y.norm().item<double>() == 0.0 ? 1.0 : 0.0;
    return (y * d->reference).sum().item<double>() / norms;
}

std::int64_t LayerOutputProbe::positions() const { return d->positions; }

}  // namespace qs::detail
