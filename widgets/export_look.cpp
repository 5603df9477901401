// ExportLook: an exported figure without selection, with larger fonts, a title and a caption.
#include "widgets/export_look.h"

#include <qcustomplot.h>

#include "widgets/bit_bars.h"

namespace qs::gui {
namespace {

QFont scaled(QFont f) {
    f.setPointSizeF(f.pointSizeF() * ExportLook::kFontScale);
    return f;
}

}  // namespace

ExportLook::ExportLook(QCustomPlot* plot, const QString& title, const QString& caption) : plot_(plot) {
    // Interactive state: the selected layer's band, and its outlined bar.
    for (int i = 0; i < plot->itemCount(); ++i) {
        QCPAbstractItem* item = plot->item(i);
        if (item->objectName() == QLatin1String(kSelectionBandName) && item->visible()) {
            item->setVisible(false);
            hidden_ << item;
        }
    }
    for (int i = 0; i < plot->plottableCount(); ++i)
        if (auto* bars = qobject_cast<BitBars*>(plot->plottable(i)); bars && bars->highlightedKey() >= 0) {
            highlights_ << qMakePair(bars, bars->highlightedKey());
            bars->setHighlightedKey(-1);
        }

    // Fonts one size up.
    for (QCPAxisRect* rect : plot->axisRects())
        for (QCPAxis* axis : rect->axes()) {
            axes_ << AxisFonts{axis, axis->tickLabelFont(), axis->labelFont()};
            axis->setTickLabelFont(scaled(axis->tickLabelFont()));
            axis->setLabelFont(scaled(axis->labelFont()));
        }
    if (plot->legend) {  // null where a view replaced the default layout (the speaker comparison)
        legendFont_ = plot->legend->font();
        plot->legend->setFont(scaled(legendFont_));
    }
    for (int i = 0; i < plot->itemCount(); ++i)
        if (auto* text = qobject_cast<QCPItemText*>(plot->item(i))) {
            itemFonts_ << ItemFont{text, text->font()};
            text->setFont(scaled(text->font()));
        }
    for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
        if (auto* text = qobject_cast<QCPTextElement*>(e)) {
            textFonts_ << qMakePair(text, text->font());
            text->setFont(scaled(text->font()));
        }

    // Title and caption above everything else.
    QCPLayoutGrid* grid = plot->plotLayout();
    int row = 0;
    for (const auto& [text, font] : {qMakePair(title, QFont(QStringLiteral("DejaVu Sans"), 11, QFont::Bold)),
                                    qMakePair(caption, QFont(QStringLiteral("DejaVu Sans"), 9))}) {
        if (text.isEmpty()) continue;
        auto* element = new QCPTextElement(plot, text, scaled(font));
        element->setTextColor(row == 0 ? QColor("#111111") : QColor("#404040"));
        element->setMargins(QMargins(8, row == 0 ? 6 : 0, 8, 2));
        grid->insertRow(row);
        grid->addElement(row, 0, element);
        grid->setRowStretchFactor(row, 0.001);
        added_ << element;
        ++row;
    }
}

ExportLook::~ExportLook() {
    QCPLayoutGrid* grid = plot_->plotLayout();
    for (QCPLayoutElement* e : added_) grid->remove(e);
    grid->simplify();
    for (const AxisFonts& a : axes_)
        if (a.axis) {
            a.axis->setTickLabelFont(a.tick);
            a.axis->setLabelFont(a.label);
        }
    if (plot_->legend) plot_->legend->setFont(legendFont_);
    for (const ItemFont& f : itemFonts_) f.item->setFont(f.font);
    for (const auto& [text, font] : textFonts_) text->setFont(font);
    for (const auto& [bars, key] : highlights_) bars->setHighlightedKey(key);
    for (QCPAbstractItem* item : hidden_) item->setVisible(true);
}

}  // namespace qs::gui
