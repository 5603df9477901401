// The scoring bars: each row's measure on one axis, with paired intervals against the default.
#include "widgets/scoring_bars.h"

#include <qcustomplot.h>

#include <cmath>

#include "widgets/plot_style.h"

namespace qs::gui {

namespace {

QString axisTitle(Measure m) {
    switch (m) {
        case Measure::Wer: return QObject::tr("WER on the test clips (%)");
        case Measure::Cer: return QObject::tr("CER on the test clips (%)");
        case Measure::WerVsFloat: return QObject::tr("WER against float transcripts (%)");
        case Measure::CerVsFloat: return QObject::tr("CER against float transcripts (%)");
        case Measure::SqnrDb: return QObject::tr("output SQNR (dB)");
        case Measure::Kl: return QObject::tr("KL against float output");
    }
    return QString();
}

}  // namespace

ScoringBars::ScoringBars(QWidget* parent)
    : FigureView(QStringLiteral("scoring"), tr("Scoring rules at equal size"), parent) {
    QCustomPlot* p = plot();
    const QColor colours[] = {QColor("#2c7bb6"), QColor("#b0b0b0"), QColor("#1a9850")};
    const QString names[] = {tr("rule"), tr("random draw (default's extra bits moved)"), tr("recommended")};
    for (int k = 0; k < 3; ++k) {
        bars_[k] = new QCPBars(p->yAxis, p->xAxis);  // horizontal: keys on the vertical axis
        bars_[k]->setName(names[k]);
        bars_[k]->setBrush(colours[k]);
        bars_[k]->setPen(QPen(colours[k].darker(130), 1));
        bars_[k]->setWidth(0.7);
        whiskers_[k] = new QCPErrorBars(p->yAxis, p->xAxis);
        whiskers_[k]->setDataPlottable(bars_[k]);
        whiskers_[k]->setPen(QPen(QColor("#202020"), 1.2));
        whiskers_[k]->setWhiskerWidth(5);
        whiskers_[k]->removeFromLegend();
    }
    placeLegendAbove(p, 3);  // above the bars, so it never hides the last rules
    p->yAxis->grid()->setVisible(false);
    p->yAxis->setRangeReversed(true);  // the default on top
    setToolTip(tr("Each scoring rule's allocation at the same budget, calibrated alike, on test clips calibration never "
                  "saw. Whiskers: 95% paired bootstrap interval of the difference from the default rule, drawn around the "
                  "rule's value; a whisker that reaches the default's value is no measurable difference."));
    clear();
}

void ScoringBars::clear() {
    for (QCPBars* b : bars_) b->data()->clear();
    for (QCPErrorBars* w : whiskers_) w->data()->clear();
    plot()->clearItems();
    plot()->legend->setVisible(false);
    rows_ = 0;
    setSubtitle(QString());
    setPlaceholder(plot()->axisRect(), tr("Run the comparison to see which score earns the bits"));
    plot()->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    plot()->xAxis->setRange(0, 1);
    plot()->yAxis->setRange(0, 1);
    replotLater();
}

void ScoringBars::setBudget(const ScoringBudget* budget, Measure measure, double confidence) {
    if (!budget || budget->rows.empty() || !budget->rows[0].find(measure)) {
        clear();
        if (budget) setPlaceholder(plot()->axisRect(), tr("This measure does not apply to these clips"));
        return;
    }
    QCustomPlot* p = plot();
    for (QCPBars* b : bars_) b->data()->clear();
    for (QCPErrorBars* w : whiskers_) w->data()->clear();
    p->clearItems();
    setPlaceholder(p->axisRect(), QString());
    const double scale = isRate(measure) ? 100.0 : 1.0;
    const double base = scale * budget->rows[0].find(measure)->value;
    auto ticks = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    rows_ = int(budget->rows.size());
    for (int i = 0; i < rows_; ++i) {
        const RuleRow& row = budget->rows[std::size_t(i)];
        ticks->addTick(i, QString::fromStdString(row.label()));
        const RuleMeasure* m = row.find(measure);
        const int k = row.kind == "random" ? 1 : (budget->recommendation.switched && i == budget->recommendation.row) ? 2 : 0;
        for (int j = 0; j < 3; ++j) {
            bars_[j]->addData(i, j == k && m ? scale * m->value : std::nan(""));
            if (j != k || !m || i == 0) {
                whiskers_[j]->addData(std::nan(""), std::nan(""));
                continue;
            }
            // value = default − gain (lower is better) or default + gain: the interval of the gain
            // becomes one around the value.
            const double sign = lowerIsBetter(measure) ? -1.0 : 1.0;
            const double a = base + sign * scale * m->versusDefault.low, b = base + sign * scale * m->versusDefault.high;
            const double v = scale * m->value;
            whiskers_[j]->addData(std::max(0.0, v - std::min(a, b)), std::max(0.0, std::max(a, b) - v));
            lo = std::min({lo, a, b}), hi = std::max({hi, a, b});
        }
        if (m) lo = std::min(lo, scale * m->value), hi = std::max(hi, scale * m->value);
    }
    // The default's level as a line across, so that every whisker reads against it.
    auto* line = new QCPItemStraightLine(p);
    line->point1->setCoords(base, 0);
    line->point2->setCoords(base, 1);
    line->setPen(QPen(QColor("#404040"), 1, Qt::DashLine));
    p->yAxis->setTicker(ticks);
    p->yAxis->setRange(-0.6, rows_ - 0.4);
    const double pad = 0.06 * std::max(hi - lo, 1e-9);
    // Rates and KL from 0 so that bar lengths compare; SQNR from just below the lowest value.
    p->xAxis->setRange(measure == Measure::SqnrDb ? lo - 4 * pad : std::min(0.0, lo), hi + pad);
    p->xAxis->setLabel(tr("%1\nwhiskers: %2% paired bootstrap against the default (dashed)")
                           .arg(axisTitle(measure))
                           .arg(100.0 * confidence, 0, 'g', 3));
    p->legend->setVisible(true);
    setSubtitle(tr("%1 bits per weight (%2 MB)").arg(budget->targetBits, 0, 'f', 2).arg(budget->targetMb, 0, 'f', 4));
    replotLater();
}

std::vector<double> ScoringBars::shownValues() const {
    std::vector<double> out(std::size_t(rows_), std::nan(""));
    for (QCPBars* b : bars_)
        for (auto it = b->data()->constBegin(); it != b->data()->constEnd(); ++it)
            if (!std::isnan(it->value)) out[std::size_t(std::lround(it->key))] = it->value;
    return out;
}

std::pair<double, double> ScoringBars::valueRange() const { return {plot()->xAxis->range().lower, plot()->xAxis->range().upper}; }

}  // namespace qs::gui
