// Per profile, four bars on its own test clips: its own scheme, the all-profiles scheme, the best
// other profile's scheme and the uniform scheme. The whisker on each of the other three bars is the
// 95% paired bootstrap interval of its difference from the own scheme, drawn around the other
// scheme's value: a whisker that reaches the own bar's level means no measurable difference.
// Verdicts are written above each profile: "+" own better, "−" own worse, "=" no measurable difference.
#pragma once

#include <memory>

#include "core/personalization/personalization.h"
#include "widgets/figure_view.h"

class QCPBars;
class QCPErrorBars;

namespace qs::gui {

class GainBars : public FigureView {
    Q_OBJECT
public:
    explicit GainBars(QWidget* parent = nullptr);

    void setMatrix(std::shared_ptr<const PersonalizationResult> result, int index, Measure measure);
    void clear();

    // "+", "−", "=" per profile and comparison (all, best other, uniform), for tests and the summary.
    QStringList verdicts() const { return verdicts_; }

private:
    QCPBars* bars_[4] = {};
    QCPErrorBars* whiskers_[3] = {};
    QStringList verdicts_;
};

}  // namespace qs::gui
