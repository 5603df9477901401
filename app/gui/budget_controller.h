// The live budget: for the analysis on show, one BudgetCurve per speaker (built once per metric,
// order, floor and include mask), and the allocation at the current target looked up from them.
// Moving the budget slider costs a binary search per speaker, never a recomputation.
#pragma once

#include <QObject>
#include <QStringList>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/allocation/allocation.h"
#include "core/stats/analysis.h"
#include "widgets/budget_curve_view.h"
#include "widgets/speaker_comparison.h"

namespace qs::gui {

struct BudgetSettings {
    Metric metric = Metric::Median;
    Order order = Order::Descending;
    int minBits = kDefaultMinBits;
    std::vector<bool> include;            // empty: every layer
    std::string speaker = kAllSpeakers;   // whose allocation is the primary one
    bool fitFiles = false;                // budget the export files (AllocationSettings::fitFiles)
    int spread = 1;                       // relaxed uniformity S (1: Algorithm 1)
};

class BudgetController : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    void setAnalysis(std::shared_ptr<const Analysis> analysis);  // rebuilds; target -> default
    void setAnalysis(std::shared_ptr<const Analysis> analysis, const BudgetSettings& settings);
    void setSettings(const BudgetSettings& settings);             // rebuilds; target kept (clamped)
    const BudgetSettings& settings() const { return settings_; }
    void setTarget(double mb);                                    // lookups only
    double target() const { return target_; }

    bool ready() const { return !curves_.empty() && hasRange_; }
    QString problem() const { return problem_; }  // why there is no allocation, or empty
    double minSizeMb() const { return minMb_; }
    double floatSizeMb() const { return floatMb_; }
    double defaultTarget() const;  // halfway between every included layer at 4 and at 5 bits

    QStringList speakers() const;  // "all" first
    const Allocation& allocation() const { return allocation_; }  // the primary speaker's, at target
    std::vector<double> scores(const std::string& speaker) const;
    std::vector<int> bits(const std::string& speaker) const;      // at target; empty when unknown
    BudgetCurveData curveData() const;                            // the primary speaker's chain
    SpeakerComparison compare(const QString& a, const QString& b) const;

signals:
    void curvesChanged();
    void allocationChanged();

private:
    struct SpeakerCurve {
        std::vector<double> scores;
        BudgetCurve curve;
        std::vector<double> sizes;  // per state, float first
        std::vector<int> bits;      // at target
    };
    void rebuild();
    void lookup();
    AllocationSettings allocationSettings() const;

    std::shared_ptr<const Analysis> analysis_;
    BudgetSettings settings_;
    std::map<std::string, SpeakerCurve> curves_;
    double target_ = 0.0;
    double minMb_ = 0.0, floatMb_ = 0.0;
    bool hasRange_ = false;
    QString problem_;
    Allocation allocation_;
    mutable std::map<std::pair<std::string, std::string>, std::vector<BudgetRange>> ranges_;  // per pair
};

}  // namespace qs::gui
