// Sensitivity bars per layer and speaker, filled with each speaker's allocated bit colour.
#include "widgets/sensitivity_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QHBoxLayout>
#include <QMenu>
#include <QToolButton>
#include <algorithm>
#include <cmath>
#include <set>

#include "widgets/bit_bars.h"
#include "widgets/plot_style.h"

namespace qs::gui {

SensitivityView::SensitivityView(QWidget* parent)
    : FigureView(QStringLiteral("sensitivity"), tr("Sensitivity per layer"), parent) {
    speakersButton_ = new QToolButton(this);
    speakersButton_->setText(tr("Speakers"));
    speakersButton_->setPopupMode(QToolButton::InstantPopup);
    speakersMenu_ = new QMenu(speakersButton_);
    speakersButton_->setMenu(speakersMenu_);
    log_ = new QCheckBox(tr("Log scale"), this);
    controls()->addWidget(speakersButton_);
    controls()->addWidget(log_);
    connect(log_, &QCheckBox::toggled, this, [this] { rebuild(); });

    QCustomPlot* p = plot();
    p->xAxis->setLabel(tr("layer (network order)"));
    placeLegend(p, Qt::AlignTop | Qt::AlignRight, true);
    band_ = makeSelectionBand(p->axisRect());
    legend_ = std::make_unique<BitsLegend>(p->xAxis, p->yAxis);
    rebuild();
}

SensitivityView::~SensitivityView() = default;

void SensitivityView::setLayers(const std::vector<std::string>& names) {
    names_ = names;
    series_.clear();
    rebuild();
}

void SensitivityView::setSeries(const std::vector<SpeakerSeries>& series, const QString& metricLabel) {
    series_ = series;
    metricLabel_ = metricLabel;
    QStringList available;
    for (const auto& s : series_) available << s.speaker;
    QStringList kept;
    for (const QString& s : shown_)
        if (available.contains(s)) kept << s;
    if (kept.isEmpty() || !userChoseSpeakers_) {
        // Default: every speaker when there are few, else the pooled "all" series alone.
        kept = available.size() <= 4 ? available : available.mid(0, 1);
    }
    shown_ = kept;
    rebuildMenu();
    rebuild();
}

void SensitivityView::setShownSpeakers(const QStringList& speakers) {
    shown_ = speakers;
    userChoseSpeakers_ = true;
    rebuildMenu();
    rebuild();
}

bool SensitivityView::logScale() const { return log_->isChecked(); }
void SensitivityView::setLogScale(bool on) { log_->setChecked(on); }

void SensitivityView::setSelectedLayer(int layer) {
    selected_ = layer;
    placeSelectionBand(band_, layer);
    for (int i = 0; i < plot()->plottableCount(); ++i)
        if (auto* bars = qobject_cast<BitBars*>(plot()->plottable(i))) bars->setHighlightedKey(layer);
    replotLater();
}

std::vector<int> SensitivityView::shownBits(const QString& speaker) const {
    if (!shown_.contains(speaker)) return {};
    for (const auto& s : series_)
        if (s.speaker == speaker) return s.bits;
    return {};
}

QString SensitivityView::exportCaption() const {
    const FigureContext& c = context();
    const QString who = shown_.isEmpty() ? QString()
                        : shown_.size() == 1 ? tr("speaker %1").arg(shown_.front())
                                             : tr("speakers %1").arg(shown_.join(QStringLiteral(", ")));
    const QString line = joinCaption({c.model, who, metricLabel_.isEmpty() ? QString() : tr("metric %1").arg(metricLabel_),
                                      c.budget});
    if (c.budget.isEmpty() || shown_.isEmpty()) return line;
    return line + QLatin1Char('\n') +
           (shown_.size() == 1 ? tr("bars filled with the bits the allocation gives each layer")
                               : tr("bars filled with the bits each speaker's allocation gives the layer; top band: speaker"));
}

void SensitivityView::rebuildMenu() {
    speakersMenu_->clear();
    for (const auto& s : series_) {
        QAction* a = speakersMenu_->addAction(s.speaker);
        a->setCheckable(true);
        a->setChecked(shown_.contains(s.speaker));
        connect(a, &QAction::toggled, this, [this, name = s.speaker](bool on) {
            QStringList next = shown_;
            if (on && !next.contains(name)) next << name;
            if (!on) next.removeAll(name);
            setShownSpeakers(next);
            emit shownSpeakersChanged(shown_);
        });
    }
    speakersButton_->setEnabled(!series_.empty());
    speakersButton_->setText(tr("Speakers (%1 of %2)").arg(shown_.size()).arg(series_.size()));
}

void SensitivityView::rebuild() {
    QCustomPlot* p = plot();
    for (int i = p->plottableCount() - 1; i >= 0; --i)
        if (qobject_cast<BitBars*>(p->plottable(i))) p->removePlottable(i);
    if (auto* old = p->findChild<QCPBarsGroup*>()) delete old;

    const int n = int(names_.size());
    const QStringList shortNames = shortLayerNames(names_);
    setLayerTicks(p->xAxis, shortNames);
    setLayerAxisRect(p->axisRect(), n);
    p->yAxis->setLabel(metricLabel_.isEmpty() ? tr("score") : metricLabel_);

    std::vector<const SpeakerSeries*> shown;
    for (const auto& s : series_)
        if (shown_.contains(s.speaker) && int(s.scores.size()) == n) shown.push_back(&s);

    auto* group = new QCPBarsGroup(p);
    group->setSpacingType(QCPBarsGroup::stAbsolute);
    group->setSpacing(0);
    std::set<int> bitsInUse;
    double lo = HUGE_VAL, hi = 0;
    const double width = 0.8 / std::max<std::size_t>(1, shown.size());
    for (std::size_t k = 0; k < shown.size(); ++k) {
        const SpeakerSeries& s = *shown[k];
        auto* bars = new BitBars(p->xAxis, p->yAxis);
        bars->setName(s.speaker);
        bars->setWidth(width);
        const int colourIndex = int(std::find_if(series_.begin(), series_.end(),
                                                 [&](const SpeakerSeries& x) { return x.speaker == s.speaker; }) -
                                    series_.begin());
        const QColor speakerCol = speakerColour(colourIndex);
        bars->setBrush(speakerCol);
        bars->setPen(QPen(QColor(60, 60, 60, 160), 0.8));
        if (shown.size() > 1) bars->setCapColour(speakerCol);
        QVector<double> keys, values;
        QVector<QBrush> brushes;
        for (int i = 0; i < n; ++i) {
            keys << i;
            values << s.scores[std::size_t(i)];
            if (s.scores[std::size_t(i)] > 0) lo = std::min(lo, s.scores[std::size_t(i)]);
            hi = std::max(hi, s.scores[std::size_t(i)]);
            if (int(s.bits.size()) == n) {
                brushes << QBrush(bitColour(s.bits[std::size_t(i)]));
                bitsInUse.insert(s.bits[std::size_t(i)]);
            } else {
                brushes << QBrush(speakerCol.lighter(140));
            }
        }
        bars->setData(keys, values, true);
        bars->setBarBrushes(brushes);
        bars->setHighlightedKey(selected_);
        if (shown.size() > 1) bars->setBarsGroup(group);
        // One speaker: its bars are filled by bits only, so a legend entry in its colour would name nothing.
        if (shown.size() == 1)
            if (QCPPlottableLegendItem* item = p->legend->itemWithPlottable(bars)) p->legend->removeItem(item);
    }
    legend_->update(bitsInUse);
    p->legend->setVisible(!shown.empty());

    const bool log = log_->isChecked() && lo < HUGE_VAL;
    p->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log) {
        p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        p->yAxis->setRange(lo / 2, hi * 4);
    } else {
        p->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        p->yAxis->setRange(0, hi > 0 ? hi * 1.22 : 1.0);
    }
    for (int i = 0; i < p->plottableCount(); ++i)
        if (auto* bars = qobject_cast<QCPBars*>(p->plottable(i))) bars->setBaseValue(log ? lo / 2 : 0.0);

    setPlaceholder(p->axisRect(), n == 0 ? tr("Open a model to see its layers")
                                  : shown.empty() ? tr("Run an analysis to score the layers")
                                                  : QString());
    setSubtitle(shown.empty() ? QString()
                              : tr("%1 layers · fill: the bits each speaker's allocation gives the layer · top band: speaker")
                                    .arg(n));
    replotLater();
}

}  // namespace qs::gui
