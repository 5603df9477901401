// One measure for every row of a scoring comparison at one budget: a horizontal bar per rule (and per
// random draw), all on one axis so that rules compare at a glance. The whisker on each bar is the
// 95% paired bootstrap interval of its difference from the default rule, drawn around the rule's
// value: a whisker that reaches the default's value means no measurable difference. The default is
// dark, random draws grey, the recommended rule green.
#pragma once

#include <memory>

#include "core/scoring/scoring.h"
#include "widgets/figure_view.h"

class QCPBars;
class QCPErrorBars;

namespace qs::gui {

class ScoringBars : public FigureView {
    Q_OBJECT
public:
    explicit ScoringBars(QWidget* parent = nullptr);

    void setBudget(const ScoringBudget* budget, Measure measure, double confidence);
    void clear();

    // The values drawn (as shown: rates in %), top to bottom, for tests.
    std::vector<double> shownValues() const;
    std::pair<double, double> valueRange() const;  // the axis range

private:
    QCPBars* bars_[3] = {};           // default and rules, random draws, recommended
    QCPErrorBars* whiskers_[3] = {};
    int rows_ = 0;
};

}  // namespace qs::gui
