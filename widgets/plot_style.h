// The look shared by every figure: colours for bit widths and speakers, axis styling, short layer
// names for tick labels, and number formatting for readouts.
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>
#include <string>
#include <vector>

class QCustomPlot;
class QCPAxis;
class QCPAxisRect;

namespace qs::gui {

// A fixed colour per bit width: adjacent widths get clearly different hues (a uniform allocation
// mixes two neighbouring widths), low widths are warm, 16 and up fade to greys, 32 (float) is light grey.
QColor bitColour(int bits);
// Distinct colours for speaker series, cycling after ten.
QColor speakerColour(int index);
// The colour of the selected-layer highlight band.
QColor selectionColour();

// Fonts, grid and margins for a plot (or one axis rect of it).
void stylePlot(QCustomPlot* plot);
void styleAxisRect(QCPAxisRect* rect);
// A compact legend inside the axis rect at the given corner: one row (horizontal) or one column.
void placeLegend(QCustomPlot* plot, Qt::Alignment corner, bool horizontal);
// The legend in a row of its own above the axis rect, `columns` entries a line, so it never hides data.
void placeLegendAbove(QCustomPlot* plot, int columns);

// Layer names without the prefix they all share, with long tokens abbreviated
// ("model.encoder.transformer.layers.0.attention.k_proj" -> "L0.attn.k_proj").
QStringList shortLayerNames(const std::vector<std::string>& names);

// Puts one tick per layer (every k-th labelled when crowded) on a bottom axis running 0..n-1, without
// the grid's zero line.
void setLayerTicks(QCPAxis* axis, const QStringList& shortNames, int maxLabels = 60);

// "1.234 MB", "12.5 kB"-free: always MB with enough decimals to see slider steps.
QString formatMb(double mb);
QString formatCount(long long n);  // 1 234 567 -> "1.23 M"
QString formatSeconds(double s);   // 75 -> "1 min 15 s"

}  // namespace qs::gui
