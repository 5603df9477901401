// QCPBars whose fill follows each bar's own bit colour, with the selected bar outlined.
#include "widgets/bit_bars.h"

#include <algorithm>
#include <cmath>

namespace qs::gui {

BitBars::BitBars(QCPAxis* keyAxis, QCPAxis* valueAxis) : QCPBars(keyAxis, valueAxis) {}

void BitBars::draw(QCPPainter* painter) {
    if (!mKeyAxis || !mValueAxis || mDataContainer->isEmpty()) return;
    QCPBarsDataContainer::const_iterator begin, end;
    getVisibleDataBounds(begin, end);
    if (begin == end) return;
    applyDefaultAntialiasingHint(painter);
    for (auto it = begin; it != end; ++it) {
        if (!std::isfinite(it->value)) continue;
        const int key = int(std::lround(it->key));
        const QBrush fill = key >= 0 && key < brushes_.size() ? brushes_[key] : mBrush;
        painter->setBrush(fill);
        if (key == highlighted_) {
            painter->setPen(QPen(QColor("#111111"), 2.0));
        } else {
            painter->setPen(mPen);
        }
        const QRectF bar = getBarRect(it->key, it->value);
        painter->drawPolygon(bar);
        if (cap_.isValid() && bar.height() > 1) {
            painter->setPen(Qt::NoPen);
            painter->setBrush(cap_);
            painter->drawRect(QRectF(bar.left(), bar.top(), bar.width(), std::min(4.0, bar.height())));
        }
    }
}

}  // namespace qs::gui

#include "widgets/plot_style.h"

namespace qs::gui {

void BitsLegend::update(const std::set<int>& bits) {
    QCustomPlot* plot = key_->parentPlot();
    for (const auto& e : entries_)
        if (e) plot->removePlottable(e.data());
    entries_.clear();
    for (int b : bits) {
        auto* entry = new QCPBars(key_, value_);
        entry->setName(b >= 32 ? QStringLiteral("float") : QStringLiteral("%1 bits").arg(b));
        entry->setBrush(bitColour(b));
        entry->setPen(QPen(bitColour(b).darker(130)));
        entry->setSelectable(QCP::stNone);
        entries_ << entry;
    }
}

QCPItemRect* makeSelectionBand(QCPAxisRect* rect) {
    auto* band = new QCPItemRect(rect->parentPlot());
    band->setObjectName(QLatin1String(kSelectionBandName));
    band->setClipAxisRect(rect);
    for (QCPItemPosition* p : {band->topLeft, band->bottomRight}) {
        p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        p->setAxisRect(rect);
        p->setTypeX(QCPItemPosition::ptPlotCoords);
        p->setTypeY(QCPItemPosition::ptAxisRectRatio);
    }
    band->setPen(Qt::NoPen);
    band->setBrush(selectionColour());
    band->setSelectable(false);
    band->setLayer(QStringLiteral("grid"));
    band->setVisible(false);
    return band;
}

void placeSelectionBand(QCPItemRect* band, int layer) {
    band->setVisible(layer >= 0);
    band->topLeft->setCoords(layer - 0.5, 0.0);
    band->bottomRight->setCoords(layer + 0.5, 1.0);
}

}  // namespace qs::gui
