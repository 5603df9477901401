// The activation histogram of the selected layer with its markers, clipping range and quantization
// grid.
#include "widgets/histogram_view.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <algorithm>
#include <cmath>

#include "widgets/plot_style.h"

namespace qs::gui {

QuantGrid quantGrid(const StatsSummary& s, ClipMode mode, int bits) {
    QuantGrid g;
    switch (mode) {
    case ClipMode::MinMax: g.lo = s.min; g.hi = s.max; break;
    case ClipMode::Percentile: g.lo = s.p0_1; g.hi = s.p99_9; break;
    case ClipMode::SymmetricPercentile: g.lo = -s.p99_9_abs; g.hi = s.p99_9_abs; break;
    case ClipMode::SymmetricMax: g.lo = -s.abs_max; g.hi = s.abs_max; break;
    }
    if (bits < 32 && bits >= 1) {
        const bool symmetric = mode == ClipMode::SymmetricPercentile || mode == ClipMode::SymmetricMax;
        // Affine: 2^b levels spanning [lo, hi]. Symmetric: 2^(b-1) - 1 steps each side of zero.
        const double steps = symmetric ? 2.0 * (std::pow(2.0, bits - 1) - 1) : std::pow(2.0, bits) - 1;
        g.levels = int(std::min(steps + 1, 1e9));
        g.step = steps > 0 ? (g.hi - g.lo) / steps : 0;
    }
    const auto& h = s.histogram;
    double total = 0, outside = 0;
    const double width = h.counts.empty() ? 0 : (h.hi - h.lo) / double(h.counts.size());
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
        const double centre = h.lo + (double(i) + 0.5) * width;
        total += double(h.counts[i]);
        if (centre < g.lo || centre > g.hi) outside += double(h.counts[i]);
    }
    g.clippedFraction = total > 0 ? outside / total : 0;
    return g;
}

HistogramView::HistogramView(QWidget* parent)
    : FigureView(QStringLiteral("histogram"), tr("Activation histogram"), parent) {
    clip_ = new QComboBox(this);
    clip_->setObjectName(QStringLiteral("clipMode"));
    clip_->addItem(tr("Clip p0.1 – p99.9"), int(ClipMode::Percentile));
    clip_->addItem(tr("Clip min – max"), int(ClipMode::MinMax));
    clip_->addItem(tr("Clip ±p99.9 |y|"), int(ClipMode::SymmetricPercentile));
    clip_->addItem(tr("Clip ±max |y|"), int(ClipMode::SymmetricMax));
    gridBits_ = new QComboBox(this);
    gridBits_->addItem(tr("Grid: layer's bits"));
    gridBits_->addItem(tr("Grid: 8-bit activations"));
    controls()->addWidget(clip_);
    controls()->addWidget(gridBits_);
    auto changed = [this] {
        rebuild();
        emit viewOptionsChanged();
    };
    connect(clip_, &QComboBox::currentIndexChanged, this, changed);
    connect(gridBits_, &QComboBox::currentIndexChanged, this, changed);

    QCustomPlot* p = plot();
    p->xAxis->setLabel(tr("activation y"));
    p->yAxis->setLabel(tr("count"));
    p->yAxis->setScaleType(QCPAxis::stLogarithmic);
    p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    p->yAxis->setNumberFormat(QStringLiteral("eb"));
    p->yAxis->setNumberPrecision(0);

    clipBand_ = new QCPItemRect(p);
    clipBand_->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    clipBand_->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    clipBand_->setPen(Qt::NoPen);
    clipBand_->setBrush(QColor(31, 119, 180, 28));
    clipBand_->setLayer(QStringLiteral("grid"));

    counts_ = p->addGraph();
    counts_->setLineStyle(QCPGraph::lsStepLeft);
    counts_->setPen(QPen(QColor("#3a3a3a"), 1));
    counts_->setBrush(QColor(90, 90, 90, 70));

    note_ = new QCPItemText(p);
    note_->position->setType(QCPItemPosition::ptAxisRectRatio);
    note_->position->setCoords(0.5, 0.02);
    note_->setPositionAlignment(Qt::AlignHCenter | Qt::AlignTop);
    note_->setTextAlignment(Qt::AlignHCenter);
    note_->setFont(QFont(QStringLiteral("DejaVu Sans"), 8));
    note_->setBrush(QColor(255, 255, 255, 215));
    note_->setPadding(QMargins(3, 2, 3, 2));
    rebuild();
}

ClipMode HistogramView::clipMode() const { return ClipMode(clip_->currentData().toInt()); }
void HistogramView::setClipMode(ClipMode mode) { clip_->setCurrentIndex(std::max(0, clip_->findData(int(mode)))); }
bool HistogramView::gridUsesActivationBits() const { return gridBits_->currentIndex() == 1; }
void HistogramView::setGridUsesActivationBits(bool on) { gridBits_->setCurrentIndex(on ? 1 : 0); }

void HistogramView::setLayer(const QString& layer, const QString& speaker, const StatsSummary* stats, int bits) {
    layer_ = layer;
    speaker_ = speaker;
    stats_.reset();
    if (stats) stats_ = *stats;
    bits_ = bits;
    rebuild();
}

void HistogramView::setBits(int bits) {
    if (bits == bits_) return;
    bits_ = bits;
    rebuild();
}

QString HistogramView::exportCaption() const {
    const FigureContext& c = context();
    return joinCaption({c.model, layer_.isEmpty() ? QString() : tr("layer %1").arg(layer_),
                        speaker_.isEmpty() ? QString() : tr("speaker %1").arg(speaker_), c.budget});
}

void HistogramView::clearMarkers() {
    for (QCPAbstractItem* item : markers_) plot()->removeItem(item);
    markers_.clear();
}

void HistogramView::addMarker(double x, const QString& text, const QColor& colour, Qt::PenStyle style,
                              double labelY) {
    auto* line = new QCPItemStraightLine(plot());
    line->point1->setCoords(x, 1);
    line->point2->setCoords(x, 10);
    line->setPen(QPen(colour, 1.2, style));
    markers_ << line;
    if (text.isEmpty()) return;
    auto* label = new QCPItemText(plot());
    label->position->setTypeX(QCPItemPosition::ptPlotCoords);
    label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    label->position->setCoords(x, labelY);
    label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignTop);
    label->setText(text);
    label->setColor(colour);
    label->setFont(QFont(QStringLiteral("DejaVu Sans"), 7));
    label->setBrush(QColor(255, 255, 255, 200));
    markers_ << label;
}

void HistogramView::rebuild() {
    QCustomPlot* p = plot();
    clearMarkers();
    counts_->data()->clear();
    clipBand_->setVisible(false);
    note_->setVisible(false);
    if (!stats_ || stats_->histogram.counts.empty()) {
        setSubtitle(layer_);
        setPlaceholder(p->axisRect(), layer_.isEmpty() ? tr("Run an analysis, then select a layer") : tr("No statistics for this layer yet"));
        p->xAxis->setRange(-1, 1);
        p->yAxis->setRange(0.5, 1000);
        replotLater();
        return;
    }
    setPlaceholder(p->axisRect(), QString());
    const StatsSummary& s = *stats_;
    const auto& h = s.histogram;
    const double width = (h.hi - h.lo) / double(h.counts.size());
    QVector<double> keys, values;
    double peak = 1;
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
        keys << h.lo + double(i) * width;
        // Empty bins sit just below 1 so the log axis can draw them as a floor.
        values << (h.counts[i] > 0 ? double(h.counts[i]) : 0.5);
        peak = std::max(peak, double(h.counts[i]));
    }
    keys << h.hi;
    values << values.back();
    counts_->setData(keys, values, true);

    const double span = std::max(h.hi - h.lo, 1e-12);
    double xlo = h.lo - 0.06 * span, xhi = h.hi + 0.06 * span;

    const int gridBits = gridUsesActivationBits() ? 8 : bits_;
    const QuantGrid g = quantGrid(s, clipMode(), gridBits);
    xlo = std::min(xlo, g.lo - 0.02 * span);
    xhi = std::max(xhi, g.hi + 0.02 * span);
    clipBand_->topLeft->setCoords(g.lo, 0);
    clipBand_->bottomRight->setCoords(g.hi, 1);
    clipBand_->setVisible(true);
    if (g.levels > 0 && g.levels <= 64) {
        for (int k = 0; k < g.levels; ++k) addMarker(g.lo + k * g.step, QString(), QColor(31, 119, 180, 110), Qt::SolidLine, 0);
    }

    addMarker(s.min, tr("min"), QColor("#202020"), Qt::SolidLine, 0.16);
    addMarker(s.max, tr("max"), QColor("#202020"), Qt::SolidLine, 0.16);
    addMarker(s.p0_1, tr("p0.1"), QColor("#d35400"), Qt::DashLine, 0.24);
    addMarker(s.p99_9, tr("p99.9"), QColor("#d35400"), Qt::DashLine, 0.24);

    QString grid;
    if (gridBits >= 32) {
        grid = tr("float: no quantization grid");
    } else if (g.levels > 64) {
        grid = tr("%1 bits: %2 levels, step %3 (too fine to draw)").arg(gridBits).arg(g.levels).arg(g.step, 0, 'g', 3);
    } else {
        grid = tr("%1 bits: %2 levels, step %3").arg(gridBits).arg(g.levels).arg(g.step, 0, 'g', 3);
    }
    note_->setText(tr("clip [%1, %2] · %3\n%4% of values clipped · kurtosis %5")
                       .arg(g.lo, 0, 'g', 4)
                       .arg(g.hi, 0, 'g', 4)
                       .arg(grid)
                       .arg(100.0 * g.clippedFraction, 0, 'f', g.clippedFraction < 0.01 ? 3 : 2)
                       .arg(s.kurtosis, 0, 'f', 1));
    note_->setVisible(true);

    p->xAxis->setRange(xlo, xhi);
    p->yAxis->setRange(0.5, peak * 400);
    setSubtitle(tr("%1 · %2 · %3 values").arg(layer_, speaker_, formatCount((long long)s.count)));
    replotLater();
}

}  // namespace qs::gui
