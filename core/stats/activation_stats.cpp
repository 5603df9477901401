// The streaming accumulators of activation_stats.h: moments (shifted block sums merged with Chan's
// and Pébay's formulas), extremes, per-channel maxima, and a quantile sketch (quantile_sketch.h).
#include "core/stats/activation_stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

#include "core/base/errors.h"
#include "core/base/json_fields.h"
#include "core/base/number_text.h"

#if defined(__GNUC__)
#define QS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define QS_UNLIKELY(x) (x)
#endif

// The arithmetic kernels get an AVX2 build picked at load time on CPUs that have it (x86-64
// GCC/Clang); the baseline build stays for the rest. Results differ only in the last bits.
// Define QS_NO_VECTOR_CLONES to build the baseline alone (to measure it).
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_attribute) && !defined(QS_NO_VECTOR_CLONES)
#if __has_attribute(target_clones)
#define QS_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef QS_VECTOR_CLONES
#define QS_VECTOR_CLONES
#endif

namespace qs {
namespace {

// Elements per block of moment sums: 16 KB of floats stays in L1 for the second and third passes.
constexpr std::size_t kChunk = 4096;
// Independent accumulators per sum, so the compiler can vectorize without reassociating.
constexpr int kLanes = 8;

// Count, mean and central sums M_k = Σ (x - mean)^k, merged with Chan's and Pébay's formulas.
struct Moments4 {
    double n = 0, mean = 0, m2 = 0, m3 = 0, m4 = 0;

    // From s_k = Σ (x - shift)^k over n values; a shift near the mean keeps the cancellation small.
    static Moments4 fromShiftedSums(double n, double shift, double s1, double s2, double s3, double s4) {
        const double dm = s1 / n;
        Moments4 r;
        r.n = n;
        r.mean = shift + dm;
        r.m2 = std::max(0.0, s2 - dm * s1);
        r.m3 = s3 - 3 * dm * s2 + 2 * n * dm * dm * dm;
        r.m4 = std::max(0.0, s4 - 4 * dm * s3 + 6 * dm * dm * s2 - 3 * n * dm * dm * dm * dm);
        return r;
    }

    void merge(const Moments4& b) {
        if (b.n == 0) return;
        if (n == 0) {
            *this = b;
            return;
        }
        const double na = n, nb = b.n, nt = na + nb;
        const double delta = b.mean - mean, dn = delta / nt;
        const double m2New = m2 + b.m2 + delta * dn * na * nb;
        const double m3New = m3 + b.m3 + delta * dn * dn * na * nb * (na - nb) +
                             3 * dn * (na * b.m2 - nb * m2);
        const double m4New = m4 + b.m4 + delta * dn * dn * dn * na * nb * (na * na - na * nb + nb * nb) +
                             6 * dn * dn * (na * na * b.m2 + nb * nb * m2) + 4 * dn * (na * b.m3 - nb * m3);
        n = nt;
        mean += nb * dn;
        m2 = m2New;
        m3 = m3New;
        m4 = m4New;
    }
};

// Mean of |y|. Its variance comes from the moments of y at summary time (|y|^2 = y^2).
struct AbsMean {
    double n = 0, mean = 0;

    void merge(const AbsMean& b) {
        if (b.n == 0) return;
        const double nt = n + b.n;
        mean += (b.mean - mean) * (b.n / nt);
        n = nt;
    }
};

// Shifted power sums and range of one block of elements.
struct BlockSums {
    double d1 = 0, d2 = 0, d3 = 0, d4 = 0;  // Σ (y - shift)^k
    double a1 = 0;                          // Σ (|y| - |shift|)
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
};

// The arithmetic half of the hot loop. Non-finite input makes d2 non-finite, which the caller
// checks once per block instead of once per element. Shifting |y| by |shift| makes the |y| sums
// of one-signed data equal (or opposite) to the y sums bit for bit, so var |y| loses nothing there.
QS_VECTOR_CLONES BlockSums sumBlock(const float* x, std::size_t n, double shift) {
    const double absShift = std::fabs(shift);
    double d1[kLanes] = {}, d2[kLanes] = {}, d3[kLanes] = {}, d4[kLanes] = {}, a1[kLanes] = {};
    float lo[kLanes], hi[kLanes];
    std::fill(lo, lo + kLanes, std::numeric_limits<float>::infinity());
    std::fill(hi, hi + kLanes, -std::numeric_limits<float>::infinity());

    auto accumulate = [&](int j, float y) {
        const double v = y, d = v - shift, dd = d * d;
        d1[j] += d;
        d2[j] += dd;
        d3[j] += dd * d;
        d4[j] += dd * dd;
        a1[j] += std::fabs(v) - absShift;
        lo[j] = y < lo[j] ? y : lo[j];
        hi[j] = y > hi[j] ? y : hi[j];
    };
    const std::size_t whole = n - n % kLanes;
    for (std::size_t i = 0; i < whole; i += kLanes)
        for (int j = 0; j < kLanes; ++j) accumulate(j, x[i + j]);
    for (std::size_t i = whole; i < n; ++i) accumulate(int(i - whole), x[i]);

    BlockSums s;
    for (int j = 0; j < kLanes; ++j) {
        s.d1 += d1[j];
        s.d2 += d2[j];
        s.d3 += d3[j];
        s.d4 += d4[j];
        s.a1 += a1[j];
        s.lo = std::min(s.lo, lo[j]);
        s.hi = std::max(s.hi, hi[j]);
    }
    return s;
}

QS_VECTOR_CLONES float maxAbs(const float* x, std::size_t n) {
    float m[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) {
            const float a = std::fabs(x[i + j]);
            m[j] = a > m[j] ? a : m[j];
        }
    for (; i < n; ++i) m[0] = std::max(m[0], std::fabs(x[i]));
    return *std::max_element(m, m + kLanes);
}

std::string channelText(std::size_t n) { return std::to_string(n) + (n == 1 ? " channel" : " channels"); }

}  // namespace
struct ActivationStats::Impl {
    std::size_t channels = 0;  // 0 until the first block fixes it
    std::uint64_t count = 0, nonfinite = 0;
    Moments4 y;
    AbsMean absY;
    float min = std::numeric_limits<float>::infinity();
    float max = -std::numeric_limits<float>::infinity();
    std::vector<float> channelAbsMax;
    detail::QuantileSketch sketch;

    void addChunk(const float* data, std::size_t begin, std::size_t n, std::size_t inner);
    void addChunkWithNonfinite(const float* data, std::size_t begin, std::size_t n, std::size_t inner);
    void absorb(const BlockSums& s, std::size_t n, double shift);
    void updateChannelMax(const float* data, std::size_t begin, std::size_t end, std::size_t inner);
    double quantileAbs(double q) const { return sketch.quantileAbs(q, count, min, max); }
    double quantileSigned(double q) const { return sketch.quantileSigned(q, count, min, max); }
};


void ActivationStats::Impl::absorb(const BlockSums& s, std::size_t n, double shift) {
    y.merge(Moments4::fromShiftedSums(double(n), shift, s.d1, s.d2, s.d3, s.d4));
    absY.merge({double(n), std::fabs(shift) + s.a1 / double(n)});
    min = std::min(min, s.lo);
    max = std::max(max, s.hi);
    count += n;
}

// Flat element i of an add() call belongs to channel (i / inner) % channels.
void ActivationStats::Impl::updateChannelMax(const float* data, std::size_t begin, std::size_t end,
                                             std::size_t inner) {
    float* chMax = channelAbsMax.data();
    if (channels == 1) {
        chMax[0] = std::max(chMax[0], maxAbs(data + begin, end - begin));
        return;
    }
    std::size_t c = (begin / inner) % channels;
    if (inner == 1) {
        // Channels are contiguous: an element-wise max per stretch of a row.
        for (std::size_t i = begin; i < end; c = 0) {
            const std::size_t len = std::min(end - i, channels - c);
            const float* x = data + i;
            float* m = chMax + c;
            for (std::size_t k = 0; k < len; ++k) {
                const float a = std::fabs(x[k]);
                m[k] = a > m[k] ? a : m[k];
            }
            i += len;
        }
        return;
    }
    // One reduction per stretch of a channel's row of inner elements.
    for (std::size_t i = begin, offset = begin % inner; i < end; offset = 0) {
        const std::size_t len = std::min(end - i, inner - offset);
        chMax[c] = std::max(chMax[c], maxAbs(data + i, len));
        i += len;
        if (++c == channels) c = 0;
    }
}

void ActivationStats::Impl::addChunk(const float* data, std::size_t begin, std::size_t n, std::size_t inner) {
    const float* x = data + begin;
    // Shift by the running mean (or the block's first value) so shifted sums stay small.
    const double shift = count ? y.mean : double(x[0]);
    const BlockSums s = sumBlock(x, n, shift);
    if (QS_UNLIKELY(!std::isfinite(s.d2))) {
        addChunkWithNonfinite(data, begin, n, inner);
        return;
    }
    sketch.add(x, n);
    updateChannelMax(data, begin, begin + n, inner);
    absorb(s, n, shift);
}

// Rare path: drop NaN and ±Inf, then treat the rest like any block.
void ActivationStats::Impl::addChunkWithNonfinite(const float* data, std::size_t begin, std::size_t n,
                                                  std::size_t inner) {
    float finite[kChunk];
    std::size_t m = 0;
    for (std::size_t i = begin; i < begin + n; ++i) {
        const float v = data[i];
        if (!std::isfinite(v)) continue;
        finite[m++] = v;
        float& chMax = channelAbsMax[(i / inner) % channels];
        chMax = std::max(chMax, std::fabs(v));
    }
    nonfinite += n - m;
    if (m == 0) return;
    const double shift = count ? y.mean : double(finite[0]);
    const BlockSums s = sumBlock(finite, m, shift);
    sketch.add(finite, m);
    absorb(s, m, shift);
}

ActivationStats::ActivationStats() : d(std::make_unique<Impl>()) {}
ActivationStats::~ActivationStats() = default;
ActivationStats::ActivationStats(ActivationStats&&) noexcept = default;
ActivationStats& ActivationStats::operator=(ActivationStats&&) noexcept = default;

void ActivationStats::add(const float* data, std::size_t outer, std::size_t channels, std::size_t inner) {
    if (channels == 0) throw InputError("activation statistics: a block of layer output needs at least one channel");
    if (d->channels == 0) {
        d->channels = channels;
        d->channelAbsMax.assign(channels, 0.0f);
    } else if (channels != d->channels) {
        throw InputError("activation statistics: layer output has " + channelText(channels) +
                         " but earlier outputs had " + channelText(d->channels));
    }
    const std::size_t total = outer * channels * inner;
    for (std::size_t begin = 0; begin < total; begin += kChunk)
        d->addChunk(data, begin, std::min(kChunk, total - begin), inner);
}

void ActivationStats::merge(const ActivationStats& other) {
    const Impl& o = *other.d;
    if (o.channels != 0) {
        if (d->channels == 0) {
            d->channels = o.channels;
            d->channelAbsMax.assign(o.channels, 0.0f);
        } else if (o.channels != d->channels) {
            throw InputError("activation statistics: cannot merge outputs with " + channelText(o.channels) +
                             " into outputs with " + channelText(d->channels));
        }
    }
    d->count += o.count;
    d->nonfinite += o.nonfinite;
    d->y.merge(o.y);
    d->absY.merge(o.absY);
    d->min = std::min(d->min, o.min);
    d->max = std::max(d->max, o.max);
    for (std::size_t c = 0; c < o.channelAbsMax.size(); ++c)
        d->channelAbsMax[c] = std::max(d->channelAbsMax[c], o.channelAbsMax[c]);
    d->sketch.merge(o.sketch);
}

StatsSummary ActivationStats::summary(int histogramBins) const {
    StatsSummary s;
    s.count = d->count;
    s.nonfinite = d->nonfinite;
    s.channel_abs_max = d->channelAbsMax;
    s.histogram = d->sketch.histogram(histogramBins, d->count, d->min, d->max);
    if (d->count == 0) return s;
    // Σ(|y| - mean|y|)^2 = Σy^2 - n mean|y|^2 = M2(y) + n (mean y - mean|y|)(mean y + mean|y|).
    const double n = d->y.n, meanY = d->y.mean, meanAbs = d->absY.mean;
    s.mean_abs = std::max(0.0, meanAbs);  // the shifted sums can leave a zero mean at -1e-17
    s.var_abs = std::max(0.0, d->y.m2 + n * (meanY - meanAbs) * (meanY + meanAbs)) / n;
    s.std_abs = std::sqrt(s.var_abs);
    s.min = d->min;
    s.max = d->max;
    s.abs_max = std::max(-s.min, s.max);
    s.median_abs = d->quantileAbs(0.5);
    s.p99_abs = d->quantileAbs(0.99);
    s.p99_9_abs = d->quantileAbs(0.999);
    s.p99_99_abs = d->quantileAbs(0.9999);
    s.p0_1 = d->quantileSigned(0.001);
    s.p99_9 = d->quantileSigned(0.999);
    s.kurtosis = d->y.m2 > 0 ? n * d->y.m4 / (d->y.m2 * d->y.m2) : 0.0;
    return s;
}

std::uint64_t ActivationStats::count() const { return d->count; }

std::size_t ActivationStats::memoryBytes() const {
    return sizeof(ActivationStats) + sizeof(Impl) - sizeof(detail::QuantileSketch) + d->sketch.memoryBytes() +
           d->channelAbsMax.capacity() * sizeof(float);
}

double ActivationStats::quantileAbs(double q) const { return d->quantileAbs(q); }
double ActivationStats::quantileSigned(double q) const { return d->quantileSigned(q); }

std::uint64_t ActivationStats::binCount(std::uint16_t key) const { return d->sketch.binCount(key); }

nlohmann::json toJson(const StatsSummary& s) {
    return {{"count", s.count},
            {"nonfinite", s.nonfinite},
            {"mean_abs", s.mean_abs},
            {"std_abs", s.std_abs},
            {"var_abs", s.var_abs},
            {"min", s.min},
            {"max", s.max},
            {"abs_max", s.abs_max},
            {"median_abs", s.median_abs},
            {"p99_abs", s.p99_abs},
            {"p99_9_abs", s.p99_9_abs},
            {"p99_99_abs", s.p99_99_abs},
            {"p0_1", s.p0_1},
            {"p99_9", s.p99_9},
            {"kurtosis", s.kurtosis},
            {"histogram", {{"lo", s.histogram.lo}, {"hi", s.histogram.hi}, {"counts", s.histogram.counts}}},
            {"channel_abs_max", s.channel_abs_max}};
}

StatsSummary statsSummaryFromJson(const nlohmann::json& j) {
    return statsSummaryFromJson(JsonField(j, "activation statistics"));
}

// Every field is checked for what summary() can produce: magnitudes >= 0, min <= max, finite
// numbers, a histogram whose range is ordered; a hand-edited or damaged value is a one-line error.
StatsSummary statsSummaryFromJson(const JsonField& j) {
    constexpr double kHuge = std::numeric_limits<double>::max();
    StatsSummary s;
    j.requireObject();
    s.count = j["count"].count();
    s.nonfinite = j["nonfinite"].count();
    s.mean_abs = j["mean_abs"].number(0, kHuge);
    s.std_abs = j["std_abs"].number(0, kHuge);
    s.var_abs = j["var_abs"].number(0, kHuge);
    s.min = j["min"].number();
    s.max = j["max"].number();
    if (s.min > s.max) j["min"].fail("is " + numberText(s.min) + ", above max " + numberText(s.max));
    s.abs_max = j["abs_max"].number(0, kHuge);
    s.median_abs = j["median_abs"].number(0, kHuge);
    s.p99_abs = j["p99_abs"].number(0, kHuge);
    s.p99_9_abs = j["p99_9_abs"].number(0, kHuge);
    s.p99_99_abs = j["p99_99_abs"].number(0, kHuge);
    s.p0_1 = j["p0_1"].number();
    s.p99_9 = j["p99_9"].number();
    s.kurtosis = j["kurtosis"].number(0, kHuge);
    const JsonField hist = j["histogram"];
    s.histogram.lo = hist["lo"].number();
    s.histogram.hi = hist["hi"].number();
    if (s.histogram.lo > s.histogram.hi)
        hist["lo"].fail("is " + numberText(s.histogram.lo) + ", above hi " + numberText(s.histogram.hi));
    s.histogram.counts = hist["counts"].counts();
    s.channel_abs_max = j["channel_abs_max"].floatNumbers(0.0f);
    return s;
}

}  // namespace qs
