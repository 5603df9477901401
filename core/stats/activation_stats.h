// Streaming statistics of one layer's output activations, with memory bounded no matter how many
// elements pass through. Quantiles come from a sketch over the top 16 bits of each float (sign,
// exponent and 7 mantissa bits): every bin spans a relative width of 2^-7, so a quantile read at the
// bin's geometric midpoint is within 0.4% of the exact order statistic (zero and denormals read as
// exactly 0). The q-quantile of n values is the sorted value at 0-based index floor(q * (n - 1)).
// Mergeable: per-speaker accumulators add up to the `all` accumulator exactly.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/stats/quantile_sketch.h"
#include "core/base/json_fields.h"

namespace qs {

// What a finished accumulator reports. Names follow analysis.json.
struct StatsSummary {
    std::uint64_t count = 0;      // finite elements seen
    std::uint64_t nonfinite = 0;  // NaN and ±Inf elements, excluded from everything else
    double mean_abs = 0, std_abs = 0, var_abs = 0;
    double min = 0, max = 0, abs_max = 0;
    double median_abs = 0, p99_abs = 0, p99_9_abs = 0, p99_99_abs = 0;
    double p0_1 = 0, p99_9 = 0;   // percentiles of signed y
    double kurtosis = 0;          // of y, Pearson (normal = 3)
    Histogram histogram;
    std::vector<float> channel_abs_max;  // max |y| per output channel
};

nlohmann::json toJson(const StatsSummary& s);
// Throws InputError naming the field on a missing, mistyped or impossible value (a negative
// magnitude, min above max, a NaN written as null).
StatsSummary statsSummaryFromJson(const nlohmann::json& j);
StatsSummary statsSummaryFromJson(const JsonField& j);

class ActivationStats {
public:
    ActivationStats();
    ~ActivationStats();
    ActivationStats(ActivationStats&&) noexcept;
    ActivationStats& operator=(ActivationStats&&) noexcept;
    ActivationStats(const ActivationStats&) = delete;
    ActivationStats& operator=(const ActivationStats&) = delete;

    // Adds a block laid out [outer][channels][inner]: element (o, c, i) is
    // data[(o * channels + c) * inner + i]. A Linear output [..., C] is (numel / C, C, 1);
    // a Conv1d output [B, C, T] is (B, C, T); Conv2d [B, C, H, W] is (B, C, H * W).
    // The channel count must stay the same across calls (checked: throws InputError).
    void add(const float* data, std::size_t outer, std::size_t channels, std::size_t inner);

    // Adds everything other has seen, as if its blocks had been added here.
    void merge(const ActivationStats& other);

    // histogramBins must be >= 1 (throws InputError). When min == max every element is in bin 0.
    StatsSummary summary(int histogramBins = 128) const;

    std::uint64_t count() const;
    std::size_t memoryBytes() const;

    // Exposed for tests: the sketch's estimate of quantile q in [0, 1] of |y| or of y. Rank
    // convention (shared with the exact reference in the tests): the q-quantile of n sorted values
    // is the value at 0-based index floor(q * (n - 1)). The extreme ranks return the exact min / max
    // (|y|: the exact max), and every estimate is clamped to the exact range.
    double quantileAbs(double q) const;
    double quantileSigned(double q) const;

    // Exposed for tests: the sketch's count for floats whose top 16 bits are key. Zero and
    // denormals of both signs (exponent field 0) share one bin: every such key returns its total.
    std::uint64_t binCount(std::uint16_t key) const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace qs
