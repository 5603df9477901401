// Activation range arithmetic: asymmetric quantizers, percentile ranges and the MSE search over a
// sketch.
#include "core/quantize/activation_range_search.h"

#include <algorithm>
#include <cmath>

namespace qs::detail {
namespace {

constexpr int kFactors = 100;  // clip factors 0.01, 0.02, ..., 1.00
constexpr int kRounds = 4;     // rounds of the per-end refinement

// ∫_0^u (t − clamp(round t, 0, qmax))² dt: the squared rounding error in units of the step, with
// u = x / scale + zeroPoint. Below 0.5 every t rounds (or clamps) to 0, above qmax + 0.5 to qmax,
// and in between every unit cell contributes 1/12.
double errorIntegral(double u, double qmax) {
    if (u <= 0.5) return u * u * u / 3.0;
    if (u >= qmax + 0.5) {
        const double v = u - qmax;
        return 1.0 / 24.0 + qmax / 12.0 + (v * v * v - 0.125) / 3.0;
    }
    const double n = std::floor(u + 0.5), r = u - n;
    return 1.0 / 24.0 + (n - 1.0) / 12.0 + (r * r * r + 0.125) / 3.0;
}

double pointError(double u, double qmax) {
    const double d = u - std::clamp(std::nearbyint(u), 0.0, qmax);
    return d * d;
}

// Value range [low, high) of the non-negative sketch bin with exponent e (1..254), mantissa bits m.
double binLow(unsigned e, unsigned m) { return std::ldexp(1.0 + m / 128.0, int(e) - 127); }
double binHigh(unsigned e, unsigned m) { return std::ldexp(1.0 + (m + 1) / 128.0, int(e) - 127); }

}  // namespace

AsymmetricQuantizer asymmetricQuantizer(float lo, float hi, int bits) {
    if (!std::isfinite(lo)) lo = 0.0f;
    if (!std::isfinite(hi)) hi = 0.0f;
    // core/export/quantized_export.cpp's original per-tensor arithmetic, kept bit for bit.
    lo = std::min(lo, 0.0f);
    hi = std::max(hi, 0.0f);
    const std::int64_t qmax = (std::int64_t(1) << bits) - 1;
    float scale = (hi - lo) / float(qmax);
    if (!(scale > 1e-12f)) scale = 1.0f;
    AsymmetricQuantizer q;
    q.lo = lo;
    q.hi = hi;
    q.scale = scale;
    q.zeroPoint = std::clamp<std::int64_t>(std::int64_t(std::nearbyint(-lo / scale)), 0, qmax);
    return q;
}

ValueDistribution::ValueDistribution(const ActivationStats& stats, int bits) {
    count_ = stats.count();
    if (count_ == 0) return;
    min_ = float(stats.quantileSigned(0.0));  // the exact extremes
    max_ = float(stats.quantileSigned(1.0));
    const double range = double(std::max(max_, 0.0f)) - double(std::min(min_, 0.0f));
    const double tiny = 0.01 * range / double((std::int64_t(1) << bits) - 1) / 16.0;

    // Ascending: negative bins from the most negative, the zero bin (zero and denormals), positive bins.
    auto push = [&](double lo, double hi, std::uint64_t c) {
        if (c == 0) return;
        lo = std::clamp(lo, double(min_), double(max_));
        hi = std::clamp(hi, double(min_), double(max_));
        if (!bins_.empty() && hi - bins_.back().lo <= tiny) {
            bins_.back().hi = hi;
            bins_.back().count += double(c);
        } else {
            bins_.push_back({lo, hi, double(c)});
        }
    };
    for (unsigned e = 254; e >= 1; --e)
        for (unsigned m = 128; m-- > 0;)
            push(-binHigh(e, m), -binLow(e, m), stats.binCount(std::uint16_t(0x8000u | (e << 7) | m)));
    push(0.0, 0.0, stats.binCount(0));
    for (unsigned e = 1; e <= 254; ++e)
        for (unsigned m = 0; m < 128; ++m) push(binLow(e, m), binHigh(e, m), stats.binCount(std::uint16_t((e << 7) | m)));
}

double ValueDistribution::mse(float scale, std::int64_t zeroPoint, std::int64_t qmax) const {
    if (count_ == 0) return 0.0;
    const double s = scale, inv = 1.0 / s, zp = double(zeroPoint), q = double(qmax);
    double sum = 0.0;  // Σ over intervals of count × mean squared error, in units of the step
    for (const Bin& b : bins_) {
        const double ua = b.lo * inv + zp, ub = b.hi * inv + zp;
        if (ub - ua < 1e-3)  // narrow: the midpoint's error (the exact mean differs by ~width²/12)
            sum += b.count * pointError(0.5 * (ua + ub), q);
        else
            sum += b.count * (errorIntegral(ub, q) - errorIntegral(ua, q)) / (ub - ua);
    }
    return sum * s * s / double(count_);
}

AsymmetricQuantizer percentileRange(const ActivationStats& stats, double percentile, int bits) {
    if (stats.count() == 0) return asymmetricQuantizer(0.0f, 0.0f, bits);
    return asymmetricQuantizer(float(stats.quantileSigned((100.0 - percentile) / 100.0)),
                               float(stats.quantileSigned(percentile / 100.0)), bits);
}

AsymmetricQuantizer mseRange(const ValueDistribution& values, int bits, int* evaluations) {
    const float lo0 = std::min(values.min(), 0.0f), hi0 = std::max(values.max(), 0.0f);
    const std::int64_t qmax = (std::int64_t(1) << bits) - 1;
    auto candidate = [&](int a, int b) {
        return asymmetricQuantizer(float(double(lo0) * a / kFactors), float(double(hi0) * b / kFactors), bits);
    };
    int count = 0;
    auto error = [&](int a, int b) {
        ++count;
        const AsymmetricQuantizer q = candidate(a, b);
        return values.mse(q.scale, q.zeroPoint, qmax);
    };
    // Widest first with a strict comparison: ties keep the wider range.
    int bestA = kFactors, bestB = kFactors;
    double best = error(bestA, bestB);
    if (values.count() > 0 && hi0 > lo0) {
        for (int f = kFactors - 1; f >= 1; --f)
            if (const double e = error(f, f); e < best) best = e, bestA = bestB = f;
        for (int round = 0; round < kRounds; ++round) {
            const int oldA = bestA, oldB = bestB;
            if (lo0 < 0.0f) {
                int a = kFactors;
                double ea = error(a, bestB);
                for (int f = kFactors - 1; f >= 1; --f)
                    if (const double e = error(f, bestB); e < ea) ea = e, a = f;
                if (ea <= best) best = ea, bestA = a;
            }
            if (hi0 > 0.0f) {
                int b = kFactors;
                double eb = error(bestA, b);
                for (int f = kFactors - 1; f >= 1; --f)
                    if (const double e = error(bestA, f); e < eb) eb = e, b = f;
                if (eb <= best) best = eb, bestB = b;
            }
            if (bestA == oldA && bestB == oldB) break;
        }
    }
    if (evaluations) *evaluations = count;
    return candidate(bestA, bestB);
}

}  // namespace qs::detail
