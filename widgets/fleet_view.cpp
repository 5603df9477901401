// The fleet figure: one panel per measure with a quartile box, whiskers and a dot per user.
#include "widgets/fleet_view.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "widgets/plot_style.h"

namespace qs::gui {
namespace {

struct Measure {
    QString label;
    std::function<double(const FleetRow&)> value;
};

// Quartiles by linear interpolation between order statistics (the usual "type 7").
double quantile(const std::vector<double>& sorted, double q) {
    const double pos = q * double(sorted.size() - 1);
    const std::size_t i = std::size_t(std::floor(pos));
    const double f = pos - double(i);
    return i + 1 < sorted.size() ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

}  // namespace

FleetView::FleetView(QWidget* parent) : FigureView(QStringLiteral("fleet"), tr("Fleet"), parent) { setRows({}); }

void FleetView::setRows(const std::vector<FleetRow>& rows) {
    rows_ = rows;
    const std::vector<Measure> measures = {
        {tr("WER %"), [](const FleetRow& r) { return 100 * r.wer; }},
        {tr("WER against float %"), [](const FleetRow& r) { return 100 * r.werVsFloat; }},
        {tr("output SQNR (dB)"), [](const FleetRow& r) { return r.sqnrDb; }},
        {tr("size (MB)"), [](const FleetRow& r) { return r.sizeMb; }},
        {tr("CPU s per audio minute"), [](const FleetRow& r) { return r.cpuSeconds / (r.audioSeconds / 60.0); }},
    };
    QCustomPlot* p = plot();
    p->clearPlottables();
    p->plotLayout()->clear();
    int ok = 0, failed = 0;
    for (const FleetRow& r : rows_) (r.status == "ok" ? ok : failed)++;
    const QString summary = rows_.empty() ? tr("no users")
                                          : tr("%1 %2: %3 succeeded, %4 failed")
                                                .arg(rows_.size())
                                                .arg(rows_.size() == 1 ? tr("user") : tr("users"))
                                                .arg(ok)
                                                .arg(failed);
    // Exports carry the figure's title and this caption (FigureView::exportFigure).
    caption_ = tr("each measure over the users that succeeded (%1)").arg(summary);
    auto* panels = new QCPLayoutGrid;
    p->plotLayout()->addElement(0, 0, panels);
    for (std::size_t m = 0; m < measures.size(); ++m) {
        auto* rect = new QCPAxisRect(p);
        panels->addElement(0, int(m), rect);
        styleAxisRect(rect);
        QCPAxis* x = rect->axis(QCPAxis::atBottom);
        QCPAxis* y = rect->axis(QCPAxis::atLeft);
        x->setTicks(false);
        x->setRange(-1, 1);
        x->setLabel(measures[m].label);
        std::vector<double> values;
        for (const FleetRow& r : rows_) {
            const double v = r.status == "ok" ? measures[m].value(r) : NAN;
            if (std::isfinite(v)) values.push_back(v);
        }
        if (values.empty()) {
            y->setRange(0, 1);
            continue;
        }
        std::sort(values.begin(), values.end());
        auto* box = new QCPStatisticalBox(x, y);
        box->addData(0, values.front(), quantile(values, 0.25), quantile(values, 0.5), quantile(values, 0.75),
                     values.back());
        box->setWidth(0.8);
        box->setBrush(QColor(31, 119, 180, 60));
        box->setPen(QPen(QColor("#1f5f8b"), 1));
        box->setMedianPen(QPen(QColor("#1f5f8b"), 2));
        auto* dots = new QCPGraph(x, y);
        dots->setLineStyle(QCPGraph::lsNone);
        dots->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(0, 0, 0, 150), QColor(0, 0, 0, 150), 5));
        // Users spread sideways in a fixed pattern (no randomness: the figure is reproducible).
        for (std::size_t i = 0; i < values.size(); ++i)
            dots->addData(0.5 * (double(i % 7) / 6.0 - 0.5), values[i]);
        const double span = values.back() - values.front();
        const double pad = span > 0 ? 0.08 * span : std::max(1e-6, 0.05 * std::fabs(values.front()) + 0.5);
        y->setRange(values.front() - pad, values.back() + pad);
    }
    setSubtitle(summary);
    p->replot();
}

}  // namespace qs::gui
