// The gain bars: own, all, best other and uniform per profile, with paired intervals as whiskers.
#include "widgets/gain_bars.h"

#include <qcustomplot.h>

#include <cmath>

#include "widgets/plot_style.h"

namespace qs::gui {

namespace {

const char* kVersus[] = {"all", "best_other", "uniform"};
constexpr double kBarWidth = 0.2;

QString axisTitle(Measure m) {
    switch (m) {
        case Measure::Wer: return QObject::tr("WER on its test clips (%)");
        case Measure::Cer: return QObject::tr("CER on its test clips (%)");
        case Measure::WerVsFloat: return QObject::tr("WER against float transcripts (%)");
        case Measure::CerVsFloat: return QObject::tr("CER against float transcripts (%)");
        case Measure::SqnrDb: return QObject::tr("output SQNR (dB)");
        case Measure::Kl: return QObject::tr("KL against float output");
    }
    return QString();
}

}  // namespace

GainBars::GainBars(QWidget* parent)
    : FigureView(QStringLiteral("personalization_gains"), tr("Own scheme against shared ones"), parent) {
    QCustomPlot* p = plot();
    auto* group = new QCPBarsGroup(p);
    group->setSpacing(1);
    const QColor colours[] = {QColor("#2c7bb6"), QColor("#7f7f7f"), QColor("#fdae61"), QColor("#abd9e9")};
    const QString names[] = {tr("own scheme"), tr("all profiles"), tr("best other profile"), tr("uniform")};
    for (int k = 0; k < 4; ++k) {
        bars_[k] = new QCPBars(p->xAxis, p->yAxis);
        bars_[k]->setName(names[k]);
        bars_[k]->setBrush(colours[k]);
        bars_[k]->setPen(QPen(colours[k].darker(130), 1));
        bars_[k]->setWidth(kBarWidth);
        bars_[k]->setBarsGroup(group);
        if (k > 0) {
            whiskers_[k - 1] = new QCPErrorBars(p->xAxis, p->yAxis);
            whiskers_[k - 1]->setDataPlottable(bars_[k]);
            whiskers_[k - 1]->setPen(QPen(QColor("#202020"), 1.2));
            whiskers_[k - 1]->setWhiskerWidth(5);
            whiskers_[k - 1]->removeFromLegend();
        }
    }
    // The legend in a row of its own above the bars, so it never hides a bar or a verdict.
    placeLegendAbove(p, 2);  // two by two: fits a narrow panel
    p->xAxis->grid()->setVisible(false);
    setToolTip(tr("Each profile's own scheme (blue) against the all-profiles scheme, the best other profile's scheme and "
                  "the uniform scheme, on the profile's own test clips. Whiskers: 95% paired bootstrap interval of each "
                  "difference, drawn around the other scheme's value. Above each bar: + own better, − own worse, "
                  "= no measurable difference (the interval holds 0)."));
    clear();
}

void GainBars::clear() {
    for (QCPBars* b : bars_) b->data()->clear();
    for (QCPErrorBars* w : whiskers_) w->data()->clear();
    plot()->clearItems();
    verdicts_.clear();
    plot()->legend->setVisible(false);
    setSubtitle(QString());
    setPlaceholder(plot()->axisRect(), tr("Run a comparison to see whether each profile's own scheme serves it better"));
    plot()->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    plot()->xAxis->setRange(0, 1);
    plot()->yAxis->setRange(0, 1);
    replotLater();
}

void GainBars::setMatrix(std::shared_ptr<const PersonalizationResult> result, int index, Measure measure) {
    if (!result || index < 0 || index >= int(result->matrices.size())) {
        clear();
        return;
    }
    const PersonalizationResult& r = *result;
    const PersonalizationMatrix& m = r.matrices[std::size_t(index)];
    QCustomPlot* p = plot();
    for (QCPBars* b : bars_) b->data()->clear();
    for (QCPErrorBars* w : whiskers_) w->data()->clear();
    p->clearItems();
    setPlaceholder(p->axisRect(), QString());
    verdicts_.clear();
    const double scale = isRate(measure) ? 100.0 : 1.0;
    auto ticks = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    int better = 0, worse = 0, same = 0, shown = 0;
    for (std::size_t pi = 0; pi < r.profiles.size(); ++pi) {
        const std::string& name = r.profiles[pi].name;
        const SchemeGain* gains[3] = {};
        for (const SchemeGain& g : m.gains)
            if (g.profile == name && g.measure == measure)
                for (int k = 0; k < 3; ++k)
                    if (g.versus == kVersus[k]) gains[k] = &g;
        if (!gains[0]) continue;
        const double x = double(shown++);
        ticks->addTick(x, QString::fromStdString(name));
        bars_[0]->addData(x, scale * gains[0]->own);
        lo = std::min(lo, scale * gains[0]->own), hi = std::max(hi, scale * gains[0]->own);
        for (int k = 0; k < 3; ++k) {
            if (!gains[k]) {
                bars_[k + 1]->addData(x, std::nan(""));
                whiskers_[k]->addData(std::nan(""), std::nan(""));
                continue;
            }
            const SchemeGain& g = *gains[k];
            bars_[k + 1]->addData(x, scale * g.other);
            // other − own = gain (lower is better) or −gain (higher is better); the whisker spans the
            // other value's interval relative to own.
            const double sign = lowerIsBetter(measure) ? 1.0 : -1.0;
            const double a = scale * (g.own + sign * g.gain.low), b = scale * (g.own + sign * g.gain.high);
            const double v = scale * g.other;
            whiskers_[k]->addData(std::max(0.0, v - std::min(a, b)), std::max(0.0, std::max(a, b) - v));
            lo = std::min({lo, a, b, v}), hi = std::max({hi, a, b, v});
            const QString mark = g.identical || g.gain.containsZero() ? QStringLiteral("=")
                                 : g.gain.low > 0                     ? QStringLiteral("+")
                                                                      : QStringLiteral("−");
            verdicts_ << mark;
            if (k == 0) (mark == "=" ? same : mark == "+" ? better : worse) += 1;
            // The verdict above its own bar (the group lays the four bars out 0.2 apart around x).
            auto* label = new QCPItemText(p);
            label->position->setTypeX(QCPItemPosition::ptPlotCoords);
            label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
            label->position->setCoords(x + (k - 0.5) * kBarWidth, 0.02);
            label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignTop);
            label->setText(mark);
            label->setFont(QFont(QStringLiteral("DejaVu Sans"), 9, QFont::Bold));
            label->setColor(mark == "+" ? QColor("#1a7f37") : mark == "=" ? QColor("#505050") : QColor("#b42318"));
            label->setSelectable(false);
        }
    }
    if (shown == 0) {
        clear();
        setPlaceholder(p->axisRect(), tr("No gains for this measure (it does not apply to these clips)"));
        return;
    }
    p->xAxis->setTicker(ticks);
    p->xAxis->setTickLabelRotation(shown > 4 ? 90 : 0);  // slanted names run past the last bar's edge
    p->xAxis->setRange(-0.6, shown - 0.4);
    const double pad = 0.08 * std::max(hi - lo, 1e-9);
    p->yAxis->setRange(std::min(0.0, lo - pad), hi + 3 * pad);
    p->yAxis->setLabel(axisTitle(measure));
    p->legend->setVisible(true);
    // Short enough for the title row; the tooltip explains the marks and whiskers.
    setSubtitle(tr("%1 bits, spread %2 · own vs all: %3 better, %4 worse, %5 no measurable difference")
                    .arg(m.targetBits, 0, 'f', 2)
                    .arg(m.spread)
                    .arg(better)
                    .arg(worse)
                    .arg(same));
    p->xAxis->setLabel(tr("profile (its test clips) · whiskers: %1% paired bootstrap\n"
                          "+ own better · − own worse · = no measurable difference")
                           .arg(100.0 * r.options.bootstrap.confidence, 0, 'g', 3));
    replotLater();
}

}  // namespace qs::gui
