// The Scoring view: which score earns the bits at the current budget? What to compare (random draws,
// whether the costly distance scores take part), run and cancel, and the result: one measure's bars
// for every rule on one scale, a table of every measure with its interval against the default, the
// recommendation, and one click to apply a rule (its metric and order) to the budget panel. The
// window runs the comparison; this view only asks for it and shows what comes back.
#pragma once

#include <QWidget>
#include <memory>

#include "core/scoring/scoring.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace qs::gui {

class ScoringBars;

class ScoringView : public QWidget {
    Q_OBJECT
public:
    explicit ScoringView(QWidget* parent = nullptr);

    ScoringBars* bars() const { return bars_; }
    QTableWidget* table() const { return table_; }

    int randomDraws() const;
    bool distanceRules() const;  // include kl, l1, l2, cosine, sqnr (one forward pass per layer per clip)
    void setDistanceRules(bool on);
    std::vector<ScoringRule> rules() const;  // every metric × order, or the statistics only
    bool perProfile() const;  // each speaker (or speaker group) on its own, else every speaker pooled
    void setPerProfile(bool on);

    void setResult(std::shared_ptr<const ScoringResult> result);
    const std::shared_ptr<const ScoringResult>& result() const { return result_; }
    void setRunning(bool running);
    void setNote(const QString& text);  // the budget and clips the run will use

    void showProfile(int index);
    void showMeasure(Measure m);
    QString recommendationText() const;
    // The rule of a table row (the selected one by default); false when it is a random draw.
    bool ruleOfRow(int row, ScoringRule* rule) const;
    void applyRow(int row);  // emits applyRequested for a rule row

signals:
    void runRequested();
    void cancelRequested();
    void applyRequested(const QString& metric, const QString& order);

private:
    void refresh();
    const ScoringBudget* budget() const;

    QSpinBox* random_ = nullptr;
    QCheckBox* distances_ = nullptr;
    QCheckBox* perProfile_ = nullptr;
    QPushButton* run_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QComboBox* profile_ = nullptr;
    QComboBox* measure_ = nullptr;
    QPushButton* apply_ = nullptr;
    QPushButton* applyRecommended_ = nullptr;
    QLabel* note_ = nullptr;
    QLabel* recommendation_ = nullptr;
    ScoringBars* bars_ = nullptr;
    QTableWidget* table_ = nullptr;
    std::shared_ptr<const ScoringResult> result_;
};

}  // namespace qs::gui
