// One layer's learned rounding: the weight's grid and rows to AdaRound or GPTQ, codes back into
// the encoding.
#include "core/quantize/layer_rounding.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/base/errors.h"
#include "core/quantize/adaround.h"
#include "core/quantize/gptq.h"
#include "core/quantize/row_slices.h"

namespace qs::detail {
namespace {

// The weight as [out channels, row length] (a view of w; w must outlive it).
at::Tensor matrix(const LayerInfo& l, const std::vector<float>& w) {
    if (std::int64_t(w.size()) != l.params || l.shape.empty() || l.shape[0] <= 0)
        throw InputError("layer " + l.name + ": the weight does not have the layer's shape");
    return at::from_blob(const_cast<float*>(w.data()), {l.shape[0], l.params / l.shape[0]}, at::kFloat);
}

at::Tensor dequantized(const LayerInfo& l, const QuantizedCodes& c) {
    std::vector<float> v = dequantizeCodes(l.name, l.shape, c);
    return at::from_blob(v.data(), {l.shape[0], l.params / l.shape[0]}, at::kFloat).clone();
}

double sumOfSquares(const at::Tensor& t) { return t.to(at::kDouble).pow(2).sum().item<double>(); }

void checkRows(const LayerInfo& l, const std::vector<at::Tensor>& rows) {
    const std::int64_t groups = std::int64_t(rows.size());
    if (groups < 1 || l.shape[0] % groups != 0 || groups != rowGroups(l))
        throw InputError("layer " + l.name + ": " + std::to_string(groups) + " row sets for its groups");
    for (const at::Tensor& x : rows)
        if (x.dim() != 2 || x.size(1) != l.params / l.shape[0] || x.size(0) != rows[0].size(0))
            throw InputError("layer " + l.name + ": input rows do not fit its weight");
}

// Evenly spread row indices, at most `cap` of n.
at::Tensor spread(std::int64_t n, std::int64_t cap) {
    std::vector<std::int64_t> idx;
    for (std::int64_t k = 0; k < cap; ++k) idx.push_back((2 * k + 1) * n / (2 * cap));
    return at::tensor(idx, at::kLong);
}

std::vector<std::int32_t> toCodes(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kInt).contiguous();
    return std::vector<std::int32_t>(c.data_ptr<std::int32_t>(), c.data_ptr<std::int32_t>() + c.numel());
}

void adaRoundLayer(const LayerInfo& l, const at::Tensor& w, QuantizedCodes& q, const ScaleLayout& layout,
                   const std::vector<at::Tensor>& rows, const LearnedRoundingOptions& o, std::uint64_t seed,
                   const std::function<void(double)>& tick, std::int64_t& used) {
    const std::int64_t groups = std::int64_t(rows.size()), per = l.shape[0] / groups, length = w.size(1);
    std::vector<float> scales(static_cast<std::size_t>(l.params));
    for (std::int64_t i = 0; i < l.params; ++i) scales[std::size_t(i)] = q.scales[layout.indexOf(i, q.granularity, q.groupSize)];
    const at::Tensor s = at::from_blob(scales.data(), {groups, per, length}, at::kFloat);
    const std::int64_t n = rows[0].size(0);
    const std::int64_t cap = std::max<std::int64_t>(1, std::int64_t(o.workingMb * 1048576.0 / (4.0 * double(groups * length))));
    std::vector<at::Tensor> parts;
    for (const at::Tensor& x : rows) parts.push_back(n > cap ? x.index_select(0, spread(n, cap)) : x);
    const at::Tensor x = at::stack(parts);
    used = x.size(1);
    const at::Tensor w3 = w.view({groups, per, length});
    std::vector<at::Tensor> slices;  // the float output
    forRowSlices(x, 1, [&](const at::Tensor& rows) { slices.push_back(at::bmm(rows, w3.transpose(1, 2))); });
    const at::Tensor target = slices.empty() ? at::bmm(x, w3.transpose(1, 2)) : at::cat(slices, 1);
    AdaRoundOptions ao = o.adaround;
    ao.seed += seed;
    const at::Tensor codes = adaRound(w3, s, q.range, x, target, ao, [&](int i) {
        if (tick) tick(double(i) / double(std::max(1, ao.iterations)));
    });
    q.codes = toCodes(codes);
}

// GPTQ for the weight rows of convolution group g (all rows of a linear layer) on that group's input
// rows x; rows longer than maxColumns are solved in independent chunks. Writes only group g's codes
// and (per group) scales, so different groups may run at once.
void gptqGroup(const LayerInfo& l, const at::Tensor& w, QuantizedCodes& q, const ScaleLayout& layout, std::int64_t g,
               const at::Tensor& x, const WeightCalibrationOptions& range, const LearnedRoundingOptions& o,
               const std::function<void(double)>& tick) {
    const std::int64_t per = l.shape[0] / rowGroups(l), length = w.size(1);
    const bool grouped = q.granularity == Granularity::PerGroup;
    const std::int64_t size = grouped ? q.groupSize : 0, perRow = layout.groupsPerRow;
    const std::int64_t limit = std::max(1, o.gptq.maxColumns);
    const std::int64_t chunk = length <= limit ? length : grouped ? std::max(size, limit / size * size) : limit;
    const std::int64_t chunks = (length + chunk - 1) / chunk;
    const int bits = q.bits;
    std::int64_t done = 0;
    for (std::int64_t c0 = 0; c0 < length; c0 += chunk) {
        const std::int64_t cl = std::min(chunk, length - c0);
        Gptq gptq(cl, o.gptq);
        gptq.addBatch(x.narrow(1, c0, cl));
        GptqGrid grid;
        grid.range = q.range;
        grid.groupSize = size;
        const std::int64_t first = grouped ? c0 / size : 0, count = grouped ? (cl + size - 1) / size : 1;
        auto slot = [&](std::int64_t r, std::int64_t k) -> std::size_t {
            const std::int64_t row = g * per + r;
            if (q.granularity == Granularity::PerTensor) return 0;
            return std::size_t(grouped ? row * perRow + first + k : row);
        };
        for (std::int64_t r = 0; r < per; ++r)
            for (std::int64_t k = 0; k < count; ++k) grid.scales.push_back(q.scales[slot(r, k)]);
        if (grouped) grid.refit = [&](const float* v, std::size_t n) { return searchGroupScale(v, n, bits, range); };
        const at::Tensor codes = gptq.quantize(w.narrow(0, g * per, per).narrow(1, c0, cl), grid, [&] {
            if (tick) tick((double(done) + 0.5) / double(chunks));
        });
        const std::int32_t* c = codes.data_ptr<std::int32_t>();
        for (std::int64_t r = 0; r < per; ++r) {
            std::copy_n(c + r * cl, cl, q.codes.begin() + std::ptrdiff_t((g * per + r) * length + c0));
            if (grouped)
                for (std::int64_t k = 0; k < count; ++k) q.scales[slot(r, k)] = grid.scales[std::size_t(r * count + k)];
        }
        ++done;
        if (tick) tick(double(done) / double(chunks));
    }
}

// ‖X(W − Ŵ_k)ᵀ‖² / ‖XWᵀ‖² for each set of codes k, building each group's rows once.
std::vector<double> outputErrors(const LayerInfo& l, const std::vector<float>& w,
                                 const std::vector<const QuantizedCodes*>& codes,
                                 const std::function<at::Tensor(std::int64_t)>& rowsOf) {
    const at::Tensor wm = matrix(l, w);
    std::vector<at::Tensor> diffs;
    for (const QuantizedCodes* c : codes) diffs.push_back(wm - dequantized(l, *c));
    const std::int64_t groups = rowGroups(l), per = l.shape[0] / groups;
    std::vector<double> error(codes.size(), 0.0);
    double signal = 0.0;
    for (std::int64_t g = 0; g < groups; ++g) {
        const at::Tensor rows = rowsOf(g);
        if (rows.dim() != 2 || rows.size(1) != wm.size(1)) throw InputError("layer " + l.name + ": input rows do not fit its weight");
        forRowSlices(rows, 0, [&](const at::Tensor& x) {
            signal += sumOfSquares(at::mm(x, wm.narrow(0, g * per, per).t()));
            for (std::size_t k = 0; k < codes.size(); ++k)
                error[k] += sumOfSquares(at::mm(x, diffs[k].narrow(0, g * per, per).t()));
        });
    }
    for (double& e : error) e = signal > 0.0 ? e / signal : 0.0;
    return error;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double outputError(const LayerInfo& l, const std::vector<float>& w, const QuantizedCodes& codes,
                   const std::vector<at::Tensor>& rows) {
    checkRows(l, rows);
    return outputErrors(l, w, {&codes}, [&](std::int64_t g) { return rows[std::size_t(g)]; })[0];
}

LayerRounding::LayerRounding(const LayerInfo& layer, std::vector<float> w, const WeightEncoding& e, WeightRounding method,
                             const WeightCalibrationOptions& range, const LearnedRoundingOptions& options, std::uint64_t seed)
    : layer_(layer), w_(std::move(w)), layout_(checkCodes(layer.name, layer.shape, e.codes)), learned_(e.codes),
      method_(method), range_(range), options_(options), seed_(seed) {
    if (method == WeightRounding::Nearest) throw InputError("layer " + layer.name + ": nothing to learn for nearest rounding");
    matrix(layer, w_);  // checks the weight's size
    seconds_.assign(pieces(), 0.0);
    used_.assign(pieces(), 0);
}

std::size_t LayerRounding::pieces(const LayerInfo& layer, WeightRounding method) {
    return method == WeightRounding::Gptq ? std::size_t(std::max<std::int64_t>(1, rowGroups(layer))) : 1;
}

std::int64_t LayerRounding::groupOf(std::size_t k) const {
    return method_ == WeightRounding::Gptq ? std::int64_t(k) : -1;
}

void LayerRounding::run(std::size_t k, const std::vector<at::Tensor>& rows, const std::function<void(double)>& tick) {
    if (k >= pieces()) throw InputError("layer " + layer_.name + ": no piece " + std::to_string(k));
    const auto start = std::chrono::steady_clock::now();
    const at::Tensor wm = matrix(layer_, w_);
    const std::int64_t g = groupOf(k);
    if (g < 0) {
        checkRows(layer_, rows);
        adaRoundLayer(layer_, wm, learned_, layout_, rows, options_, seed_, tick, used_[k]);
    } else {
        if (rows.size() != 1 || rows[0].dim() != 2 || rows[0].size(1) != wm.size(1))
            throw InputError("layer " + layer_.name + ": input rows do not fit its weight");
        gptqGroup(layer_, wm, learned_, layout_, g, rows[0], range_, options_, tick);
        used_[k] = rows[0].size(0);
    }
    seconds_[k] = secondsSince(start);
}

void LayerRounding::finish(WeightEncoding& e, const std::function<at::Tensor(std::int64_t)>& rowsOf) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<double> errors = outputErrors(layer_, w_, {&e.codes, &learned_}, rowsOf);
    e.rounding = method_;
    e.roundingRows = used_.empty() ? 0 : used_[0];
    e.nearestOutputError = errors[0];
    e.keptNearest = options_.keepBetter && errors[1] > errors[0];
    if (e.keptNearest) {
        e.outputError = e.nearestOutputError;
    } else {
        e.outputError = errors[1];
        if (learned_.scales != e.codes.scales) {  // GPTQ re-fitted per-group scales: factor vs the float weight's max|w|
            const IntRange r = signedRange(learned_.bits);
            std::vector<float> maxima(learned_.scales.size(), 0.0f);
            for (std::int64_t i = 0; i < layer_.params; ++i) {
                float& m = maxima[layout_.indexOf(i, learned_.granularity, learned_.groupSize)];
                m = std::max(m, std::fabs(w_[std::size_t(i)]));
            }
            for (std::size_t k = 0; k < maxima.size() && k < e.clipFactors.size(); ++k)
                if (maxima[k] > 0.0f) e.clipFactors[k] = float(double(learned_.scales[k]) * double(r.qmax) / double(maxima[k]));
        }
        e.codes = learned_;
        const std::vector<float> q = dequantizeCodes(layer_.name, layer_.shape, e.codes);
        double sse = 0.0;
        for (std::size_t i = 0; i < q.size(); ++i) sse += double(w_[i] - q[i]) * double(w_[i] - q[i]);
        e.mse = q.empty() ? 0.0 : sse / double(q.size());
    }
    double seconds = secondsSince(start);
    for (double s : seconds_) seconds += s;
    e.roundingSeconds = seconds;
}

void roundLayer(const LayerInfo& l, const std::vector<float>& w, WeightEncoding& e, const std::vector<at::Tensor>& rows,
                WeightRounding method, const WeightCalibrationOptions& range, const LearnedRoundingOptions& o,
                std::uint64_t seed, const std::function<void(double)>& tick) {
    if (method == WeightRounding::Nearest) return;
    checkRows(l, rows);
    LayerRounding rounding(l, w, e, method, range, o, seed);
    const std::size_t n = rounding.pieces();
    for (std::size_t k = 0; k < n; ++k) {
        const std::int64_t g = rounding.groupOf(k);
        rounding.run(k, g < 0 ? rows : std::vector<at::Tensor>{rows[std::size_t(g)]}, [&](double f) {
            if (tick) tick((double(k) + f) / double(n));
        });
    }
    rounding.finish(e, [&](std::int64_t g) { return rows[std::size_t(g)]; });
}

}  // namespace qs::detail
