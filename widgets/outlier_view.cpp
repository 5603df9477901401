// Outlier ranges of every layer: min-max whiskers and p0.1-p99.9 boxes, raw or normalized.
#include "widgets/outlier_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QHBoxLayout>
#include <algorithm>
#include <cmath>

#include "widgets/bit_bars.h"
#include "widgets/plot_style.h"

namespace qs::gui {

OutlierView::OutlierView(QWidget* parent)
    : FigureView(QStringLiteral("outliers"), tr("Outlier ranges"), parent) {
    normalize_ = new QCheckBox(tr("Scale by p99.9 |y|"), this);
    normalize_->setToolTip(tr("Divide each layer's range by its p99.9 |y|, so layers of different scales compare"));
    controls()->addWidget(normalize_);
    connect(normalize_, &QCheckBox::toggled, this, [this] { rebuild(); });

    QCustomPlot* p = plot();
    p->xAxis->setLabel(tr("layer (network order)"));
    band_ = makeSelectionBand(p->axisRect());
    boxes_ = new QCPStatisticalBox(p->xAxis, p->yAxis);
    boxes_->setName(tr("p0.1 – p99.9 box, min – max whiskers"));
    boxes_->setWidth(0.55);
    boxes_->setWhiskerWidth(0.3);
    boxes_->setBrush(QColor(31, 119, 180, 90));
    boxes_->setPen(QPen(QColor("#1f5f8b"), 1));
    boxes_->setWhiskerPen(QPen(QColor("#404040"), 1, Qt::SolidLine));
    boxes_->setWhiskerBarPen(QPen(QColor("#404040"), 1));
    boxes_->setMedianPen(Qt::NoPen);
    ratio_ = p->addGraph(p->xAxis, p->yAxis2);
    ratio_->setName(tr("max |y| / p99.9 |y| (right)"));
    ratio_->setLineStyle(QCPGraph::lsNone);
    ratio_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QColor("#d62728"), QColor("#d62728"), 5));
    p->yAxis2->setVisible(true);
    p->yAxis2->setLabel(tr("outlier ratio"));
    styleAxisRect(p->axisRect());
    rebuild();
}

bool OutlierView::normalized() const { return normalize_->isChecked(); }
void OutlierView::setNormalized(bool on) { normalize_->setChecked(on); }

void OutlierView::setLayers(const std::vector<std::string>& names) {
    names_ = names;
    stats_.clear();
    have_.clear();
    rebuild();
}

void OutlierView::setStats(const std::vector<const StatsSummary*>& stats, const QString& speaker) {
    stats_.assign(stats.size(), StatsSummary{});
    have_.assign(stats.size(), false);
    for (std::size_t i = 0; i < stats.size(); ++i) {
        if (!stats[i]) continue;
        StatsSummary s = *stats[i];
        s.histogram = {};
        s.channel_abs_max.clear();
        stats_[i] = std::move(s);
        have_[i] = true;
    }
    speaker_ = speaker;
    rebuild();
}

void OutlierView::setSelectedLayer(int layer) {
    selected_ = layer;
    placeSelectionBand(band_, layer);
    replotLater();
}

QString OutlierView::exportCaption() const {
    const QString line = joinCaption({context().model, speaker_.isEmpty() ? QString() : tr("speaker %1").arg(speaker_)});
    return subtitle().isEmpty() ? line : line + QLatin1Char('\n') + subtitle().section(QStringLiteral(" · "), 1);
}

void OutlierView::rebuild() {
    QCustomPlot* p = plot();
    const int n = int(names_.size());
    setLayerTicks(p->xAxis, shortLayerNames(names_));
    setLayerAxisRect(p->axisRect(), n);
    const bool norm = normalize_->isChecked();
    QVector<QCPStatisticalBoxData> data;
    QVector<double> rk, rv;
    double lo = 0, hi = 0, rmax = 1;
    for (int i = 0; i < n && i < int(stats_.size()); ++i) {
        if (!have_[std::size_t(i)]) continue;
        const StatsSummary& s = stats_[std::size_t(i)];
        const double scale = norm && s.p99_9_abs > 0 ? 1.0 / s.p99_9_abs : 1.0;
        data.append(QCPStatisticalBoxData(i, s.min * scale, s.p0_1 * scale, 0.5 * (s.p0_1 + s.p99_9) * scale,
                                          s.p99_9 * scale, s.max * scale));
        lo = std::min(lo, s.min * scale);
        hi = std::max(hi, s.max * scale);
        if (s.p99_9_abs > 0) {
            rk << i;
            rv << s.abs_max / s.p99_9_abs;
            rmax = std::max(rmax, rv.back());
        }
    }
    boxes_->data()->set(data, true);
    ratio_->setData(rk, rv, true);
    const double pad = (hi - lo) * 0.06;
    if (data.isEmpty()) {
        p->yAxis->setRange(-1, 1);
    } else {
        p->yAxis->setRange(lo - pad - 1e-9, hi + pad + 1e-9);
    }
    p->yAxis->setLabel(norm ? tr("y / p99.9 |y|") : tr("activation y"));
    p->yAxis2->setRange(0, rmax * 1.1);
    setPlaceholder(p->axisRect(), n == 0 ? tr("Open a model to see its layers")
                                  : data.isEmpty() ? tr("Run an analysis to see activation ranges")
                                                   : QString());
    setSubtitle(data.isEmpty() ? QString()
                               : tr("speaker %1 · box p0.1–p99.9, whiskers min–max, ◆ max|y| / p99.9|y| (right axis)")
                                     .arg(speaker_));
    replotLater();
}

}  // namespace qs::gui
