// The activation histogram of the selected layer (log-scale counts) with min/max and percentile
// markers, and the clipping range and quantization grid a quantizer with the layer's bits would use.
#pragma once

#include <QList>
#include <QString>
#include <optional>

#include "core/stats/activation_stats.h"
#include "widgets/figure_view.h"

class QComboBox;
class QCPGraph;
class QCPItemRect;
class QCPItemText;
class QCPAbstractItem;

namespace qs::gui {

enum class ClipMode { MinMax, Percentile, SymmetricPercentile, SymmetricMax };

// The quantization range and grid for y given its statistics: levels at lo + k × step.
struct QuantGrid {
    double lo = 0, hi = 0, step = 0;
    int levels = 0;
    double clippedFraction = 0;  // share of the histogram's counts outside [lo, hi]
};
QuantGrid quantGrid(const StatsSummary& s, ClipMode mode, int bits);

class HistogramView : public FigureView {
    Q_OBJECT
public:
    explicit HistogramView(QWidget* parent = nullptr);

    // stats may be null (no analysis, or the layer was not seen); bits is the layer's allocation.
    void setLayer(const QString& layer, const QString& speaker, const StatsSummary* stats, int bits);
    void setBits(int bits);

    ClipMode clipMode() const;
    void setClipMode(ClipMode mode);
    bool gridUsesActivationBits() const;  // 8-bit activations instead of the layer's weight bits
    void setGridUsesActivationBits(bool on);

    QString exportCaption() const override;

signals:
    void viewOptionsChanged();

private:
    void rebuild();
    void clearMarkers();
    void addMarker(double x, const QString& text, const QColor& colour, Qt::PenStyle style, double labelY);

    QString layer_, speaker_;
    std::optional<StatsSummary> stats_;
    int bits_ = 32;
    QComboBox* clip_ = nullptr;
    QComboBox* gridBits_ = nullptr;
    QCPGraph* counts_ = nullptr;
    QCPItemRect* clipBand_ = nullptr;
    QCPItemText* note_ = nullptr;
    QList<QCPAbstractItem*> markers_;
};

}  // namespace qs::gui
