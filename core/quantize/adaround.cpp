// AdaRound for one weight: the soft-rounding quantizer, its loss and the Adam loop.
#include "core/quantize/adaround.h"

#include <torch/optim/adam.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "core/base/cancel.h"
#include "core/base/errors.h"

namespace qs {

SoftRounding::SoftRounding(const at::Tensor& w, const at::Tensor& scale, IntRange range)
    : scale_(scale.to(at::kFloat).contiguous()), range_(range) {
    if (!w.sizes().equals(scale.sizes())) throw InputError("AdaRound: the weight and its scales differ in shape");
    const at::Tensor x = w.to(at::kFloat) * at::reciprocal(scale_);  // w × (1/s), as the quantizer computes it
    floor_ = at::floor(x);
    up_ = at::round(x) > floor_;  // round half to even, as nearbyint
    const at::Tensor frac = (x - floor_).to(at::kDouble);
    at::Tensor v = (-at::log((kZeta - kGamma) / (frac - kGamma) - 1.0)).to(at::kFloat);
    // Where float rounding or a tie puts h(V) on the other side of 1/2, the nearest decision wins.
    v = at::where(up_, at::clamp_min(v, 0.0), at::where(v >= 0, at::full_like(v, -1e-6f), v));
    v_ = v.contiguous();
}

at::Tensor SoftRounding::h() const {
    return at::clamp(at::sigmoid(v_) * (kZeta - kGamma) + kGamma, 0.0, 1.0);
}

at::Tensor SoftRounding::weight() const { return weightFrom(h()); }

at::Tensor SoftRounding::weightFrom(const at::Tensor& h) const {
    return scale_ * at::clamp(floor_ + h, double(range_.qmin), double(range_.qmax));
}

at::Tensor SoftRounding::codes() const {
    return at::clamp(floor_ + (v_.detach() >= 0).to(at::kFloat), double(range_.qmin), double(range_.qmax)).to(at::kInt);
}

at::Tensor SoftRounding::nearestCodes() const {
    return at::clamp(floor_ + up_.to(at::kFloat), double(range_.qmin), double(range_.qmax)).to(at::kInt);
}

at::Tensor AdaRoundLoss::reconstruction(const at::Tensor& y, const at::Tensor& target, std::int64_t rowDim) {
    std::vector<std::int64_t> others;
    for (std::int64_t d = 0; d < y.dim(); ++d)
        if (d != rowDim) others.push_back(d);
    return (y - target).pow(2).sum(others).mean();
}

double AdaRoundLoss::beta(const AdaRoundOptions& o, int iteration) {
    const double warm = o.warmStart * double(o.iterations);
    const double rel = (double(iteration) - warm) / (double(o.iterations) - warm);
    return o.betaEnd + 0.5 * (o.betaStart - o.betaEnd) * (1.0 + std::cos(rel * M_PI));
}

at::Tensor AdaRoundLoss::rounding(const at::Tensor& h, const AdaRoundOptions& o, int iteration) {
    if (double(iteration) < double(o.iterations) * o.warmStart) return at::zeros({}, h.options());
    return o.regularization * (1.0 - (2.0 * h - 1.0).abs().pow(beta(o, iteration))).sum();
}

at::Tensor adaRound(const at::Tensor& w, const at::Tensor& scale, IntRange range, const at::Tensor& x,
                    const at::Tensor& target, const AdaRoundOptions& o, const std::function<void(int)>& tick) {
    if (w.dim() != 3 || x.dim() != 3 || target.dim() != 3 || x.size(0) != w.size(0) || x.size(2) != w.size(2) ||
        target.size(0) != w.size(0) || target.size(1) != x.size(1) || target.size(2) != w.size(1))
        throw InputError("AdaRound: weight [groups, rows, cols], inputs [groups, n, cols] and targets [groups, n, rows] do not fit");
    SoftRounding q(w, scale, range);
    const std::int64_t n = x.size(1);
    if (o.iterations <= 0 || n == 0) return q.codes();

    at::AutoGradMode grad(true);
    q.v().set_requires_grad(true);
    torch::optim::Adam adam(std::vector<at::Tensor>{q.v()}, torch::optim::AdamOptions(o.learningRate));
    const std::int64_t batch = std::min<std::int64_t>(n, std::max(1, o.batchRows));
    std::mt19937_64 random(o.seed);
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), std::int64_t(0));
    std::int64_t next = n;  // shuffle before the first batch
    for (int i = 0; i < o.iterations; ++i) {
        throwIfCancelled();  // Esc / Ctrl-C reach into a layer's optimisation
        if (next + batch > n) {  // a new epoch: Fisher-Yates with this layer's own generator
            for (std::int64_t k = n - 1; k > 0; --k) std::swap(order[std::size_t(k)], order[random() % std::uint64_t(k + 1)]);
            next = 0;
        }
        const at::Tensor rows = at::from_blob(order.data() + next, {batch}, at::kLong);
        next += batch;
        const at::Tensor xb = x.index_select(1, rows), tb = target.index_select(1, rows);
        adam.zero_grad();
        const at::Tensor h = q.h();
        const at::Tensor soft = q.weightFrom(h);
        const at::Tensor loss =
            AdaRoundLoss::reconstruction(at::bmm(xb, soft.transpose(1, 2)), tb, 1) + AdaRoundLoss::rounding(h, o, i);
        loss.backward();
        adam.step();
        if (tick) tick(i + 1);
    }
    return q.codes();
}

}  // namespace qs
