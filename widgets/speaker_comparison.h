// Two speakers' scores and allocations side by side, and where (which layers, at which budgets)
// their allocations differ. Plain data filled by the app from core's budget curves; the text
// helpers here never claim more difference than the numbers hold.
#pragma once

#include <QString>
#include <limits>
#include <string>
#include <vector>

namespace qs::gui {

// Targets in (fromMb, toMb] give allocations that differ in `differing` layers.
struct BudgetRange {
    double fromMb = 0.0;
    double toMb = 0.0;
    int differing = 0;
};

struct SpeakerComparison {
    QString a, b;
    std::vector<double> scoresA, scoresB;  // per layer, network order
    std::vector<int> bitsA, bitsB;         // per layer at targetMb
    double targetMb = 0.0;
    std::vector<BudgetRange> ranges;       // ascending, covering every reachable target
    double pearson = std::numeric_limits<double>::quiet_NaN();   // of the scores
    double spearman = std::numeric_limits<double>::quiet_NaN();  // of the scores' ranks

    bool valid() const { return !bitsA.empty() && bitsA.size() == bitsB.size(); }
    std::vector<int> differingLayers() const;  // at targetMb
    int maxDiffering() const;                  // over all budgets
    double differingShare() const;             // share of the budget range (in MB) where they differ
};

// One line for the figure: "At 1.250 MB: identical allocation at this budget" or
// "At 1.250 MB: 3 of 34 layers differ by one bit".
QString comparisonHeadline(const SpeakerComparison& c);
// A paragraph listing the differing layers (A bits vs B bits) and the budget ranges where the
// allocations differ, with the score correlations.
QString comparisonDetails(const SpeakerComparison& c, const std::vector<std::string>& layerNames);

}  // namespace qs::gui
