// The budget curve: every state the allocation can reach, as model size against average bits, with
// the float model, the floor (every layer at the minimum bits), the target and the current state.
#pragma once

#include <QList>
#include <QVector>

#include "widgets/figure_view.h"

class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;

namespace qs::gui {

struct BudgetCurveData {
    QVector<double> sizeMb;        // per state of the chain, float model first
    QVector<double> averageBits;   // parameter-weighted
    QVector<double> layerMeanBits; // each layer counting once
    // The uniform states (every included layer at the same width), for orientation.
    QVector<double> uniformSizeMb, uniformAverageBits;
    QVector<int> uniformBits;
};

class BudgetCurveView : public FigureView {
    Q_OBJECT
public:
    explicit BudgetCurveView(QWidget* parent = nullptr);

    void setCurve(const BudgetCurveData& data);
    void setCurrent(double targetMb, double sizeMb, double averageBits);
    void clear();

private:
    QCPGraph* weighted_ = nullptr;
    QCPGraph* plain_ = nullptr;
    QCPGraph* current_ = nullptr;
    QCPGraph* ends_ = nullptr;
    QCPGraph* uniform_ = nullptr;
    QList<QCPItemText*> uniformLabels_;
    QCPItemStraightLine* target_ = nullptr;
    QCPItemText* label_ = nullptr;
};

}  // namespace qs::gui
