// AdaRound (Nagel et al., "Up or Down? Adaptive Rounding for Post-Training Quantization", 2020) for
// one weight on a fixed grid, with AIMET's defaults, split as AIMET splits it: the soft-rounding
// quantizer, the loss, and the optimisation loop. LibTorch tensors and autograd, on the calling
// thread (the caller sets one intra-op thread); deterministic: the minibatch order comes from a seeded
// generator of this object's own.
//
//   soft weight  ŵ = s · clamp(⌊w/s⌋ + h(V), qmin, qmax),  h(V) = clamp(σ(V)(ζ − γ) + γ, 0, 1),
//                ζ = 1.1, γ = −0.1; V starts where h(V) = w/s − ⌊w/s⌋, the fractional part (nudged
//                by at most 1e-6 where a tie or float rounding would put it on the other side of ½
//                than round-half-to-even: 0 iterations is exactly nearest rounding)
//   loss         ‖X ŵᵀ − T‖² summed over output channels, averaged over the minibatch's rows,
//                + λ Σ (1 − |2h(V) − 1|^β) after a warm start of 20% of the iterations (λ = 0.01),
//                β annealed from 20 to 2 by a cosine over the remaining iterations
//   loop         Adam (learning rate 1e-3) on V only, minibatches of rows drawn without replacement
//                (a new permutation each epoch)
//   result       hard rounding: code = clamp(⌊w/s⌋ + [V ≥ 0], qmin, qmax)
// w/s is computed as the quantizer computes it (w × (1/s) in float, core/quantize/quantizer.h).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

#include "core/quantize/learned_rounding_options.h"
#include "core/quantize/quantizer.h"

namespace qs {

// The soft-rounding quantizer of one weight: w and scale are float tensors of one shape (scale per
// element). V is the only parameter.
class SoftRounding {
public:
    static constexpr double kZeta = 1.1, kGamma = -0.1;

    SoftRounding(const at::Tensor& w, const at::Tensor& scale, IntRange range);

    at::Tensor& v() { return v_; }
    at::Tensor h() const;        // h(V), differentiable
    at::Tensor weight() const;   // the soft weight ŵ, differentiable in V
    at::Tensor weightFrom(const at::Tensor& h) const;  // ŵ for a given h(V)
    at::Tensor codes() const;    // hard rounding, int32
    at::Tensor nearestCodes() const;  // clamp(nearbyint(w/s)): what 0 iterations give

private:
    at::Tensor scale_, floor_, v_;
    IntRange range_;
    at::Tensor up_;  // nearest rounding's decision, bool
};

// The terms of AdaRound's loss.
struct AdaRoundLoss {
    // ‖y − target‖² summed over all but the row dimension (`rowDim`), averaged over rows.
    static at::Tensor reconstruction(const at::Tensor& y, const at::Tensor& target, std::int64_t rowDim);
    // λ Σ (1 − |2h − 1|^β), or 0 during the warm start.
    static at::Tensor rounding(const at::Tensor& h, const AdaRoundOptions& o, int iteration);
    // β at an iteration after the warm start: end + ½ (start − end)(1 + cos(π · relative progress)).
    static double beta(const AdaRoundOptions& o, int iteration);
};

// Optimises the rounding of w [groups, rows, cols] on its grid for inputs x [groups, n, cols] and
// targets [groups, n, rows] (the float output x wᵀ, or another reference). `tick(i)` is called after
// each iteration i (from 1) and may throw (Cancelled) to stop. Returns the hard codes, int32, w's shape.
at::Tensor adaRound(const at::Tensor& w, const at::Tensor& scale, IntRange range, const at::Tensor& x,
                    const at::Tensor& target, const AdaRoundOptions& options,
                    const std::function<void(int iteration)>& tick = {});

}  // namespace qs
