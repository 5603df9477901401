// Speaker comparison: two speakers' scores (top) and allocations at the current budget (middle),
// layers that differ marked, and the number of differing layers at every budget (bottom).
#pragma once

#include <QStringList>
#include <string>
#include <vector>

#include "widgets/figure_view.h"
#include "widgets/speaker_comparison.h"

class QComboBox;
class QLabel;
class QCPAxisRect;
class QCPBars;
class QCPGraph;
class QCPItemRect;
class QCPItemStraightLine;
class QCPTextElement;

namespace qs::gui {

class BitBars;

class ComparisonView : public FigureView {
    Q_OBJECT
public:
    explicit ComparisonView(QWidget* parent = nullptr);

    void setLayers(const std::vector<std::string>& names);
    // The speakers to choose from; keeps the current pair when both are still available.
    void setSpeakers(const QStringList& speakers);
    QString speakerA() const;
    QString speakerB() const;
    void setPair(const QString& a, const QString& b);

    void setComparison(const SpeakerComparison& c);
    void setSelectedLayer(int layer);

    QString headline() const;  // what the figure says (tests)
    QString details() const;

    QString exportCaption() const override;

signals:
    void pairChanged(const QString& a, const QString& b);

private:
    void rebuild();

    std::vector<std::string> names_;
    SpeakerComparison data_;
    QComboBox* a_ = nullptr;
    QComboBox* b_ = nullptr;
    QLabel* details_ = nullptr;
    QCPTextElement* headline_ = nullptr;
    QCPAxisRect* scoresRect_ = nullptr;
    QCPAxisRect* bitsRect_ = nullptr;
    QCPAxisRect* budgetRect_ = nullptr;
    QCPBars* scoresA_ = nullptr;
    QCPBars* scoresB_ = nullptr;
    BitBars* bitsA_ = nullptr;
    BitBars* bitsB_ = nullptr;
    QCPGraph* marks_ = nullptr;
    QCPGraph* diffCurve_ = nullptr;
    QCPItemStraightLine* target_ = nullptr;
    QCPItemRect* bandScores_ = nullptr;
    QCPItemRect* bandBits_ = nullptr;
};

}  // namespace qs::gui
