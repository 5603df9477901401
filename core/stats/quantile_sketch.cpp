// The quantile sketch: block allocation, the counting loop, merging, and the quantile and histogram
// read-outs (quantile_sketch.h).
#include "core/stats/quantile_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/base/errors.h"

#if defined(__GNUC__)
#define QS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define QS_UNLIKELY(x) (x)
#endif

namespace qs::detail {
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

}  // namespace

struct QuantileSketch::Impl {
    // The counters of block b are pool[base[b] .. base[b] + 127]; base[b] == kMissing (the scratch
    // block) until b is first touched. Offsets fit 16 bits: 510 slots × 128 < 65536.
    std::uint16_t base[kBlocks] = {};
    std::unique_ptr<std::uint64_t[]> pool;
    unsigned usedSlots = 0, slotCapacity = 0;

    void growPool();
    void allocateBlock(unsigned block);
    void countBins(const float* x, std::size_t n);
    void recountMissing(const float* x, std::size_t n);

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
};


// Small linear growth, capped at the most slots that can ever exist: memory tracks use.
void QuantileSketch::Impl::growPool() {
    const unsigned capacity = std::min(kMaxSlots, slotCapacity + kSlotGrowth);
    std::unique_ptr<std::uint64_t[]> grown(new std::uint64_t[capacity * kBinsPerBlock]());
    if (pool) std::copy(pool.get(), pool.get() + usedSlots * kBinsPerBlock, grown.get());
    pool = std::move(grown);
    slotCapacity = capacity;
    if (usedSlots == 0) usedSlots = 1;  // the scratch block
}

void QuantileSketch::Impl::allocateBlock(unsigned b) {
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
void QuantileSketch::Impl::countBins(const float* x, std::size_t n) {
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
void QuantileSketch::Impl::recountMissing(const float* x, std::size_t n) {
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


double QuantileSketch::quantileAbs(double q, std::uint64_t count, float min, float max) const {
    if (count == 0) return 0.0;
    const Impl& s = *d;
    const std::uint64_t rank = rankOf(q, count);
    const double absMax = std::max(-double(min), double(max));
    if (rank == count - 1) return absMax;  // the exact extreme beats any bin
    std::uint64_t seen = s.zeroCount();
    if (seen > rank) return 0.0;
    for (unsigned e = 1; e <= 254; ++e) {
        if (!s.block(e) && !s.block(e | kNegativeZeroBlock)) continue;
        for (unsigned m = 0; m < kBinsPerBlock; ++m) {
            const unsigned key = (e << 7) | m;
            seen += s.binCount(key) + s.binCount(key | 0x8000);
            if (seen > rank) return std::min(binMid(e, m), absMax);
        }
    }
    return absMax;
}

// Signed order: negative bins from the most negative up, then zero, then positive bins.
double QuantileSketch::quantileSigned(double q, std::uint64_t count, float min, float max) const {
    if (count == 0) return 0.0;
    const Impl& s = *d;
    const std::uint64_t rank = rankOf(q, count);
    if (rank == 0) return min;  // the exact extremes beat any bin
    if (rank == count - 1) return max;
    std::uint64_t seen = 0;
    for (unsigned e = 254; e >= 1; --e) {
        if (!s.block(e | kNegativeZeroBlock)) continue;
        for (unsigned m = kBinsPerBlock; m-- > 0;) {
            seen += s.binCount(0x8000 | (e << 7) | m);
            if (seen > rank) return std::max(-binMid(e, m), double(min));
        }
    }
    seen += s.zeroCount();
    if (seen > rank) return 0.0;  // zero and denormals read as exactly 0
    for (unsigned e = 1; e <= 254; ++e) {
        if (!s.block(e)) continue;
        for (unsigned m = 0; m < kBinsPerBlock; ++m) {
            seen += s.binCount((e << 7) | m);
            if (seen > rank) return std::min(binMid(e, m), double(max));
        }
    }
    return max;
}

// Cumulative rounding turns the fractional masses into integers that add up to count exactly.
Histogram QuantileSketch::histogram(int bins, std::uint64_t count, float min, float max) const {
    if (bins < 1) throw InputError("activation statistics: a histogram needs at least one bin");
    const Impl& s = *d;
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
        const std::uint64_t* counts = s.block(b);
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
    if (const std::uint64_t zeros = s.zeroCount()) spread(0.0, 0.0, double(zeros));

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

QuantileSketch::QuantileSketch() : d(std::make_unique<Impl>()) {}
QuantileSketch::~QuantileSketch() = default;
QuantileSketch::QuantileSketch(QuantileSketch&&) noexcept = default;
QuantileSketch& QuantileSketch::operator=(QuantileSketch&&) noexcept = default;

void QuantileSketch::add(const float* x, std::size_t n) { d->countBins(x, n); }

void QuantileSketch::merge(const QuantileSketch& other) {
    const Impl& o = *other.d;
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

std::uint64_t QuantileSketch::binCount(std::uint16_t key) const {
    // Exponent 0 keys all read as the shared zero bin's total.
    return (key & 0x7F80) == 0 ? d->zeroCount() : d->binCount(key);
}

std::size_t QuantileSketch::memoryBytes() const {
    return sizeof(QuantileSketch) + sizeof(Impl) + std::size_t(d->slotCapacity) * kBinsPerBlock * sizeof(std::uint64_t);
}

}  // namespace qs::detail
