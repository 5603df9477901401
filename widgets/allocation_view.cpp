// The bit allocation chart: bars per layer coloured by width, excluded layers marked.
#include "widgets/allocation_view.h"

#include <qcustomplot.h>

#include <algorithm>
#include <set>

#include "widgets/bit_bars.h"
#include "widgets/plot_style.h"

namespace qs::gui {

AllocationView::AllocationView(QWidget* parent)
    : FigureView(QStringLiteral("allocation"), tr("Bit allocation"), parent) {
    QCustomPlot* p = plot();
    p->xAxis->setLabel(tr("layer (network order)"));
    p->yAxis->setLabel(tr("weight bits"));
    placeLegend(p, Qt::AlignTop | Qt::AlignRight, true);
    band_ = makeSelectionBand(p->axisRect());
    bars_ = new BitBars(p->xAxis, p->yAxis);
    bars_->setWidth(0.75);
    bars_->setPen(QPen(QColor("#505050"), 0.6));
    p->legend->removeItem(p->legend->itemWithPlottable(bars_));
    legend_ = std::make_unique<BitsLegend>(p->xAxis, p->yAxis);
    rebuild();
}

AllocationView::~AllocationView() = default;

void AllocationView::setLayers(const std::vector<std::string>& names) {
    names_ = names;
    bits_.clear();
    included_.clear();
    rebuild();
}

void AllocationView::setAllocation(const std::vector<int>& bits, const std::vector<bool>& included,
                                   const QString& caption) {
    bits_ = bits.size() == names_.size() ? bits : std::vector<int>{};
    included_ = included;
    setSubtitle(caption);
    rebuild();
}

void AllocationView::setSelectedLayer(int layer) {
    selected_ = layer;
    placeSelectionBand(band_, layer);
    bars_->setHighlightedKey(layer);
    replotLater();
}

void AllocationView::rebuild() {
    QCustomPlot* p = plot();
    const int n = int(names_.size());
    setLayerTicks(p->xAxis, shortLayerNames(names_));
    setLayerAxisRect(p->axisRect(), n);

    QVector<double> keys, values;
    QVector<QBrush> brushes;
    std::set<int> inUse;
    int top = 8;
    for (int i = 0; i < int(bits_.size()); ++i) {
        const int b = bits_[std::size_t(i)];
        const bool inc = included_.size() != bits_.size() || included_[std::size_t(i)];
        keys << i;
        values << b;
        top = std::max(top, b);
        brushes << (inc ? QBrush(bitColour(b)) : QBrush(QColor("#9a9a9a"), Qt::BDiagPattern));
        if (inc) inUse.insert(b);
    }
    bars_->setData(keys, values, true);
    bars_->setBarBrushes(brushes);
    bars_->setHighlightedKey(selected_);
    legend_->update(inUse);
    p->legend->setVisible(p->legend->itemCount() > 0);

    // Integer ticks; at most ~9 of them.
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(top > 16 ? 4 : top > 8 ? 2 : 1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssNone);
    p->yAxis->setTicker(ticker);
    p->yAxis->setRange(0, top * 1.15 + 1.0);
    setPlaceholder(p->axisRect(), n == 0          ? tr("Open a model to see its layers")
                                  : bits_.empty() ? tr("Run an analysis, then set a budget")
                                                  : QString());
    replotLater();
}

}  // namespace qs::gui
