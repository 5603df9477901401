// The quantile sketch behind ActivationStats: one counter per value of a float's top 16 bits (sign,
// exponent and 7 mantissa bits), allocated in blocks of 128 as values arrive. Every bin spans a
// relative width of 2^-7, so a quantile read at the bin's geometric midpoint is within 0.4% of the
// exact order statistic; zero and denormals of both signs share one bin and read as exactly 0.
// Internal to core/stats: the accumulators (activation_stats.h) own one and keep count, min and max.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace qs {

// Linear display histogram of y over [lo, hi].
struct Histogram {
    double lo = 0.0;
    double hi = 0.0;
    std::vector<std::uint64_t> counts;
};

namespace detail {

class QuantileSketch {
public:
    QuantileSketch();
    ~QuantileSketch();
    QuantileSketch(QuantileSketch&&) noexcept;
    QuantileSketch& operator=(QuantileSketch&&) noexcept;

    // Counts n finite values.
    void add(const float* x, std::size_t n);
    // Adds other's counts, as if its values had been added here.
    void merge(const QuantileSketch& other);

    // The count of floats whose top 16 bits are key; exponent-0 keys all read as the zero bin.
    std::uint64_t binCount(std::uint16_t key) const;

    // Estimates from the counts, given the accumulator's exact count, min and max of the values
    // (the q-quantile of n sorted values is the value at 0-based index floor(q * (n - 1)); the
    // extreme ranks return the exact extremes and every estimate is clamped to the exact range).
    double quantileAbs(double q, std::uint64_t count, float min, float max) const;
    double quantileSigned(double q, std::uint64_t count, float min, float max) const;
    // Each bin's count spread uniformly over its value range (clipped to [min, max]); the counts
    // add up to count exactly. bins must be >= 1 (throws InputError).
    Histogram histogram(int bins, std::uint64_t count, float min, float max) const;

    std::size_t memoryBytes() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace detail
}  // namespace qs
