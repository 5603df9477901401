// The Personalization view: what to compare (budgets in bits per weight, spreads), the run and cancel
// buttons, and the result: the matrix heatmap and the per-profile gain bars for a chosen budget,
// spread and measure, and every clip with what it served for (tune: analysis and calibration, test:
// evaluation). The window runs the comparison; this view only asks for it and shows what comes back.
#pragma once

#include <QWidget>
#include <memory>

#include "core/personalization/personalization.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTreeWidget;

namespace qs::gui {

class GainBars;
class MatrixHeatmap;

class PersonalizationView : public QWidget {
    Q_OBJECT
public:
    explicit PersonalizationView(QWidget* parent = nullptr);

    MatrixHeatmap* heatmap() const { return heatmap_; }
    GainBars* gains() const { return gains_; }

    // The budgets (average bits per weight) and spreads typed in; throws nothing, returns empty
    // lists (and says why in *error) when the text is not a list of numbers.
    std::vector<double> budgetBits(QString* error = nullptr) const;
    std::vector<int> spreads(QString* error = nullptr) const;
    void setBudgetBits(const QString& text);
    void setSpreads(const QString& text);

    void setResult(std::shared_ptr<const PersonalizationResult> result);
    const std::shared_ptr<const PersonalizationResult>& result() const { return result_; }
    void setRunning(bool running);
    // What the run will use (split and profiles), or why it cannot run.
    void setNote(const QString& text);

    void showMatrix(int index);  // a budget × spread of the result
    void showMeasure(Measure m);
    QString summary() const;     // the headline under the controls

signals:
    void runRequested();
    void cancelRequested();

private:
    void refresh();
    void fillClips();

    QLineEdit* budgets_ = nullptr;
    QLineEdit* spreads_ = nullptr;
    QPushButton* run_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QComboBox* matrix_ = nullptr;
    QComboBox* measure_ = nullptr;
    QLabel* note_ = nullptr;
    QLabel* summary_ = nullptr;
    MatrixHeatmap* heatmap_ = nullptr;
    GainBars* gains_ = nullptr;
    QTreeWidget* clips_ = nullptr;
    std::shared_ptr<const PersonalizationResult> result_;
};

}  // namespace qs::gui
