// Bars whose fill follows each bar's own colour (the allocated bits of that layer), with the
// selected layer drawn with a dark outline. QCPBars itself has one brush per series.
#pragma once

#include <qcustomplot.h>

#include <QVector>

namespace qs::gui {

class BitBars : public QCPBars {
    Q_OBJECT
public:
    BitBars(QCPAxis* keyAxis, QCPAxis* valueAxis);

    // One brush per key 0..n-1; keys without one use the series brush.
    void setBarBrushes(const QVector<QBrush>& brushes) { brushes_ = brushes; }
    void setHighlightedKey(int key) { highlighted_ = key; }
    int highlightedKey() const { return highlighted_; }
    // A band across the top of every bar (the series' own colour when bars are filled by bits).
    void setCapColour(const QColor& colour) { cap_ = colour; }

protected:
    void draw(QCPPainter* painter) override;

private:
    QVector<QBrush> brushes_;
    int highlighted_ = -1;
    QColor cap_;
};

}  // namespace qs::gui

#include <set>

namespace qs::gui {

// Legend entries explaining the bit colours: one empty bar series per bit width in use.
class BitsLegend {
public:
    BitsLegend(QCPAxis* keyAxis, QCPAxis* valueAxis) : key_(keyAxis), value_(valueAxis) {}
    void update(const std::set<int>& bits);

private:
    QCPAxis* key_;
    QCPAxis* value_;
    QList<QPointer<QCPBars>> entries_;
};

// A translucent vertical band behind the selected layer, spanning the axis rect's height. Its object
// name is kSelectionBandName, so that exports can leave it out (export_look.h).
inline constexpr const char* kSelectionBandName = "selectionBand";
QCPItemRect* makeSelectionBand(QCPAxisRect* rect);
void placeSelectionBand(QCPItemRect* band, int layer);  // layer < 0 hides it

}  // namespace qs::gui
