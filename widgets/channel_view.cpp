// Per-channel max |y| bars of the selected layer, outlier channels highlighted, sortable.
#include "widgets/channel_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <algorithm>
#include <numeric>

#include "widgets/plot_style.h"

namespace qs::gui {

ChannelView::ChannelView(QWidget* parent)
    : FigureView(QStringLiteral("channels"), tr("Per-channel max |y|"), parent) {
    sort_ = new QCheckBox(tr("Sorted"), this);
    factor_ = new QDoubleSpinBox(this);
    factor_->setRange(1.5, 100);
    factor_->setValue(6);
    factor_->setDecimals(1);
    factor_->setPrefix(tr("outlier > "));
    factor_->setSuffix(tr(" × median"));
    controls()->addWidget(sort_);
    controls()->addWidget(factor_);
    connect(sort_, &QCheckBox::toggled, this, [this] { rebuild(); });
    connect(factor_, &QDoubleSpinBox::valueChanged, this, [this] { rebuild(); });

    QCustomPlot* p = plot();
    p->yAxis->setLabel(tr("max |y|"));
    p->xAxis->grid()->setZeroLinePen(Qt::NoPen);  // channel 0 is no origin
    placeLegend(p, Qt::AlignTop | Qt::AlignRight, true);
    normal_ = new QCPBars(p->xAxis, p->yAxis);
    normal_->setName(tr("channel"));
    normal_->setBrush(QColor("#6b8fb3"));
    normal_->setPen(Qt::NoPen);
    outlier_ = new QCPBars(p->xAxis, p->yAxis);
    outlier_->setName(tr("outlier channel"));
    outlier_->setBrush(QColor("#d62728"));
    outlier_->setPen(Qt::NoPen);
    median_ = new QCPItemStraightLine(p);
    median_->setPen(QPen(QColor("#303030"), 1, Qt::DashLine));
    threshold_ = new QCPItemStraightLine(p);
    threshold_->setPen(QPen(QColor("#d62728"), 1, Qt::DotLine));
    rebuild();
}

bool ChannelView::sorted() const { return sort_->isChecked(); }
void ChannelView::setSorted(bool on) { sort_->setChecked(on); }

void ChannelView::setLayer(const QString& layer, const QString& speaker, const std::vector<float>& values) {
    layer_ = layer;
    speaker_ = speaker;
    values_ = values;
    rebuild();
}

QString ChannelView::exportCaption() const {
    const QString line = joinCaption({context().model, layer_.isEmpty() ? QString() : tr("layer %1").arg(layer_),
                                      speaker_.isEmpty() ? QString() : tr("speaker %1").arg(speaker_)});
    if (values_.empty()) return line;
    return line + QLatin1Char('\n') + subtitle().section(QStringLiteral(" · "), 2) + tr("; dashed: the median");
}

void ChannelView::rebuild() {
    QCustomPlot* p = plot();
    std::vector<float> v = values_;
    const int n = int(v.size());
    outliers_ = 0;
    if (n == 0) {
        normal_->data()->clear();
        outlier_->data()->clear();
        median_->setVisible(false);
        threshold_->setVisible(false);
        setSubtitle(layer_);
        setPlaceholder(p->axisRect(), layer_.isEmpty() ? tr("Run an analysis, then select a layer") : tr("No channel statistics yet"));
        p->legend->setVisible(false);
        replotLater();
        return;
    }
    std::vector<float> tmp = v;
    std::nth_element(tmp.begin(), tmp.begin() + n / 2, tmp.end());
    const double median = tmp[std::size_t(n / 2)];
    const double threshold = median * factor_->value();
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    if (sort_->isChecked())
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return v[std::size_t(a)] > v[std::size_t(b)]; });
    QVector<double> nk, nv, ok, ov;
    double top = 0;
    for (int i = 0; i < n; ++i) {
        const double value = v[std::size_t(order[std::size_t(i)])];
        top = std::max(top, value);
        if (value > threshold) {
            ok << i;
            ov << value;
            ++outliers_;
        } else {
            nk << i;
            nv << value;
        }
    }
    const double width = n > 200 ? 1.0 : 0.8;
    normal_->setWidth(width);
    outlier_->setWidth(width);
    normal_->setData(nk, nv, true);
    outlier_->setData(ok, ov, true);
    median_->point1->setCoords(0, median);
    median_->point2->setCoords(1, median);
    threshold_->point1->setCoords(0, threshold);
    threshold_->point2->setCoords(1, threshold);
    median_->setVisible(true);
    threshold_->setVisible(threshold <= top * 1.05);
    p->xAxis->setLabel(sort_->isChecked() ? tr("channel (sorted by max |y|)") : tr("output channel"));
    p->xAxis->setRange(-1, n);
    p->yAxis->setRange(0, top * 1.15 + 1e-12);
    setPlaceholder(p->axisRect(), QString());
    p->legend->setVisible(true);
    setSubtitle(tr("%1 · %2 · %3 of %4 channels above %5 × the median (%6)")
                    .arg(layer_, speaker_)
                    .arg(outliers_)
                    .arg(n)
                    .arg(factor_->value(), 0, 'g', 3)
                    .arg(median, 0, 'g', 3));
    replotLater();
}

}  // namespace qs::gui
