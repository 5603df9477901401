// What a figure looks like in a file rather than on screen, applied for the time of one export and
// undone afterwards: no interactive state (the selected layer's band and outlined bar are hidden),
// fonts one size up so that tick and axis labels stay readable when the figure is printed at column
// width, and a title with a caption saying what the figure shows (model, speaker, metric, budget).
#pragma once

#include <QFont>
#include <QList>
#include <QPair>
#include <QPointer>
#include <QString>

class QCustomPlot;
class QCPAxis;
class QCPAbstractItem;
class QCPItemText;
class QCPLayoutElement;
class QCPTextElement;

namespace qs::gui {

class BitBars;

class ExportLook {
public:
    // Fonts of exported figures are this many times their on-screen size.
    static constexpr double kFontScale = 1.3;

    ExportLook(QCustomPlot* plot, const QString& title, const QString& caption);
    ~ExportLook();
    ExportLook(const ExportLook&) = delete;
    ExportLook& operator=(const ExportLook&) = delete;

private:
    struct AxisFonts {
        QPointer<QCPAxis> axis;
        QFont tick, label;
    };
    struct ItemFont {
        QCPItemText* item;
        QFont font;
    };
    QCustomPlot* plot_;
    QList<AxisFonts> axes_;
    QList<ItemFont> itemFonts_;
    QList<QPair<QCPTextElement*, QFont>> textFonts_;
    QFont legendFont_;
    QList<QCPAbstractItem*> hidden_;
    QList<QPair<BitBars*, int>> highlights_;
    QList<QCPLayoutElement*> added_;
};

}  // namespace qs::gui
