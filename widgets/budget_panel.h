// The budget strip: the metric, order, bit floor, spread and speaker (or speaker group) the allocation
// is computed for, the
// memory budget slider (MB) with an exact spin box, and what the current allocation achieves.
#pragma once

#include <QStringList>
#include <cmath>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSlider;
class QSpinBox;

namespace qs::gui {

class BudgetPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSliderSteps = 1000;

    explicit BudgetPanel(QWidget* parent = nullptr);

    QString metric() const;  // core's names: median, mean, max, abs_max, std, var, kl, ...
    void setMetric(const QString& name);
    // Distance metrics need the analysis's distance passes: offered only when it has them.
    void setDistanceMetricsAvailable(bool on);
    QString order() const;   // descending, ascending
    void setOrder(const QString& name);
    int minBits() const;
    void setMinBits(int bits);
    // "Fit the files": budget the export files (scales, zero points, ONNX storage) instead of myQASR's size.
    bool fitFiles() const;
    void setFitFiles(bool on);
    int spread() const;  // relaxed uniformity S: 1 is myQASR's Algorithm 1
    void setSpread(int bits);
    QString speaker() const;
    void setSpeakers(const QStringList& speakers);  // keeps the current one when still available
    void setSpeaker(const QString& name);

    // The reachable budgets: above the floor size, up to the float size. Disables the slider when
    // floatMb <= 0 (no analysis).
    void setRange(double minMb, double floatMb);
    double target() const { return target_; }
    void setTarget(double mb);  // no targetChanged
    // The slider position for a budget and back; targets are always strictly above the floor.
    int sliderPosition(double mb) const;
    double targetAt(int position) const;
    QSlider* slider() const { return slider_; }

    // filesMb: the export files' bound when the allocation fits the files (NAN otherwise).
    void setReadout(double sizeMb, double floatMb, double averageBits, double ratio, double filesMb = NAN);
    void setProblem(const QString& message);  // one line in red; empty hides it

    static QString metricLabel(const QString& name);  // "median |y|"

signals:
    void targetChanged(double mb);
    void settingsChanged();  // metric, order, floor, fit-files or speaker

private:
    void onSlider(int position);
    void onSpin(double mb);

    QComboBox* metric_ = nullptr;
    QComboBox* order_ = nullptr;
    QSpinBox* minBits_ = nullptr;
    QCheckBox* fitFiles_ = nullptr;
    QSpinBox* spread_ = nullptr;
    QComboBox* speaker_ = nullptr;
    QSlider* slider_ = nullptr;
    QDoubleSpinBox* spin_ = nullptr;
    QLabel* size_ = nullptr;
    QLabel* bits_ = nullptr;
    QLabel* ratio_ = nullptr;
    QLabel* problem_ = nullptr;
    double min_ = 0.0, max_ = 0.0, target_ = 0.0;
};

}  // namespace qs::gui
