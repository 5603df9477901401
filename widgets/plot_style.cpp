// Shared figure look: bit and speaker colours, axes, short layer names, number formats.
#include "widgets/plot_style.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace qs::gui {

QColor bitColour(int bits) {
    static const char* const kLow[] = {
        "#7f0000",  // 1
        "#d62728",  // 2
        "#ff7f0e",  // 3
        "#e3b505",  // 4
        "#2ca02c",  // 5
        "#17becf",  // 6
        "#1f77b4",  // 7
        "#6a3d9a",  // 8
        "#b15fa8",  // 9
        "#8c564b",  // 10
        "#5c8a8a",  // 11
        "#7b8f3a",  // 12
        "#a06b3c",  // 13
        "#4e6a8f",  // 14
        "#7a5c8f",  // 15
        "#6f6f6f",  // 16
    };
    if (bits >= 32) return QColor("#d0d0d0");
    if (bits >= 17) return QColor("#a8a8a8");
    if (bits < 1) bits = 1;
    return QColor(kLow[bits - 1]);
}

QColor speakerColour(int index) {
    // Dark tones, apart from the bit colours they are drawn next to.
    static const char* const kColours[] = {"#222222", "#c2185b", "#00838f", "#7b1fa2", "#5d4037",
                                           "#455a64", "#827717", "#ad1457", "#283593", "#bf360c"};
    return QColor(kColours[std::abs(index) % 10]);
}

QColor selectionColour() { return QColor(255, 200, 0, 70); }

void styleAxisRect(QCPAxisRect* rect) {
    const QFont tickFont(QStringLiteral("DejaVu Sans"), 8);
    const QFont labelFont(QStringLiteral("DejaVu Sans"), 9);
    for (QCPAxis* axis : rect->axes()) {
        axis->setTickLabelFont(tickFont);
        axis->setLabelFont(labelFont);
        axis->setBasePen(QPen(QColor("#808080")));
        axis->setTickPen(QPen(QColor("#808080")));
        axis->setSubTickPen(QPen(QColor("#b0b0b0")));
        axis->setTickLabelColor(QColor("#303030"));
        axis->setLabelColor(QColor("#202020"));
        axis->grid()->setPen(QPen(QColor("#e4e4e4"), 1, Qt::SolidLine));
        axis->grid()->setSubGridVisible(false);
        axis->grid()->setZeroLinePen(QPen(QColor("#b8b8b8")));
    }
}

void stylePlot(QCustomPlot* plot) {
    plot->setBackground(Qt::white);
    plot->setAntialiasedElements(QCP::aePlottables | QCP::aeItems);
    plot->setNotAntialiasedElements(QCP::aeGrid | QCP::aeAxes);
    plot->setNoAntialiasingOnDrag(true);
    plot->setPlottingHint(QCP::phCacheLabels, true);
    for (QCPAxisRect* rect : plot->axisRects()) styleAxisRect(rect);
    plot->legend->setFont(QFont(QStringLiteral("DejaVu Sans"), 8));
    plot->legend->setBrush(QColor(255, 255, 255, 220));
    plot->legend->setBorderPen(QPen(QColor("#c8c8c8")));
}

void placeLegend(QCustomPlot* plot, Qt::Alignment corner, bool horizontal) {
    plot->legend->setVisible(true);
    plot->axisRect()->insetLayout()->setInsetAlignment(0, corner);
    plot->legend->setFillOrder(horizontal ? QCPLegend::foColumnsFirst : QCPLegend::foRowsFirst);
    plot->legend->setBorderPen(QPen(QColor("#d0d0d0")));
    plot->legend->setBrush(QColor(255, 255, 255, 225));
    plot->legend->setMargins(QMargins(5, 2, 5, 2));
    plot->legend->setRowSpacing(0);
    plot->legend->setColumnSpacing(8);
    plot->legend->setIconSize(14, 9);
}

void placeLegendAbove(QCustomPlot* plot, int columns) {
    placeLegend(plot, Qt::AlignTop | Qt::AlignRight, true);
    plot->axisRect()->insetLayout()->take(plot->legend);
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, plot->legend);
    plot->plotLayout()->setRowStretchFactor(0, 0.001);
    plot->legend->setWrap(columns);
}

namespace {

QString abbreviate(QString s) {
    static const std::pair<const char*, const char*> kTokens[] = {
        {"feature_extractor.conv_layers.", "conv"},
        {"feature_extractor.", "fe."},
        {"encoder.transformer.layers.", "L"},
        {"transformer.layers.", "L"},
        {"encoder.layers.", "L"},
        {"encoder.transformer.", ""},
        {"encoder.", ""},
        {"attention.", "attn."},
        {"self_attn.", "attn."},
        {"feed_forward.intermediate_dense", "ff.in"},
        {"feed_forward.output_dense", "ff.out"},
        {"feed_forward.", "ff."},
        {"feature_projection.projection", "feat_proj"},
        {"pos_conv_embed.conv", "pos_conv"},
    };
    for (const auto& [from, to] : kTokens) s.replace(QLatin1String(from), QLatin1String(to));
    return s;
}

}  // namespace

QStringList shortLayerNames(const std::vector<std::string>& names) {
    QStringList out;
    if (names.empty()) return out;
    // The longest prefix ending in '.' that every name shares and that leaves something behind.
    std::string prefix = names.front();
    for (const std::string& n : names) {
        std::size_t k = 0;
        while (k < prefix.size() && k < n.size() && prefix[k] == n[k]) ++k;
        prefix.resize(k);
    }
    const std::size_t dot = prefix.rfind('.');
    prefix = dot == std::string::npos ? std::string() : prefix.substr(0, dot + 1);
    for (const std::string& n : names) {
        QString s = QString::fromStdString(n.size() > prefix.size() ? n.substr(prefix.size()) : n);
        s = abbreviate(s);
        if (s.endsWith(QLatin1String(".conv")) && s.startsWith(QLatin1String("conv")))
            s.chop(5);  // "conv0.conv" -> "conv0"
        out << (s.isEmpty() ? QString::fromStdString(n) : s);
    }
    return out;
}

void setLayerTicks(QCPAxis* axis, const QStringList& shortNames, int maxLabels) {
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    const int n = int(shortNames.size());
    const int every = std::max(1, int(std::ceil(double(n) / std::max(1, maxLabels))));
    for (int i = 0; i < n; i += every) ticker->addTick(i, shortNames[i]);
    axis->setTicker(ticker);
    axis->setTickLabelRotation(n > 8 ? 60 : 0);
    axis->setSubTicks(false);
    axis->grid()->setZeroLinePen(Qt::NoPen);  // layer 0 is no origin: no line through its bar
    axis->setRange(-0.7, std::max(0, n - 1) + 0.7);
}

QString formatMb(double mb) {
    if (!std::isfinite(mb)) return QStringLiteral("–");
    const int decimals = mb >= 100 ? 1 : mb >= 10 ? 2 : 3;
    return QStringLiteral("%1 MB").arg(mb, 0, 'f', decimals);
}

QString formatCount(long long n) {
    if (n >= 1000000) return QStringLiteral("%1 M").arg(double(n) / 1e6, 0, 'f', 2);
    if (n >= 10000) return QStringLiteral("%1 k").arg(double(n) / 1e3, 0, 'f', 1);
    return QString::number(n);
}

QString formatSeconds(double s) {
    if (!std::isfinite(s) || s < 0) return QStringLiteral("–");
    if (s < 60) return QStringLiteral("%1 s").arg(s, 0, 'f', s < 10 ? 1 : 0);
    const int total = int(std::lround(s));
    if (total < 3600) return QStringLiteral("%1 min %2 s").arg(total / 60).arg(total % 60);
    return QStringLiteral("%1 h %2 min").arg(total / 3600).arg((total % 3600) / 60);
}

}  // namespace qs::gui
