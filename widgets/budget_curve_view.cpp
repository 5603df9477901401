// The budget curve: size against average bits, the float model, the floor and the current target.
#include "widgets/budget_curve_view.h"

#include <qcustomplot.h>

#include <algorithm>

#include "widgets/plot_style.h"

namespace qs::gui {

BudgetCurveView::BudgetCurveView(QWidget* parent)
    : FigureView(QStringLiteral("budget_curve"), tr("Budget curve"), parent) {
    QCustomPlot* p = plot();
    p->xAxis->setLabel(tr("model size (MB)"));
    p->yAxis->setLabel(tr("average weight bits"));
    placeLegend(p, Qt::AlignBottom | Qt::AlignRight, false);

    weighted_ = p->addGraph();
    weighted_->setName(tr("per parameter"));
    weighted_->setPen(QPen(QColor("#1f77b4"), 1.8));
    plain_ = p->addGraph();
    plain_->setName(tr("per layer"));
    plain_->setPen(QPen(QColor("#7f7f7f"), 1.2, Qt::DashLine));
    uniform_ = p->addGraph();
    uniform_->setName(tr("uniform width"));
    uniform_->setLineStyle(QCPGraph::lsNone);
    uniform_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor("#1f77b4"), QColor("#1f77b4"), 4));
    ends_ = p->addGraph();
    ends_->setLineStyle(QCPGraph::lsNone);
    ends_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, QColor("#505050"), Qt::white, 6));
    p->legend->removeItem(p->legend->itemWithPlottable(ends_));
    current_ = p->addGraph();
    current_->setName(tr("current"));
    current_->setLineStyle(QCPGraph::lsNone);
    current_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QColor("#d62728"), QColor("#d62728"), 9));

    target_ = new QCPItemStraightLine(p);
    target_->setPen(QPen(QColor("#d62728"), 1, Qt::DotLine));
    target_->setVisible(false);
    label_ = new QCPItemText(p);
    label_->position->setType(QCPItemPosition::ptAxisRectRatio);
    label_->position->setCoords(0.03, 0.06);
    label_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    label_->setTextAlignment(Qt::AlignLeft);
    label_->setFont(QFont(QStringLiteral("DejaVu Sans"), 8));
    label_->setColor(QColor("#303030"));
    label_->setBrush(QColor(255, 255, 255, 210));
    label_->setPadding(QMargins(3, 2, 3, 2));
    clear();
}

void BudgetCurveView::clear() {
    for (QCPGraph* g : {weighted_, plain_, current_, ends_, uniform_}) g->data()->clear();
    for (QCPItemText* t : uniformLabels_) plot()->removeItem(t);
    uniformLabels_.clear();
    target_->setVisible(false);
    label_->setText(QString());
    label_->setVisible(false);
    setPlaceholder(plot()->axisRect(), tr("No allocation yet"));
    plot()->legend->setVisible(false);
    plot()->xAxis->setRange(0, 1);
    plot()->yAxis->setRange(0, 33);
    replotLater();
}

void BudgetCurveView::setCurve(const BudgetCurveData& d) {
    if (d.sizeMb.isEmpty()) {
        clear();
        return;
    }
    // QCPGraph wants ascending keys; the chain runs from the float model downwards.
    auto sorted = [&](const QVector<double>& y) {
        QVector<double> keys(d.sizeMb.rbegin(), d.sizeMb.rend()), values(y.rbegin(), y.rend());
        return std::make_pair(keys, values);
    };
    auto [k1, v1] = sorted(d.averageBits);
    weighted_->setData(k1, v1, true);
    if (d.layerMeanBits.size() == d.sizeMb.size()) {
        auto [k2, v2] = sorted(d.layerMeanBits);
        plain_->setData(k2, v2, true);
    }
    ends_->setData({d.sizeMb.last(), d.sizeMb.first()}, {d.averageBits.last(), d.averageBits.first()}, true);
    for (QCPItemText* t : uniformLabels_) plot()->removeItem(t);
    uniformLabels_.clear();
    QVector<double> uk(d.uniformSizeMb.rbegin(), d.uniformSizeMb.rend()), uv(d.uniformAverageBits.rbegin(), d.uniformAverageBits.rend());
    uniform_->setData(uk, uv, true);
    for (int i = 0; i < d.uniformBits.size(); ++i) {
        const int b = d.uniformBits[i];
        if (b > 16 && b != 32 && b != 24) continue;
        if (b > 8 && b < 16 && b != 12) continue;
        auto* t = new QCPItemText(plot());
        t->position->setCoords(d.uniformSizeMb[i], d.uniformAverageBits[i]);
        // The float end sits at the right edge: label it on its left.
        t->setPositionAlignment(b == 32 ? (Qt::AlignRight | Qt::AlignTop) : (Qt::AlignLeft | Qt::AlignTop));
        t->setPadding(b == 32 ? QMargins(0, 1, 6, 0) : QMargins(4, 1, 0, 0));
        t->setText(QString::number(b));
        t->setFont(QFont(QStringLiteral("DejaVu Sans"), 7));
        t->setColor(QColor("#1f5f8b"));
        uniformLabels_ << t;
    }
    const double lo = d.sizeMb.last(), hi = d.sizeMb.first();
    const double pad = (hi - lo) * 0.05 + 1e-9;
    plot()->xAxis->setRange(lo - pad, hi + pad);
    plot()->yAxis->setRange(0, 34);
    setPlaceholder(plot()->axisRect(), QString());
    plot()->legend->setVisible(true);
    replotLater();
}

void BudgetCurveView::setCurrent(double targetMb, double sizeMb, double averageBits) {
    current_->setData({sizeMb}, {averageBits}, true);
    target_->point1->setCoords(targetMb, 0);
    target_->point2->setCoords(targetMb, 1);
    target_->setVisible(true);
    label_->setText(tr("target %1\nsize %2\n%3 bits on average")
                        .arg(formatMb(targetMb), formatMb(sizeMb))
                        .arg(averageBits, 0, 'f', 2));
    label_->setVisible(true);
    replotLater();
}

}  // namespace qs::gui
