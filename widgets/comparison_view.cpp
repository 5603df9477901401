// The speaker comparison figure: two speakers' scores and allocations, differing layers marked.
#include "widgets/comparison_view.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>

#include "widgets/bit_bars.h"
#include "widgets/plot_style.h"

namespace qs::gui {

namespace {

QCPAxisRect* addRect(QCustomPlot* p, int row, const QString& yLabel) {
    auto* rect = new QCPAxisRect(p);
    p->plotLayout()->addElement(row, 0, rect);
    rect->axis(QCPAxis::atLeft)->setLabel(yLabel);
    styleAxisRect(rect);
    return rect;
}

}  // namespace

ComparisonView::ComparisonView(QWidget* parent)
    : FigureView(QStringLiteral("speaker_comparison"), tr("Speaker comparison"), parent) {
    a_ = new QComboBox(this);
    b_ = new QComboBox(this);
    a_->setObjectName(QStringLiteral("speakerA"));
    b_->setObjectName(QStringLiteral("speakerB"));
    a_->setMinimumContentsLength(12);
    b_->setMinimumContentsLength(12);
    controls()->addWidget(new QLabel(tr("A"), this));
    controls()->addWidget(a_);
    controls()->addWidget(new QLabel(tr("B"), this));
    controls()->addWidget(b_);
    auto changed = [this] {
        if (a_->currentIndex() >= 0 && b_->currentIndex() >= 0) emit pairChanged(speakerA(), speakerB());
    };
    connect(a_, &QComboBox::currentIndexChanged, this, changed);
    connect(b_, &QComboBox::currentIndexChanged, this, changed);

    details_ = new QLabel(this);
    details_->setWordWrap(true);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    details_->setStyleSheet(QStringLiteral("color: #303030; padding: 2px 4px;"));
    static_cast<QVBoxLayout*>(layout())->addWidget(details_);

    QCustomPlot* p = plot();
    p->plotLayout()->clear();
    headline_ = new QCPTextElement(p, QString(), QFont(QStringLiteral("DejaVu Sans"), 10, QFont::Bold));
    p->plotLayout()->addElement(0, 0, headline_);
    scoresRect_ = addRect(p, 1, tr("score"));
    bitsRect_ = addRect(p, 2, tr("bits"));
    budgetRect_ = addRect(p, 3, tr("layers differing"));
    budgetRect_->axis(QCPAxis::atBottom)->setLabel(tr("budget (MB)"));
    p->plotLayout()->setRowStretchFactors({0.05, 1.0, 1.3, 0.8});  // the bits row holds the layer names too
    // Budgets span a wide range: the bottom plot zooms (wheel) and pans (drag) along the budget axis.
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    for (QCPAxisRect* r : {scoresRect_, bitsRect_}) {
        r->setRangeDrag(Qt::Orientations());
        r->setRangeZoom(Qt::Orientations());
    }
    budgetRect_->setRangeDrag(Qt::Horizontal);
    budgetRect_->setRangeZoom(Qt::Horizontal);
    auto* margins = new QCPMarginGroup(p);
    for (QCPAxisRect* r : {scoresRect_, bitsRect_, budgetRect_}) r->setMarginGroup(QCP::msLeft | QCP::msRight, margins);

    auto* scoreGroup = new QCPBarsGroup(p);
    scoreGroup->setSpacing(0);
    scoresA_ = new QCPBars(scoresRect_->axis(QCPAxis::atBottom), scoresRect_->axis(QCPAxis::atLeft));
    scoresB_ = new QCPBars(scoresRect_->axis(QCPAxis::atBottom), scoresRect_->axis(QCPAxis::atLeft));
    auto* bitsGroup = new QCPBarsGroup(p);
    bitsGroup->setSpacing(0);
    bitsA_ = new BitBars(bitsRect_->axis(QCPAxis::atBottom), bitsRect_->axis(QCPAxis::atLeft));
    bitsB_ = new BitBars(bitsRect_->axis(QCPAxis::atBottom), bitsRect_->axis(QCPAxis::atLeft));
    const QColor pair[] = {QColor("#1f77b4"), QColor("#e4572e")};
    for (int k = 0; k < 2; ++k) {
        QCPBars* s = k == 0 ? scoresA_ : scoresB_;
        BitBars* b = k == 0 ? bitsA_ : bitsB_;
        s->setBrush(pair[k]);
        s->setPen(Qt::NoPen);
        s->setWidth(0.4);
        s->setBarsGroup(scoreGroup);
        b->setBrush(pair[k]);
        b->setPen(QPen(pair[k], 1.4));
        b->setCapColour(pair[k]);
        b->setWidth(0.4);
        b->setBarsGroup(bitsGroup);
    }
    marks_ = new QCPGraph(bitsRect_->axis(QCPAxis::atBottom), bitsRect_->axis(QCPAxis::atLeft));
    marks_->setLineStyle(QCPGraph::lsNone);
    marks_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangleInverted, QColor("#d62728"), QColor("#d62728"), 7));
    diffCurve_ = new QCPGraph(budgetRect_->axis(QCPAxis::atBottom), budgetRect_->axis(QCPAxis::atLeft));
    diffCurve_->setLineStyle(QCPGraph::lsStepLeft);
    diffCurve_->setPen(QPen(QColor("#d62728"), 1.4));
    diffCurve_->setBrush(QColor(214, 39, 40, 50));
    target_ = new QCPItemStraightLine(p);
    target_->setClipAxisRect(budgetRect_);
    for (QCPItemPosition* pos : {target_->point1, target_->point2}) {
        pos->setAxisRect(budgetRect_);
        pos->setAxes(budgetRect_->axis(QCPAxis::atBottom), budgetRect_->axis(QCPAxis::atLeft));
    }
    target_->setPen(QPen(QColor("#303030"), 1, Qt::DashLine));
    bandScores_ = makeSelectionBand(scoresRect_);
    bandBits_ = makeSelectionBand(bitsRect_);
    rebuild();
}

void ComparisonView::setLayers(const std::vector<std::string>& names) {
    names_ = names;
    data_ = {};
    rebuild();
}

void ComparisonView::setSpeakers(const QStringList& speakers) {
    const QString oldA = speakerA(), oldB = speakerB();
    QSignalBlocker blockA(a_), blockB(b_);
    a_->clear();
    b_->clear();
    a_->addItems(speakers);
    b_->addItems(speakers);
    // Default pair: the first two named speakers (after "all").
    const int first = speakers.size() > 2 ? 1 : 0;
    a_->setCurrentIndex(speakers.contains(oldA) ? speakers.indexOf(oldA) : first);
    b_->setCurrentIndex(speakers.contains(oldB) ? speakers.indexOf(oldB) : std::min<int>(first + 1, int(speakers.size()) - 1));
}

QString ComparisonView::speakerA() const { return a_->currentText(); }
QString ComparisonView::speakerB() const { return b_->currentText(); }

void ComparisonView::setPair(const QString& a, const QString& b) {
    QSignalBlocker blockA(a_), blockB(b_);
    if (a_->findText(a) >= 0) a_->setCurrentIndex(a_->findText(a));
    if (b_->findText(b) >= 0) b_->setCurrentIndex(b_->findText(b));
}

QString ComparisonView::headline() const { return headline_->text(); }
QString ComparisonView::details() const { return details_->text(); }

void ComparisonView::setComparison(const SpeakerComparison& c) {
    data_ = c;
    rebuild();
}

void ComparisonView::setSelectedLayer(int layer) {
    placeSelectionBand(bandScores_, layer);
    placeSelectionBand(bandBits_, layer);
    bitsA_->setHighlightedKey(layer);
    bitsB_->setHighlightedKey(layer);
    replotLater();
}

QString ComparisonView::exportCaption() const {
    const FigureContext& c = context();
    const QString pair = data_.valid() ? tr("speakers %1 (blue) vs %2 (orange)").arg(data_.a, data_.b) : QString();
    return joinCaption({c.model, pair, c.metric.isEmpty() ? QString() : tr("metric %1").arg(c.metric), c.budget});
}

void ComparisonView::rebuild() {
    const int n = int(names_.size());
    const QStringList shortNames = shortLayerNames(names_);
    for (QCPAxisRect* r : {scoresRect_, bitsRect_}) setLayerTicks(r->axis(QCPAxis::atBottom), shortNames, 40);
    scoresRect_->axis(QCPAxis::atBottom)->setTickLabels(false);
    setLayerAxisRects({scoresRect_, bitsRect_}, n);

    const bool ok = data_.valid() && int(data_.bitsA.size()) == n;
    QVector<double> keys, sa, sb, ba, bb, mk, mv;
    QVector<QBrush> brushA, brushB;
    double top = 0;
    int topBits = 8;
    if (ok) {
        for (int i = 0; i < n; ++i) {
            const auto u = std::size_t(i);
            keys << i;
            sa << data_.scoresA[u];
            sb << data_.scoresB[u];
            ba << data_.bitsA[u];
            bb << data_.bitsB[u];
            brushA << QBrush(bitColour(data_.bitsA[u]));
            brushB << QBrush(bitColour(data_.bitsB[u]));
            top = std::max({top, data_.scoresA[u], data_.scoresB[u]});
            topBits = std::max({topBits, data_.bitsA[u], data_.bitsB[u]});
            if (data_.bitsA[u] != data_.bitsB[u]) {
                mk << i;
                mv << std::max(data_.bitsA[u], data_.bitsB[u]) + 1.0;
            }
        }
    }
    scoresA_->setData(keys, sa, true);
    scoresB_->setData(keys, sb, true);
    bitsA_->setData(keys, ba, true);
    bitsB_->setData(keys, bb, true);
    bitsA_->setBarBrushes(brushA);
    bitsB_->setBarBrushes(brushB);
    marks_->setData(mk, mv, true);
    scoresRect_->axis(QCPAxis::atLeft)->setRange(0, top > 0 ? top * 1.1 : 1);
    bitsRect_->axis(QCPAxis::atLeft)->setRange(0, topBits + 2.5);
    // Whole bits, few enough ticks for a short panel.
    QSharedPointer<QCPAxisTickerFixed> bitTicks(new QCPAxisTickerFixed);
    bitTicks->setTickStep(topBits > 16 ? 8 : 4);
    bitTicks->setScaleStrategy(QCPAxisTickerFixed::ssNone);
    bitsRect_->axis(QCPAxis::atLeft)->setTicker(bitTicks);

    QVector<double> dk, dv;
    double lo = 0, hi = 1, maxDiff = 1;
    if (ok && !data_.ranges.empty()) {
        lo = data_.ranges.front().fromMb;
        hi = data_.ranges.back().toMb;
        for (const auto& r : data_.ranges) {
            dk << r.fromMb;
            dv << r.differing;
            maxDiff = std::max<double>(maxDiff, r.differing);
        }
        dk << hi;
        dv << data_.ranges.back().differing;
    }
    diffCurve_->setData(dk, dv, true);
    QCPAxis* bx = budgetRect_->axis(QCPAxis::atBottom);
    bx->setRange(lo - (hi - lo) * 0.02, hi + (hi - lo) * 0.02);
    budgetRect_->axis(QCPAxis::atLeft)->setRange(0, maxDiff + 1);
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(maxDiff > 10 ? 5 : 1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssNone);
    budgetRect_->axis(QCPAxis::atLeft)->setTicker(ticker);
    target_->point1->setCoords(data_.targetMb, 0);
    target_->point2->setCoords(data_.targetMb, 1);
    target_->setVisible(ok);

    scoresA_->setName(data_.a);
    scoresB_->setName(data_.b);
    headline_->setText(ok ? QStringLiteral("%1  vs  %2 — %3").arg(data_.a, data_.b, comparisonHeadline(data_))
                          : comparisonHeadline(data_));
    details_->setText(ok ? comparisonDetails(data_, names_) : QString());
    const QString none = n == 0 ? tr("Open a model to see its layers") : tr("Run an analysis of two or more speakers");
    setPlaceholder(scoresRect_, ok ? QString() : none);
    setSubtitle(ok ? tr("A = %1 (blue outline), B = %2 (orange outline); ▼ marks layers that differ").arg(data_.a, data_.b)
                   : QString());
    replotLater();
}

}  // namespace qs::gui
