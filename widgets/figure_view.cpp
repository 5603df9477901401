// FigureView: the frame around every plot, its export to PNG/PDF and click-to-layer mapping.
#include "widgets/figure_view.h"

#include <qcustomplot.h>

#include <QDir>
#include <QFileInfo>
#include <QMouseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <cmath>

#include "widgets/export_look.h"
#include "widgets/plot_style.h"

namespace qs::gui {

FigureExportOptions::Format formatForPath(const QString& path) {
    return QFileInfo(path).suffix().compare(QLatin1String("pdf"), Qt::CaseInsensitive) == 0
               ? FigureExportOptions::Format::Pdf
               : FigureExportOptions::Format::Png;
}

FigureView::FigureView(const QString& figureId, const QString& title, QWidget* parent)
    : QWidget(parent), figureId_(figureId), title_(title) {
    setObjectName(figureId + QLatin1String("View"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 2);
    layout->setSpacing(2);

    controls_ = new QHBoxLayout;
    controls_->setSpacing(6);
    auto* titleLabel = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), this);
    controls_->addWidget(titleLabel);
    subtitle_ = new QLabel(this);
    subtitle_->setStyleSheet(QStringLiteral("color: #606060;"));
    subtitle_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Long subtitles must not widen the window: they end in "…" where they do not fit, and the
    // tooltip has the whole text.
    subtitle_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    subtitle_->setMinimumWidth(40);
    subtitle_->installEventFilter(this);
    controls_->addWidget(subtitle_, 1);
    layout->addLayout(controls_);

    plot_ = new QCustomPlot(this);
    plot_->setObjectName(figureId + QLatin1String("Plot"));
    plot_->setMinimumSize(200, 140);
    stylePlot(plot_);
    layout->addWidget(plot_, 1);
    connect(plot_, &QCustomPlot::mousePress, this, &FigureView::onMousePress);
}

void FigureView::setSubtitle(const QString& text) {
    subtitleText_ = text;
    subtitle_->setToolTip(text);
    elideSubtitle();
}

QString FigureView::subtitle() const { return subtitleText_; }

void FigureView::elideSubtitle() {
    subtitle_->setText(subtitle_->fontMetrics().elidedText(subtitleText_, Qt::ElideRight, subtitle_->contentsRect().width()));
}

bool FigureView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == subtitle_ && event->type() == QEvent::Resize) elideSubtitle();
    return QWidget::eventFilter(watched, event);
}

QString FigureView::joinCaption(const QStringList& parts) {
    QStringList kept;
    for (const QString& p : parts)
        if (!p.isEmpty()) kept << p;
    return kept.join(QStringLiteral(" · "));
}

QString FigureView::exportCaption() const {
    const FigureContext& c = context_;
    return joinCaption({c.model, c.speaker.isEmpty() ? QString() : tr("speaker %1").arg(c.speaker),
                        c.metric.isEmpty() ? QString() : tr("metric %1").arg(c.metric), c.budget});
}

void FigureView::setPlaceholder(QCPAxisRect* rect, const QString& text) {
    const QString name = QStringLiteral("placeholder");
    QCPItemText* item = nullptr;
    for (int i = 0; i < plot_->itemCount(); ++i) {
        auto* t = qobject_cast<QCPItemText*>(plot_->item(i));
        if (t && t->objectName() == name && t->clipAxisRect() == rect) item = t;
    }
    if (!item) {
        item = new QCPItemText(plot_);
        item->setObjectName(name);
        item->setClipAxisRect(rect);
        item->position->setAxisRect(rect);
        item->position->setType(QCPItemPosition::ptAxisRectRatio);
        item->position->setCoords(0.5, 0.5);
        item->setColor(QColor("#909090"));
        item->setFont(QFont(QStringLiteral("DejaVu Sans"), 10));
        item->setSelectable(false);
    }
    item->setText(text);
    item->setVisible(!text.isEmpty());
}

void FigureView::setLayerAxisRects(const QList<QCPAxisRect*>& rects, int layers) {
    layerRects_ = rects;
    layerCount_ = layers;
}

void FigureView::replotLater() {
    if (!isVisible()) {
        stale_ = true;
        return;
    }
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void FigureView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (stale_) {
        stale_ = false;
        plot_->replot(QCustomPlot::rpQueuedReplot);
    }
}

void FigureView::onMousePress(QMouseEvent* event) {
    emit activated();
    if (layerCount_ <= 0 || event->button() != Qt::LeftButton) return;
    const QPointF pos = event->position();
    for (QCPAxisRect* rect : layerRects_) {
        if (!rect->rect().contains(pos.toPoint())) continue;
        const long layer = std::lround(rect->axis(QCPAxis::atBottom)->pixelToCoord(pos.x()));
        if (layer >= 0 && layer < layerCount_) emit layerClicked(int(layer));
        return;
    }
}

bool FigureView::exportFigure(const QString& path, const FigureExportOptions& o, QString* error) const {
    bool ok = false;
    if (o.width < 50 || o.height < 50 || o.dpi < 30) {
        if (error) *error = tr("the figure size must be at least 50 × 50 at 30 dpi");
        return false;
    }
    {
        const ExportLook look(plot_, title_, exportCaption());
        if (o.format == FigureExportOptions::Format::Pdf) {
            ok = plot_->savePdf(path, o.width, o.height, QCP::epNoCosmetic, QStringLiteral("quantscope"), title_);
        } else {
            ok = plot_->savePng(path, o.width, o.height, double(o.dpi) / 96.0, -1, o.dpi, QCP::ruDotsPerInch);
        }
    }
    // Exporting renders at another size; bring the on-screen buffers back to the widget's size.
    plot_->replot(QCustomPlot::rpQueuedReplot);
    if (!ok && error) *error = tr("could not write %1").arg(QDir::toNativeSeparators(path));
    return ok;
}

}  // namespace qs::gui
