// Comparing two speakers' allocations: score correlations, and the exact budget ranges over which
// their allocations differ (the chains only change state at their own sizes, so evaluating each
// interval between consecutive sizes of either chain once gives the complete answer).
#pragma once

#include <vector>

#include "core/allocation/allocation.h"
#include "widgets/speaker_comparison.h"

namespace qs::gui {

double pearson(const std::vector<double>& x, const std::vector<double>& y);   // NaN when undefined
double spearman(const std::vector<double>& x, const std::vector<double>& y);  // ties get average ranks

// Every target in (floor, float] covered once, ascending; neighbouring ranges with the same
// number of differing layers merged. sizesA/B are the curves' state sizes (float first).
std::vector<BudgetRange> differingBudgets(const BudgetCurve& a, const std::vector<double>& sizesA,
                                          const BudgetCurve& b, const std::vector<double>& sizesB);

}  // namespace qs::gui
