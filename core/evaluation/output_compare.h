// Label-free comparison of a quantized model's output with its float model's output on the same
// clip. Rows are the vectors along the last dimension (frames × vocabulary for a CTC model); KL is
// taken between each row's softmax distributions. Everything is kept as running sums, so clips,
// speakers and threads can be merged and "all" equals the sum of its parts exactly.
#pragma once

#include <cstdint>

namespace qs {

struct ModelOutput;

// Upper and lower bound of reported SQNR: identical outputs have no noise (+∞ dB), a zero float
// output with noise has no signal (−∞ dB); JSON and plots want finite numbers.
inline constexpr double kMaxSqnrDb = 300.0;

struct OutputComparison {
    double sqnrDb = kMaxSqnrDb;  // 10 log10(Σ f² / Σ (f − q)²) over every element, clamped to ±300
    double kl = 0;               // KL(softmax(f) ‖ softmax(q)) per row, averaged over rows
    double l1 = 0;               // mean |f − q| per element
    double l2 = 0;               // mean (f − q)² per element
    double cosine = 0;           // 1 − cosine similarity of each clip's whole output, averaged over clips
    double maxAbsDiff = 0;       // largest |f − q| of any element
    int clips = 0;
    std::int64_t rows = 0;
    std::int64_t elements = 0;
};

class OutputComparer {
public:
    // Adds one clip. Throws ModelError when the outputs' shapes differ or the shape does not match
    // the number of values.
    void add(const ModelOutput& reference, const ModelOutput& quantized);
    // Merges another comparer's clips (e.g. one speaker into "all", or per-thread partial sums).
    void add(const OutputComparer& other);

    OutputComparison result() const;
    int clips() const { return clips_; }
    // The running sums, for callers that pool clips themselves (ratios of totals, resampling).
    double signal() const { return signal_; }   // Σ f²
    double noise() const { return noise_; }     // Σ (f − q)²
    double klSum() const { return kl_; }        // Σ over rows of the row's KL
    std::int64_t rows() const { return rows_; }

private:
    double signal_ = 0;    // Σ f²
    double noise_ = 0;     // Σ (f − q)²
    double absDiff_ = 0;   // Σ |f − q|
    double kl_ = 0;        // Σ over rows of the row's KL
    double cosine_ = 0;    // Σ over clips of 1 − cos
    double maxAbsDiff_ = 0;
    std::int64_t rows_ = 0;
    std::int64_t elements_ = 0;
    int clips_ = 0;
};

// One clip's comparison.
OutputComparison compareOutputs(const ModelOutput& reference, const ModelOutput& quantized);

}  // namespace qs
