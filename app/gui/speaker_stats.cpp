// Score correlations and the budget ranges where two speakers' allocations differ.
#include "app/gui/speaker_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace qs::gui {

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
    const std::size_t n = x.size();
    if (n < 2 || y.size() != n) return std::numeric_limits<double>::quiet_NaN();
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / double(n);
    const double my = std::accumulate(y.begin(), y.end(), 0.0) / double(n);
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx <= 0 || syy <= 0) return std::numeric_limits<double>::quiet_NaN();
    return sxy / std::sqrt(sxx * syy);
}

namespace {

std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<std::size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < idx.size();) {
        std::size_t j = i;
        while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
        const double average = 0.5 * double(i + j);
        for (std::size_t k = i; k <= j; ++k) r[idx[k]] = average;
        i = j + 1;
    }
    return r;
}

}  // namespace

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) return std::numeric_limits<double>::quiet_NaN();
    return pearson(ranks(x), ranks(y));
}

std::vector<BudgetRange> differingBudgets(const BudgetCurve& a, const std::vector<double>& sizesA,
                                          const BudgetCurve& b, const std::vector<double>& sizesB) {
    std::vector<double> cuts(sizesA);
    cuts.insert(cuts.end(), sizesB.begin(), sizesB.end());
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    std::vector<BudgetRange> out;
    // Within (cuts[j], cuts[j+1]] neither chain changes state; its right end is a valid target.
    for (std::size_t j = 0; j + 1 < cuts.size(); ++j) {
        const double t = cuts[j + 1];
        const std::vector<int> ba = a.bitsAt(a.lookupStep(t));
        const std::vector<int> bb = b.bitsAt(b.lookupStep(t));
        int differing = 0;
        for (std::size_t i = 0; i < ba.size() && i < bb.size(); ++i) differing += ba[i] != bb[i];
        if (!out.empty() && out.back().differing == differing) {
            out.back().toMb = t;
        } else {
            out.push_back({cuts[j], t, differing});
        }
    }
    return out;
}

}  // namespace qs::gui
