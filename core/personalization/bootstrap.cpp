// Paired percentile bootstrap over clips, from a portable random stream.
#include "core/personalization/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/base/errors.h"

namespace qs {

std::uint64_t SplitMix64::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::size_t SplitMix64::below(std::size_t n) {
    return std::size_t((static_cast<unsigned __int128>(next()) * n) >> 64);
}

std::string PairedInterval::verdict() const {
    if (low > 0) return "better";
    if (high < 0) return "worse";
    return "no measurable difference";
}

double sortedQuantile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
    const double h = q * double(sorted.size() - 1);
    const auto lo = std::size_t(std::floor(h));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - double(lo)) * (sorted[hi] - sorted[lo]);
}

PairedInterval bootstrapInterval(std::size_t n, const std::function<double(const std::vector<std::size_t>& draw)>& statistic,
                                 const BootstrapOptions& options) {
    if (n == 0) throw InputError("a bootstrap interval needs at least one clip");
    if (options.resamples < 1) throw InputError("a bootstrap needs at least one resample");
    if (!(options.confidence > 0 && options.confidence < 1))
        throw InputError("the bootstrap confidence must be between 0 and 1");
    PairedInterval out;
    out.clips = int(n);
    out.confidence = options.confidence;
    std::vector<std::size_t> draw(n);
    for (std::size_t i = 0; i < n; ++i) draw[i] = i;
    out.difference = statistic(draw);

    SplitMix64 rng(options.seed);
    std::vector<double> values;
    values.reserve(std::size_t(options.resamples));
    for (int r = 0; r < options.resamples; ++r) {
        for (std::size_t i = 0; i < n; ++i) draw[i] = rng.below(n);
        const double v = statistic(draw);
        if (!std::isnan(v)) values.push_back(v);
    }
    out.resamples = int(values.size());
    if (values.empty()) {
        out.low = out.high = std::numeric_limits<double>::quiet_NaN();
        return out;
    }
    std::sort(values.begin(), values.end());
    const double tail = (1.0 - options.confidence) / 2.0;
    out.low = sortedQuantile(values, tail);
    out.high = sortedQuantile(values, 1.0 - tail);
    return out;
}

PairedInterval pairedGain(Measure m, const std::vector<ClipMeasures>& a, const std::vector<ClipMeasures>& b,
                          const BootstrapOptions& options) {
    if (a.size() != b.size()) throw InputError("a paired comparison needs the same clips on both sides");
    return bootstrapInterval(
        a.size(),
        [&](const std::vector<std::size_t>& draw) {
            ClipMeasures ta, tb;
            for (std::size_t i : draw) {
                ta += a[i];
                tb += b[i];
            }
            return gainOf(m, measureValue(m, ta), measureValue(m, tb));
        },
        options);
}

}  // namespace qs
