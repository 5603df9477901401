#include "core/activation_stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

#include "core/errors.h"

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

// Sketch geometry: a float's top 16 bits are its bin key; key >> 7 (sign, exponent) picks a block of
// 128 bins (the 7 mantissa bits). Exponent 0 (zero, denormals) reads as 0 and exponent 255 (Inf,
// NaN) never reaches the sketch.
constexpr unsigned kBinsPerBlock = 128;
constexpr unsigned kBlocks = 512;
constexpr unsigned kZeroBlock = 0;           // +0 and denormals; -0 and negative denormals share it
constexpr unsigned kNegativeZeroBlock = 256;
// Pool slot 0 is a scratch block that catches values whose block is not allocated yet, so the hot
// loop has no per-element branch. Then come at most 2 × 254 finite non-zero blocks and the zero block.
constexpr unsigned kMaxSlots = 1 + 2 * 254 + 1;
constexpr unsigned kSlotGrowth = 8;      // slots added per pool reallocation
constexpr std::uint16_t kMissing = 0;    // offset of the scratch block

// Elements per block of moment sums: 16 KB of floats stays in L1 for the second and third passes.
constexpr std::size_t kChunk = 4096;
// Independent accumulators per sum, so the compiler can vectorize without reassociating.
constexpr int kLanes = 8;
// Elements counted between checks of the sketch's scratch block.
constexpr std::size_t kCountPiece = 1024;

std::uint32_t floatBits(float v) {
    std::uint32_t b;
    std::memcpy(&b, &v, sizeof b);
    return b;
}

// Value range [low, high) of the non-negative bin with exponent e (1..254) and mantissa bits m.
double binLow(unsigned e, unsigned m) { return std::ldexp(1.0 + m / 128.0, int(e) - 127); }
double binHigh(unsigned e, unsigned m) { return std::ldexp(1.0 + (m + 1) / 128.0, int(e) - 127); }
// The geometric midpoint is within sqrt(1 + 2^-7) - 1 < 0.4% of every value in the bin.
double binMid(unsigned e, unsigned m) { return std::sqrt(binLow(e, m) * binHigh(e, m)); }

// 0-based rank of the q-quantile among n sorted values: floor(q * (n - 1)).
std::uint64_t rankOf(double q, std::uint64_t n) {
    q = std::clamp(q, 0.0, 1.0);
    const auto r = static_cast<std::uint64_t>(std::floor(q * double(n - 1)));
    return std::min(r, n - 1);
}

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

    // Sketch: the counters of block b are pool[base[b] .. base[b] + 127]; base[b] == kMissing (the
    // scratch block) until b is first touched. Offsets fit 16 bits: 510 slots × 128 < 65536.
    std::uint16_t base[kBlocks] = {};
    std::unique_ptr<std::uint64_t[]> pool;
    unsigned usedSlots = 0, slotCapacity = 0;

    void growPool();
    void allocateBlock(unsigned block);
    void countBins(const float* x, std::size_t n);
    void recountMissing(const float* x, std::size_t n);
    void addChunk(const float* data, std::size_t begin, std::size_t n, std::size_t inner);
    void addChunkWithNonfinite(const float* data, std::size_t begin, std::size_t n, std::size_t inner);
    void absorb(const BlockSums& s, std::size_t n, double shift);
    void updateChannelMax(const float* data, std::size_t begin, std::size_t end, std::size_t inner);

    // The 128 counters of a block, or nullptr if it was never touched.
    const std::uint64_t* block(unsigned b) const { return base[b] == kMissing ? nullptr : pool.get() + base[b]; }
    std::uint64_t binCount(unsigned key) const {
        const std::uint64_t* c = block(key >> 7);
        return c ? c[key & 127] : 0;
    }
    std::uint64_t zeroCount() const {
        const std::uint64_t* c = block(kZeroBlock);
        return c ? std::accumulate(c, c + kBinsPerBlock, std::uint64_t(0)) : 0;
    }
    double quantileAbs(double q) const;
    double quantileSigned(double q) const;
    Histogram histogram(int bins) const;
};

// Small linear growth, capped at the most slots that can ever exist: memory tracks use.
void ActivationStats::Impl::growPool() {
    const unsigned capacity = std::min(kMaxSlots, slotCapacity + kSlotGrowth);
    std::unique_ptr<std::uint64_t[]> grown(new std::uint64_t[capacity * kBinsPerBlock]());
    if (pool) std::copy(pool.get(), pool.get() + usedSlots * kBinsPerBlock, grown.get());
    pool = std::move(grown);
    slotCapacity = capacity;
    if (usedSlots == 0) usedSlots = 1;  // the scratch block
}

void ActivationStats::Impl::allocateBlock(unsigned b) {
    const unsigned twin = b ^ kNegativeZeroBlock;
    if ((b & 0xFF) == 0 && base[twin] != kMissing) {  // ±zero share one block
        base[b] = base[twin];
        return;
    }
    if (usedSlots == slotCapacity) growPool();
    base[b] = std::uint16_t(usedSlots++ * kBinsPerBlock);
    if ((b & 0xFF) == 0) base[twin] = base[b];
}

// The scatter half of the hot loop; x holds finite values only. Values of blocks not allocated yet
// land in the scratch block, checked after every piece of kCountPiece elements, so that the rare
// recount (a block's first value) rescans one short piece.
void ActivationStats::Impl::countBins(const float* x, std::size_t n) {
    if (!pool) growPool();
    for (std::size_t begin = 0; begin < n; begin += kCountPiece) {
        const float* piece = x + begin;
        const std::size_t len = std::min(kCountPiece, n - begin);
        std::uint64_t* bins = pool.get();
#pragma GCC unroll 4
        for (std::size_t i = 0; i < len; ++i) {
            const std::uint32_t key = floatBits(piece[i]) >> 16;
            ++bins[base[key >> 7] + (key & 127)];
        }
        std::uint64_t scratch = 0;
        for (unsigned m = 0; m < kBinsPerBlock; ++m) scratch |= bins[m];
        if (QS_UNLIKELY(scratch != 0)) recountMissing(piece, len);
    }
}

// Rare path (a block's first value): allocate the missing blocks and count their values again.
void ActivationStats::Impl::recountMissing(const float* x, std::size_t n) {
    std::fill(pool.get(), pool.get() + kBinsPerBlock, 0);
    bool missing[kBlocks];
    for (unsigned b = 0; b < kBlocks; ++b) missing[b] = base[b] == kMissing;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t key = floatBits(x[i]) >> 16, b = key >> 7;
        if (!missing[b]) continue;
        if (base[b] == kMissing) allocateBlock(b);
        ++pool[base[b] + (key & 127)];
    }
}

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
    countBins(x, n);
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
    countBins(finite, m);
    absorb(s, m, shift);
}

double ActivationStats::Impl::quantileAbs(double q) const {
    if (count == 0) return 0.0;
    const std::uint64_t rank = rankOf(q, count);
    const double absMax = std::max(-double(min), double(max));
    if (rank == count - 1) return absMax;  // the exact extreme beats any bin
    std::uint64_t seen = zeroCount();
    if (seen > rank) return 0.0;
    for (unsigned e = 1; e <= 254; ++e) {
        if (!block(e) && !block(e | kNegativeZeroBlock)) continue;
        for (unsigned m = 0; m < kBinsPerBlock; ++m) {
            const unsigned key = (e << 7) | m;
            seen += binCount(key) + binCount(key | 0x8000);
            if (seen > rank) return std::min(binMid(e, m), absMax);
        }
    }
    return absMax;
}

// Signed order: negative bins from the most negative up, then zero, then positive bins.
double ActivationStats::Impl::quantileSigned(double q) const {
    if (count == 0) return 0.0;
    const std::uint64_t rank = rankOf(q, count);
    if (rank == 0) return min;  // the exact extremes beat any bin
    if (rank == count - 1) return max;
    std::uint64_t seen = 0;
    for (unsigned e = 254; e >= 1; --e) {
        if (!block(e | kNegativeZeroBlock)) continue;
        for (unsigned m = kBinsPerBlock; m-- > 0;) {
            seen += binCount(0x8000 | (e << 7) | m);
            if (seen > rank) return std::max(-binMid(e, m), double(min));
        }
    }
    seen += zeroCount();
    if (seen > rank) return 0.0;  // zero and denormals read as exactly 0
    for (unsigned e = 1; e <= 254; ++e) {
        if (!block(e)) continue;
        for (unsigned m = 0; m < kBinsPerBlock; ++m) {
            seen += binCount((e << 7) | m);
            if (seen > rank) return std::min(binMid(e, m), double(max));
        }
    }
    return max;
}

// Each sketch bin's count is spread uniformly over its value range (clipped to [min, max]), then
// cumulative rounding turns the fractional masses into integers that add up to count exactly.
Histogram ActivationStats::Impl::histogram(int bins) const {
    if (bins < 1) throw InputError("activation statistics: a histogram needs at least one bin");
    Histogram h;
    h.counts.assign(std::size_t(bins), 0);
    if (count == 0) return h;
    h.lo = min;
    h.hi = max;
    const double width = (h.hi - h.lo) / bins;
    std::vector<double> mass(std::size_t(bins), 0.0);
    auto binOf = [&](double v) {
        if (!(width > 0)) return 0;
        return std::clamp(int(std::floor((v - h.lo) / width)), 0, bins - 1);
    };
    auto edge = [&](int j) { return j == bins ? h.hi : h.lo + j * width; };
    auto spread = [&](double a, double b, double c) {
        a = std::max(a, h.lo);
        b = std::min(b, h.hi);
        if (!(b > a)) {
            mass[binOf(std::clamp(a, h.lo, h.hi))] += c;
            return;
        }
        for (int j = binOf(a), last = binOf(b); j <= last; ++j) {
            const double overlap = std::min(b, edge(j + 1)) - std::max(a, edge(j));
            if (overlap > 0) mass[j] += c * overlap / (b - a);
        }
    };
    for (unsigned b = 0; b < kBlocks; ++b) {
        const unsigned e = b & 0xFF;
        const std::uint64_t* counts = block(b);
        if (e == 0 || !counts) continue;
        const bool negative = b & 0x100;
        for (unsigned m = 0; m < kBinsPerBlock; ++m) {
            const std::uint64_t c = counts[m];
            if (c == 0) continue;
            if (negative)
                spread(-binHigh(e, m), -binLow(e, m), double(c));
            else
                spread(binLow(e, m), binHigh(e, m), double(c));
        }
    }
    if (const std::uint64_t zeros = zeroCount()) spread(0.0, 0.0, double(zeros));

    double cumulative = 0;
    std::uint64_t previous = 0;
    for (int j = 0; j < bins; ++j) {
        cumulative += mass[j];
        const std::uint64_t upTo =
            j == bins - 1 ? count : std::min<std::uint64_t>(count, std::uint64_t(std::llround(cumulative)));
        h.counts[j] = std::max(upTo, previous) - previous;
        previous = std::max(upTo, previous);
    }
    return h;
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
    for (unsigned b = 0; b < kBlocks; ++b) {
        // The negative zero block aliases the zero block: add its counters once.
        const std::uint64_t* from = o.block(b);
        if (b == kNegativeZeroBlock || !from) continue;
        if (d->base[b] == kMissing) {
            if (!d->pool) d->growPool();
            d->allocateBlock(b);
        }
        std::uint64_t* to = d->pool.get() + d->base[b];
        for (unsigned m = 0; m < kBinsPerBlock; ++m) to[m] += from[m];
    }
}

StatsSummary ActivationStats::summary(int histogramBins) const {
    StatsSummary s;
    s.count = d->count;
    s.nonfinite = d->nonfinite;
    s.channel_abs_max = d->channelAbsMax;
    s.histogram = d->histogram(histogramBins);
    if (d->count == 0) return s;
    // Σ(|y| - mean|y|)^2 = Σy^2 - n mean|y|^2 = M2(y) + n (mean y - mean|y|)(mean y + mean|y|).
    const double n = d->y.n, meanY = d->y.mean, meanAbs = d->absY.mean;
    s.mean_abs = meanAbs;
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
    return sizeof(ActivationStats) + sizeof(Impl) + std::size_t(d->slotCapacity) * kBinsPerBlock * sizeof(std::uint64_t) +
           d->channelAbsMax.capacity() * sizeof(float);
}

double ActivationStats::quantileAbs(double q) const { return d->quantileAbs(q); }
double ActivationStats::quantileSigned(double q) const { return d->quantileSigned(q); }

std::uint64_t ActivationStats::binCount(std::uint16_t key) const {
    // Exponent 0 keys all read as the shared zero bin's total.
    return (key & 0x7F80) == 0 ? d->zeroCount() : d->binCount(key);
}

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

namespace {

template <class T>
T field(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) throw InputError("activation statistics: expected an object holding '" + std::string(key) + "'");
    const auto it = j.find(key);
    if (it == j.end()) throw InputError("activation statistics: missing field '" + std::string(key) + "'");
    try {
        return it->get<T>();
    } catch (const nlohmann::json::exception&) {
        throw InputError("activation statistics: field '" + std::string(key) + "' has the wrong type");
    }
}

}  // namespace

StatsSummary statsSummaryFromJson(const nlohmann::json& j) {
    StatsSummary s;
    s.count = field<std::uint64_t>(j, "count");
    s.nonfinite = field<std::uint64_t>(j, "nonfinite");
    s.mean_abs = field<double>(j, "mean_abs");
    s.std_abs = field<double>(j, "std_abs");
    s.var_abs = field<double>(j, "var_abs");
    s.min = field<double>(j, "min");
    s.max = field<double>(j, "max");
    s.abs_max = field<double>(j, "abs_max");
    s.median_abs = field<double>(j, "median_abs");
    s.p99_abs = field<double>(j, "p99_abs");
    s.p99_9_abs = field<double>(j, "p99_9_abs");
    s.p99_99_abs = field<double>(j, "p99_99_abs");
    s.p0_1 = field<double>(j, "p0_1");
    s.p99_9 = field<double>(j, "p99_9");
    s.kurtosis = field<double>(j, "kurtosis");
    const nlohmann::json hist = field<nlohmann::json>(j, "histogram");
    s.histogram.lo = field<double>(hist, "lo");
    s.histogram.hi = field<double>(hist, "hi");
    s.histogram.counts = field<std::vector<std::uint64_t>>(hist, "counts");
    s.channel_abs_max = field<std::vector<float>>(j, "channel_abs_max");
    return s;
}

}  // namespace qs
