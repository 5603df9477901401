// Bit allocation with the uniformity constraint (myQASR Algorithm 1). Every included layer starts at
// 32 bits; the layers are ordered by score (descending by default: the largest score loses bits
// first; ties keep network order); passes over that order take one bit from one layer at a time and
// stop the moment the size drops strictly below the target. quantscope adds a floor (minBits): a
// target that cannot be met with every included layer at the floor is a BudgetError.
//
// All layers move in lockstep passes, so the states form a single chain: after k decrements, the
// layer at position j of the order has 32 - k / n bits, one less if j < k % n (n included layers).
// BudgetCurve precomputes the chain's sizes once, then answers any target by binary search; that is
// what lets the GUI's budget slider move live. allocate() is the literal step-by-step reference.
//
// Relaxed uniformity (spread S >= 1): each step takes one bit from the first layer in score order
// (above the floor) whose bits minus one stay within S bits of the most precise included layer.
// S = 1 is exactly Algorithm 1's round-robin passes; a larger S lets the scores move bits further
// (the first layers in the order run up to S bits below the last). The states still form one chain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/stats/analysis.h"
#include "core/allocation/sensitivity.h"
#include "core/allocation/file_size.h"
#include "core/allocation/size_model.h"

namespace qs {

enum class Order { Descending, Ascending };

std::string orderName(Order o);             // "descending", "ascending"
Order parseOrder(const std::string& name);  // throws InputError listing the choices

inline constexpr int kDefaultMinBits = 2;

// Everything besides the scores that fixes the chain of states.
struct AllocationSettings {
    Order order = Order::Descending;
    int minBits = kDefaultMinBits;  // 1..31
    std::vector<bool> include;      // per layer; empty means every layer. Excluded layers stay at 32.
    // "The budget is a promise" (allocate --fit-files): the same chain of states, but the target is
    // compared with the export files' size (file_size.h) instead of myQASR's size model.
    std::shared_ptr<const FileSizeModel> fitFiles;
    int spread = 1;                 // relaxed uniformity S, 1..31; 1 is Algorithm 1
};

// The literal rule, one bit at a time (with spread 1, Algorithm 1's passes over the ordered included
// layers), recomputing the size with the size model after each decrement. Returns bits per layer.
// Throws BudgetError when the target cannot be met at the floor, InputError on bad arguments.
std::vector<int> allocate(const SizeModel& size, const std::vector<double>& scores,
                          const AllocationSettings& settings, double targetMb);

// One state of the chain, for plotting: its size after `step` decrements.
struct CurvePoint {
    int step = 0;
    double sizeMb = 0.0;
};

class BudgetCurve {
public:
    // O(L log L + K) for L layers and K = n × (32 - minBits) states. Throws InputError on bad
    // arguments (mismatched lengths, minBits outside 1..31, non-finite scores).
    static BudgetCurve build(const SizeModel& size, const std::vector<double>& scores,
                             const AllocationSettings& settings);

    // The first state whose size is strictly below targetMb (state 0 when the float model already
    // is). Throws BudgetError naming the smallest reachable size, InputError on a target <= 0.
    int lookupStep(double targetMb) const;
    // lookupStep, then the bits of that state: O(log K + L).
    std::vector<int> lookup(double targetMb) const { return bitsAt(lookupStep(targetMb)); }

    // Bits per layer after `step` decrements (0 <= step <= steps()), in O(L).
    std::vector<int> bitsAt(int step) const;
    double sizeMbAt(int step) const { return mbFromBits(sizeBits_.at(std::size_t(step))); }
    int steps() const { return int(sizeBits_.size()) - 1; }

    double floatSizeMb() const { return sizeMbAt(0); }
    double minSizeMb() const { return sizeMbAt(steps()); }
    std::vector<CurvePoint> points() const;

    // Layer indices in the order they lose bits (included layers only).
    const std::vector<int>& order() const { return order_; }
    int minBits() const { return minBits_; }
    int spread() const { return spread_; }

private:
    std::size_t layers_ = 0;
    int minBits_ = kDefaultMinBits;
    int spread_ = 1;
    std::vector<int> order_;
    std::vector<std::int64_t> sizeBits_;  // non-increasing; strictly so as every layer has params
    // Spread above 1: the layer each step takes a bit from, and the bits every n steps (n included
    // layers), from which bitsAt replays at most n - 1 steps.
    std::vector<int> takes_;
    std::vector<std::vector<int>> checkpoints_;
};

// The BudgetError message: "target 1.00 MB is below the smallest size reachable with 2-bit layers,
// 1.37 MB", with as many decimals as it takes to tell the two sizes apart.
std::string unreachableTargetMessage(double targetMb, double minSizeMb, int minBits, bool anyIncluded);

struct LayerBits {
    std::string name;
    std::int64_t params = 0;
    double score = 0.0;
    int bits = kFloatBits;
    bool included = true;
};

// An allocation as allocation.json holds it.
struct Allocation {
    double targetMb = 0.0;
    double sizeMb = 0.0;
    double floatSizeMb = 0.0;
    Metric metric = Metric::Median;
    Order order = Order::Descending;
    std::string speaker = kAllSpeakers;
    int minBits = kDefaultMinBits;
    int spread = 1;
    std::string split = "no split";      // the analysis's tune/test split (its tune clips were analysed)
    double averageBits = kFloatBits;     // parameter-weighted over the quantizable layers
    double compressionRatio = 1.0;       // float size / size
    std::vector<LayerBits> layers;       // network order
    bool fitFiles = false;               // allocated for the export files' size (filesMb < targetMb)
    FileSizeOptions fileSize;            // the granularity it was counted at
    double filesMb = 0.0;                // the files' size bound (fitFiles only); sizeMb stays myQASR's

    std::vector<int> bits() const;
};

// What the CLI (and a GUI "export") asks for.
struct AllocationRequest {
    double targetMb = 0.0;
    Metric metric = Metric::Median;
    std::string speaker = kAllSpeakers;
    AllocationSettings settings;
};

// The size model of an analysed model: its total parameters and its analysed layers, in order.
SizeModel sizeModelFor(const Analysis& a);

// Scores the layers, builds the curve and looks the target up. Throws InputError / BudgetError.
Allocation allocateAnalysis(const Analysis& a, const AllocationRequest& request);

// True when the allocation's layers are the analysis's, in order (made from the same model).
bool sameLayers(const Allocation& allocation, const Analysis& analysis);

// Assembles the result for given scores and bits (e.g. from a curve the GUI keeps).
Allocation describeAllocation(const Analysis& a, const AllocationRequest& request,
                              const std::vector<double>& scores, const std::vector<int>& bits);

}  // namespace qs
