// Toolbar and window icons painted with QPainter.
#include "widgets/icons.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <cmath>

namespace qs::gui {

namespace {

const QColor kInk("#2d3e50");
const QColor kAccent("#1f77b4");

void drawFolder(QPainter& p, const QColor& fill) {
    QPainterPath path;
    path.moveTo(2, 6);
    path.lineTo(9, 6);
    path.lineTo(11, 8);
    path.lineTo(22, 8);
    path.lineTo(22, 20);
    path.lineTo(2, 20);
    path.closeSubpath();
    p.setBrush(fill);
    p.drawPath(path);
}

void drawBadge(QPainter& p, const QColor& colour, bool plus) {
    p.setBrush(colour);
    p.setPen(Qt::NoPen);
    p.drawEllipse(QPointF(18, 18), 5.5, 5.5);
    p.setPen(QPen(Qt::white, 1.8, Qt::SolidLine, Qt::RoundCap));
    p.drawLine(QPointF(15.5, 18), QPointF(20.5, 18));
    if (plus) p.drawLine(QPointF(18, 15.5), QPointF(18, 20.5));
}

void paint(QPainter& p, IconKind kind) {
    p.setPen(QPen(kInk, 1.5, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    switch (kind) {
    case IconKind::App: {
        p.setPen(Qt::NoPen);
        p.setBrush(QColor("#24344d"));
        p.drawRoundedRect(QRectF(1, 1, 22, 22), 5, 5);
        const int heights[] = {6, 11, 16, 9, 13, 4};
        const char* colours[] = {"#e3b505", "#2ca02c", "#17becf", "#ff7f0e", "#1f77b4", "#d62728"};
        for (int i = 0; i < 6; ++i) {
            p.setBrush(QColor(colours[i]));
            p.drawRect(QRectF(4 + i * 2.8, 20 - heights[i], 2.1, heights[i]));
        }
        break;
    }
    case IconKind::OpenModel:
        drawFolder(p, QColor("#f3d27a"));
        p.setPen(QPen(kInk, 1.3));
        for (int i = 0; i < 3; ++i) p.drawRect(QRectF(6 + i * 4.5, 11 + (i % 2) * 2, 3, 5 - (i % 2) * 2));
        break;
    case IconKind::AddAudio: {
        p.setPen(QPen(kAccent, 1.8, Qt::SolidLine, Qt::RoundCap));
        const double amp[] = {3, 7, 5, 9, 4, 6, 2};
        for (int i = 0; i < 7; ++i) p.drawLine(QPointF(2.5 + i * 2.4, 11 - amp[i]), QPointF(2.5 + i * 2.4, 11 + amp[i]));
        drawBadge(p, QColor("#2ca02c"), true);
        break;
    }
    case IconKind::Analyze: {
        QPainterPath tri;
        tri.moveTo(6, 3.5);
        tri.lineTo(20.5, 12);
        tri.lineTo(6, 20.5);
        tri.closeSubpath();
        p.setPen(QPen(QColor("#1e7b34"), 1.4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(QColor("#2ca02c"));
        p.drawPath(tri);
        break;
    }
    case IconKind::Cancel:
        p.setPen(QPen(QColor("#9b1c1c"), 1.4));
        p.setBrush(QColor("#d62728"));
        p.drawRoundedRect(QRectF(5, 5, 14, 14), 2.5, 2.5);
        break;
    case IconKind::Export: {
        p.setBrush(Qt::white);
        p.drawRect(QRectF(3, 8, 14, 13));
        p.setPen(Qt::NoPen);
        const double h[] = {4, 7, 5, 9};
        for (int i = 0; i < 4; ++i) {
            p.setBrush(i % 2 ? kAccent : QColor("#ff7f0e"));
            p.drawRect(QRectF(5 + i * 3, 19 - h[i], 2.2, h[i]));
        }
        p.setPen(QPen(QColor("#2ca02c"), 2.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawLine(QPointF(12, 12), QPointF(21, 3));
        p.drawLine(QPointF(15, 3), QPointF(21, 3));
        p.drawLine(QPointF(21, 3), QPointF(21, 9));
        break;
    }
    case IconKind::ExportModel: {
        // A chip (the quantized model) with an arrow leaving it.
        for (int i = 0; i < 3; ++i) {
            const double y = 11 + i * 3.5;
            p.drawLine(QPointF(1.5, y), QPointF(4, y));
            p.drawLine(QPointF(15, y), QPointF(17.5, y));
        }
        p.setBrush(QColor("#3c556e"));
        p.drawRoundedRect(QRectF(4, 8, 11, 13), 1.5, 1.5);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor("#ff7f0e"));
        p.drawRect(QRectF(6.5, 15, 2.2, 4));
        p.setBrush(kAccent);
        p.drawRect(QRectF(10.2, 12, 2.2, 7));
        p.setPen(QPen(QColor("#2ca02c"), 2.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawLine(QPointF(13, 10), QPointF(21, 3));
        p.drawLine(QPointF(15, 3), QPointF(21, 3));
        p.drawLine(QPointF(21, 3), QPointF(21, 9));
        break;
    }
    case IconKind::SaveSession: {
        p.setBrush(QColor("#5b7fa6"));
        p.drawRoundedRect(QRectF(3, 3, 18, 18), 2, 2);
        p.setBrush(Qt::white);
        p.setPen(Qt::NoPen);
        p.drawRect(QRectF(7, 4, 10, 6));
        p.setBrush(QColor("#dfe7f0"));
        p.drawRect(QRectF(6, 13, 12, 7));
        break;
    }
    case IconKind::OpenSession:
        drawFolder(p, QColor("#b8cde3"));
        break;
    }
}

}  // namespace

QIcon icon(IconKind kind) {
    QIcon result;
    for (int size : {16, 24, 32, 48, 64, 128}) {
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.scale(size / 24.0, size / 24.0);
        paint(p, kind);
        p.end();
        result.addPixmap(pm);
    }
    return result;
}

}  // namespace qs::gui
