// The paired bootstrap over test clips, the usual significance test for ASR comparisons (Bisani &
// Ney 2004; Koehn 2004): draw as many clips as there are, with replacement, recompute the
// difference between two systems on that same draw, repeat; the interval holds the middle
// `confidence` share of the resampled differences (percentile method). Both systems are always
// measured on the same drawn clips, so what varies between clips for both cancels out.
//
// Reproducible: the draws come from a SplitMix64 stream started at `seed`, mapped to clip indices
// by a 128-bit multiply (no standard-library distribution, whose output may differ between
// implementations), so the same inputs give the same interval on every machine.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/personalization/measures.h"

namespace qs {

struct BootstrapOptions {
    int resamples = 2000;
    double confidence = 0.95;
    std::uint64_t seed = 20240601;
};

struct PairedInterval {
    double difference = 0;  // on the clips as they are
    double low = 0, high = 0;
    int clips = 0;
    int resamples = 0;
    double confidence = 0.95;

    bool containsZero() const { return low <= 0.0 && high >= 0.0; }
    // "better" (interval above 0), "worse" (below 0) or "no measurable difference".
    std::string verdict() const;
};

// The interval of statistic(draw) over resampled draws of n clip indices; the point estimate is
// statistic over 0..n-1. A statistic that returns NaN for a draw (e.g. no reference words in it)
// leaves that draw out. Throws InputError for n = 0, resamples < 1 or confidence outside (0, 1).
PairedInterval bootstrapInterval(std::size_t n, const std::function<double(const std::vector<std::size_t>& draw)>& statistic,
                                 const BootstrapOptions& options = {});

// Linear interpolation between order statistics (R's type 7) of sorted values, q in [0, 1].
double sortedQuantile(const std::vector<double>& sorted, double q);

// The gain of system a over system b on measure m (gainOf: positive when a is better), with its
// paired interval over the clips; a[i] and b[i] are the same clip's sums.
PairedInterval pairedGain(Measure m, const std::vector<ClipMeasures>& a, const std::vector<ClipMeasures>& b,
                          const BootstrapOptions& options = {});

// The SplitMix64 stream behind the draws (exposed for tests).
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    // Uniform in [0, n) by the high 64 bits of next() × n.
    std::size_t below(std::size_t n);

private:
    std::uint64_t state_;
};

}  // namespace qs
