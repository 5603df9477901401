// Algorithm 1 with a floor and exclusions, budget curves (every reachable state) and allocation at
// a target.
#include "core/allocation/allocation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "core/base/errors.h"

namespace qs {

namespace {

void checkArguments(const SizeModel& size, const std::vector<double>& scores,
                    const AllocationSettings& settings) {
    const std::size_t n = size.layerCount();
    if (scores.size() != n)
        throw InputError("expected " + std::to_string(n) + " layer scores, got " + std::to_string(scores.size()));
    if (!settings.include.empty() && settings.include.size() != n)
        throw InputError("expected an include flag for each of " + std::to_string(n) + " layers, got " +
                         std::to_string(settings.include.size()));
    if (settings.minBits < 1 || settings.minBits >= kFloatBits)
        throw InputError("the minimum bits must be 1 to 31, not " + std::to_string(settings.minBits));
    if (settings.spread < 1 || settings.spread >= kFloatBits)
        throw InputError("the spread must be 1 to 31 bits, not " + std::to_string(settings.spread));
    for (std::size_t i = 0; i < n; ++i)
        if (!std::isfinite(scores[i]))
            throw InputError("the score of layer #" + std::to_string(i) + " is not a finite number");
}

void checkTarget(double targetMb) {
    if (!(targetMb > 0.0) || !std::isfinite(targetMb))
        throw InputError("the target size must be a positive number of MB");
}

bool included(const AllocationSettings& s, std::size_t i) { return s.include.empty() || s.include[i]; }

// The size a target is compared with: myQASR's size model, or the export files' with --fit-files.
double comparedSizeMb(const SizeModel& size, const AllocationSettings& s, const std::vector<int>& bits) {
    return s.fitFiles ? s.fitFiles->sizeMb(bits) : size.sizeMb(bits);
}

// Included layers in the order they lose bits. stable_sort keeps network order among equal scores.
std::vector<int> bitOrder(const std::vector<double>& scores, const AllocationSettings& settings) {
    std::vector<int> order;
    for (std::size_t i = 0; i < scores.size(); ++i)
        if (included(settings, i)) order.push_back(int(i));
    if (settings.order == Order::Descending)
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
    else
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] < scores[b]; });
    return order;
}

// The relaxed-uniformity step: the first layer in order above the floor whose bits minus one stay
// within `spread` bits of the most precise included layer; -1 when every layer sits at the floor.
// With spread 1 this is Algorithm 1's round robin.
int nextLayer(const std::vector<int>& bits, const std::vector<int>& order, const AllocationSettings& settings) {
    int most = 0;
    for (int layer : order) most = std::max(most, bits[std::size_t(layer)]);
    for (int layer : order) {
        const int b = bits[std::size_t(layer)];
        if (b > settings.minBits && most - (b - 1) <= settings.spread) return layer;
    }
    return -1;
}

std::string formatMb(double mb, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, mb);
    return buf;
}

}  // namespace

std::string orderName(Order o) { return o == Order::Ascending ? "ascending" : "descending"; }

Order parseOrder(const std::string& name) {
    if (name == "descending") return Order::Descending;
    if (name == "ascending") return Order::Ascending;
    throw InputError("unknown order '" + name + "' (known: descending, ascending)");
}

std::string unreachableTargetMessage(double targetMb, double minSizeMb, int minBits, bool anyIncluded) {
    // Two decimals unless they would print two different sizes alike (or a tiny model as 0.00).
    int decimals = 2;
    auto ambiguous = [&](int d) {
        return (targetMb != minSizeMb && formatMb(targetMb, d) == formatMb(minSizeMb, d)) ||
               (minSizeMb > 0 && formatMb(minSizeMb, d) == formatMb(0.0, d));
    };
    while (decimals < 9 && ambiguous(decimals)) ++decimals;
    const std::string target = formatMb(targetMb, decimals), reachable = formatMb(minSizeMb, decimals);
    if (!anyIncluded)
        return "target " + target + " MB is below the model's size, " + reachable +
               " MB, and no layer is included for quantization";
    return "target " + target + " MB is below the smallest size reachable with " + std::to_string(minBits) +
           "-bit layers, " + reachable + " MB";
}

std::vector<int> allocate(const SizeModel& size, const std::vector<double>& scores,
                          const AllocationSettings& settings, double targetMb) {
    checkArguments(size, scores, settings);
    checkTarget(targetMb);
    std::vector<int> bits(size.layerCount(), kFloatBits);
    if (comparedSizeMb(size, settings, bits) < targetMb) return bits;

    const std::vector<int> order = bitOrder(scores, settings);
    for (int layer; (layer = nextLayer(bits, order, settings)) >= 0;) {  // until every layer sits at the floor
        --bits[std::size_t(layer)];
        if (comparedSizeMb(size, settings, bits) < targetMb) return bits;
    }
    throw BudgetError(unreachableTargetMessage(targetMb, comparedSizeMb(size, settings, bits), settings.minBits,
                                               !order.empty()));
}

BudgetCurve BudgetCurve::build(const SizeModel& size, const std::vector<double>& scores,
                               const AllocationSettings& settings) {
    checkArguments(size, scores, settings);
    BudgetCurve c;
    c.layers_ = size.layerCount();
    c.minBits_ = settings.minBits;
    c.spread_ = settings.spread;
    c.order_ = bitOrder(scores, settings);

    // Every step takes one bit until every included layer sits at the floor, whatever the spread.
    const std::size_t n = c.order_.size();
    const std::size_t steps = n * std::size_t(kFloatBits - settings.minBits);
    c.sizeBits_.resize(steps + 1);
    c.sizeBits_[0] = size.floatBits();
    if (settings.spread == 1) {
        // Decrement k (1-based) takes a bit from order[(k - 1) % n]: the chain's sizes follow directly.
        for (std::size_t k = 1; k <= steps; ++k)
            c.sizeBits_[k] = c.sizeBits_[k - 1] - size.layerParams(std::size_t(c.order_[(k - 1) % n]));
    } else {
        std::vector<int> bits(c.layers_, kFloatBits);
        c.takes_.reserve(steps);
        for (std::size_t k = 1; k <= steps; ++k) {
            if ((k - 1) % n == 0) c.checkpoints_.push_back(bits);
            const int layer = nextLayer(bits, c.order_, settings);
            --bits[std::size_t(layer)];
            c.takes_.push_back(layer);
            c.sizeBits_[k] = c.sizeBits_[k - 1] - size.layerParams(std::size_t(layer));
        }
        c.checkpoints_.push_back(bits);
    }
    if (settings.fitFiles) {  // the same states, measured as files (non-increasing, with plateaus)
        if (settings.fitFiles->layerCount() != c.layers_) throw InputError("the file size model is for another model");
        for (std::size_t k = 0; k <= steps; ++k) c.sizeBits_[k] = settings.fitFiles->sizeBits(c.bitsAt(int(k)));
    }
    return c;
}

int BudgetCurve::lookupStep(double targetMb) const {
    checkTarget(targetMb);
    // Sizes never increase along the chain, so "size < target" flips from false to true once.
    int lo = 0, hi = steps() + 1;  // answer in [lo, hi); hi = steps() + 1 means unreachable
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (sizeMbAt(mid) < targetMb)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo > steps()) throw BudgetError(unreachableTargetMessage(targetMb, minSizeMb(), minBits_, !order_.empty()));
    return lo;
}

std::vector<int> BudgetCurve::bitsAt(int step) const {
    if (step < 0 || step > steps())
        throw InputError("budget curve step " + std::to_string(step) + " is outside 0.." + std::to_string(steps()));
    std::vector<int> bits(layers_, kFloatBits);
    const int n = int(order_.size());
    if (n == 0) return bits;
    if (spread_ > 1) {
        bits = checkpoints_[std::size_t(step / n)];
        for (int k = step / n * n; k < step; ++k) --bits[std::size_t(takes_[std::size_t(k)])];
        return bits;
    }
    const int fullPasses = step / n, extra = step % n;
    for (int j = 0; j < n; ++j) bits[std::size_t(order_[j])] = kFloatBits - fullPasses - (j < extra ? 1 : 0);
    return bits;
}

std::vector<CurvePoint> BudgetCurve::points() const {
    std::vector<CurvePoint> pts(sizeBits_.size());
    for (std::size_t k = 0; k < pts.size(); ++k) pts[k] = {int(k), mbFromBits(sizeBits_[k])};
    return pts;
}

SizeModel sizeModelFor(const Analysis& a) {
    std::vector<std::int64_t> params;
    params.reserve(a.layers.size());
    for (const LayerAnalysis& l : a.layers) {
        if (l.info.params < 1) throw InputError("layer " + l.info.name + " has no parameters");
        params.push_back(l.info.params);
    }
    return SizeModel(a.model.totalParams, std::move(params));
}

std::vector<int> Allocation::bits() const {
    std::vector<int> b;
    b.reserve(layers.size());
    for (const auto& l : layers) b.push_back(l.bits);
    return b;
}

Allocation describeAllocation(const Analysis& a, const AllocationRequest& request,
                              const std::vector<double>& scores, const std::vector<int>& bits) {
    const SizeModel size = sizeModelFor(a);
    if (scores.size() != a.layers.size() || bits.size() != a.layers.size())
        throw InputError("an allocation needs one score and one bit width per layer");
    if (!request.settings.include.empty() && request.settings.include.size() != a.layers.size())
        throw InputError("an allocation needs one include flag per layer");
    Allocation out;
    out.targetMb = request.targetMb;
    out.sizeMb = size.sizeMb(bits);
    out.floatSizeMb = size.floatSizeMb();
    out.metric = request.metric;
    out.order = request.settings.order;
    out.speaker = request.speaker;
    out.minBits = request.settings.minBits;
    out.spread = request.settings.spread;
    out.split = a.split.description;
    out.averageBits = size.averageBits(bits);
    out.compressionRatio = size.compressionRatio(bits);
    for (std::size_t i = 0; i < a.layers.size(); ++i)
        out.layers.push_back({a.layers[i].info.name, a.layers[i].info.params, scores[i], bits[i],
                              included(request.settings, i)});
    if (request.settings.fitFiles) {
        out.fitFiles = true;
        out.fileSize = request.settings.fitFiles->options();
        out.filesMb = request.settings.fitFiles->sizeMb(bits);
    }
    return out;
}

bool sameLayers(const Allocation& allocation, const Analysis& analysis) {
    if (allocation.layers.size() != analysis.layers.size()) return false;
    for (std::size_t l = 0; l < analysis.layers.size(); ++l)
        if (allocation.layers[l].name != analysis.layers[l].info.name) return false;
    return true;
}

Allocation allocateAnalysis(const Analysis& a, const AllocationRequest& request) {
    const std::vector<double> scores = layerScores(a, request.metric, request.speaker);
    const BudgetCurve curve = BudgetCurve::build(sizeModelFor(a), scores, request.settings);
    return describeAllocation(a, request, scores, curve.lookup(request.targetMb));
}

}  // namespace qs
