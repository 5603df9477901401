// The frame every figure lives in: a title row with the view's own controls, a QCustomPlot, export
// to PNG or PDF, and the mapping from a click to the layer under it (views are linked through the
// layer selection: a click emits layerClicked, the window selects that layer everywhere).
#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>

class QCustomPlot;
class QCPAxisRect;
class QCPItemText;
class QHBoxLayout;
class QLabel;
class QMouseEvent;

namespace qs::gui {

struct FigureExportOptions {
    enum class Format { Png, Pdf };
    Format format = Format::Png;
    int width = 1200;   // layout size in logical pixels (PDF: points)
    int height = 600;
    int dpi = 150;      // PNG only: pixels = size × dpi / 96, and the file records the dpi
};

// What the figures show, for the caption of exported files: the model, the speaker (or profile) the
// allocation is for, the sensitivity metric and the budget. The window keeps it current.
struct FigureContext {
    QString model;    // "demo/model.pt": the file and its folder
    QString speaker;  // the allocation's speaker, "all" for every speaker
    QString metric;   // "median |y|"
    QString budget;   // "budget 0.950 MB (0.934 MB, 3.19 bits on average)"; empty before an allocation
};

// Format::Png for ".png", Pdf for ".pdf" (case-insensitive); Png otherwise.
FigureExportOptions::Format formatForPath(const QString& path);

class FigureView : public QWidget {
    Q_OBJECT
public:
    FigureView(const QString& figureId, const QString& title, QWidget* parent = nullptr);

    QCustomPlot* plot() const { return plot_; }
    QString figureId() const { return figureId_; }  // file stem for exports: "sensitivity", ...
    QString title() const { return title_; }

    // Writes the figure as a report figure: without the selection, with a title and exportCaption()
    // (export_look.h). False with *error set when the file cannot be written.
    bool exportFigure(const QString& path, const FigureExportOptions& options, QString* error = nullptr) const;

    void setContext(const FigureContext& context) { context_ = context; }
    const FigureContext& context() const { return context_; }
    // The caption of an exported figure: what it shows. By default the model, speaker, metric and
    // budget; views name what else they depend on (the layer, the speakers) and leave out what they
    // do not.
    virtual QString exportCaption() const;

signals:
    void layerClicked(int layer);
    void activated();  // the user clicked the figure: it becomes the one Ctrl+E exports

protected:
    QHBoxLayout* controls() const { return controls_; }
    void setSubtitle(const QString& text);
    QString subtitle() const;
    // Joins the non-empty parts with " · ".
    static QString joinCaption(const QStringList& parts);
    // A grey note in the middle of rect (or hidden when text is empty), for "no analysis yet".
    void setPlaceholder(QCPAxisRect* rect, const QString& text);
    // Rects whose clicks on the key axis map to layers 0..layers-1 (nearest integer key).
    void setLayerAxisRect(QCPAxisRect* rect, int layers) { setLayerAxisRects({rect}, layers); }
    void setLayerAxisRects(const QList<QCPAxisRect*>& rects, int layers);
    // Redraws on the next event-loop turn; a figure that is not on screen (a background tab) only
    // redraws when it is shown, so live updates cost nothing for the figures nobody is looking at.
    void replotLater();
    void showEvent(QShowEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void onMousePress(QMouseEvent* event);
    void elideSubtitle();  // the whole subtitle, or as much as fits with "…"

    QString figureId_;
    QString title_;
    FigureContext context_;
    QCustomPlot* plot_ = nullptr;
    QHBoxLayout* controls_ = nullptr;
    QLabel* subtitle_ = nullptr;
    QString subtitleText_;
    QList<QCPAxisRect*> layerRects_;
    int layerCount_ = 0;
    bool stale_ = false;  // changed while hidden
};

}  // namespace qs::gui
