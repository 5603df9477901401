// Internal to core: the clipping-range arithmetic of core/quantize/activation_calibration.h (which documents
// the methods) on a quantile sketch of a layer input's values.
#pragma once

#include <cstdint>
#include <vector>

#include "core/stats/activation_stats.h"

namespace qs::detail {

// An asymmetric quantizer with qmin = 0, qmax = 2^bits − 1; lo and hi include 0.
struct AsymmetricQuantizer {
    float lo = 0, hi = 0;
    float scale = 1;
    std::int64_t zeroPoint = 0;
};

// [lo, hi] widened to include 0, with PyTorch MinMaxObserver's scale and zero point. A non-finite
// bound reads as 0.
AsymmetricQuantizer asymmetricQuantizer(float lo, float hi, int bits);

// A sketch's values as intervals over which each interval's count is spread uniformly, in ascending
// order, clipped to the exact [min, max]. Neighbouring sketch bins narrower together than a
// sixteenth of the finest quantization step the mse search can try (1% of the range at `bits`) are
// merged into one interval, which changes the estimates by well under 1% and keeps the search fast.
class ValueDistribution {
public:
    ValueDistribution(const ActivationStats& stats, int bits);

    std::uint64_t count() const { return count_; }
    float min() const { return min_; }
    float max() const { return max_; }
    std::size_t intervals() const { return bins_.size(); }

    // Mean squared error of at::fake_quantize_per_tensor_affine(x, scale, zeroPoint, 0, qmax) over
    // the values (the error inside an interval integrated exactly); 0 when there are no values.
    double mse(float scale, std::int64_t zeroPoint, std::int64_t qmax) const;

private:
    struct Bin {
        double lo, hi, count;
    };
    std::vector<Bin> bins_;
    std::uint64_t count_ = 0;
    float min_ = 0, max_ = 0;
};

// [the (100 − p)-th, the p-th] percentile of the signed values, as a quantizer.
AsymmetricQuantizer percentileRange(const ActivationStats& stats, double percentile, int bits);

// The mse search of core/quantize/activation_calibration.h. *evaluations (when given) counts the candidates
// whose error was computed.
AsymmetricQuantizer mseRange(const ValueDistribution& values, int bits, int* evaluations = nullptr);

}  // namespace qs::detail
