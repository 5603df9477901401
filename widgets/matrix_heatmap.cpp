// The personalization matrix heatmap: QCPColorMap cells, tick labels for schemes and profiles, the
// own-profile cells outlined, values written in.
#include "widgets/matrix_heatmap.h"

#include <qcustomplot.h>

#include <cmath>
#include <limits>

#include "widgets/plot_style.h"

namespace qs::gui {

namespace {

constexpr int kMaxLabelledCells = 600;

// Blue is better, red worse, whichever way the measure runs.
QCPColorGradient gradient(bool lowerIsBetter) {
    QCPColorGradient g;
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setNanHandling(QCPColorGradient::nhTransparent);
    const QColor good("#2c7bb6"), middle("#ffffbf"), bad("#d7191c");
    g.setColorStopAt(0.0, lowerIsBetter ? good : bad);
    g.setColorStopAt(0.5, middle);
    g.setColorStopAt(1.0, lowerIsBetter ? bad : good);
    return g;
}

// A cell's value; short: one digit less, for narrow cells.
QString cellText(Measure m, double v, bool shortForm = false) {
    if (!std::isfinite(v)) return QStringLiteral("–");
    if (isRate(m)) return QString::number(100.0 * v, 'f', shortForm ? 0 : 1);
    if (m == Measure::SqnrDb) return QString::number(v, 'f', shortForm ? 0 : 1);
    return QString::number(v, 'g', shortForm ? 1 : 2);
}

QString measureTitle(Measure m) {
    switch (m) {
        case Measure::Wer: return QObject::tr("WER (%)");
        case Measure::Cer: return QObject::tr("CER (%)");
        case Measure::WerVsFloat: return QObject::tr("WER vs float (%)");
        case Measure::CerVsFloat: return QObject::tr("CER vs float (%)");
        case Measure::SqnrDb: return QObject::tr("SQNR (dB)");
        case Measure::Kl: return QObject::tr("KL");
    }
    return QString();
}

}  // namespace

MatrixHeatmap::MatrixHeatmap(QWidget* parent)
    : FigureView(QStringLiteral("personalization_matrix"), tr("Personalization matrix"), parent) {
    QCustomPlot* p = plot();
    map_ = new QCPColorMap(p->xAxis, p->yAxis);
    map_->setInterpolate(false);
    map_->setTightBoundary(false);  // whole cells at the edges: cell c spans c ± 0.5
    scale_ = new QCPColorScale(p);
    scale_->setType(QCPAxis::atRight);
    scale_->setBarWidth(10);
    p->plotLayout()->addElement(0, 1, scale_);
    map_->setColorScale(scale_);
    auto* margins = new QCPMarginGroup(p);
    p->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    scale_->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    p->yAxis->setRangeReversed(true);
    p->xAxis->setLabel(tr("test clips of profile\noutlined: own scheme, own clips"));
    p->yAxis->setLabel(tr("scheme (own: tuned on profile)"));
    p->xAxis->grid()->setVisible(false);
    p->yAxis->grid()->setVisible(false);
    for (QCPAxis* axis : {p->xAxis, p->yAxis}) {  // ticks outside: inside they cut into the cells' values
        axis->setTickLength(0, 3);
        axis->setSubTicks(false);
    }
    setToolTip(tr("Rows: the schemes (each profile's own, built from its tune clips; all profiles; uniform). Columns: "
                  "the test clips they ran on. Outlined: each profile's own scheme on its own test clips."));
    connect(p, &QCustomPlot::afterLayout, this, &MatrixHeatmap::fitCellText);
    clear();
}

void MatrixHeatmap::fitCellText() {
    if (texts_.isEmpty() || texts_.size() != int(values_.size())) return;
    QCustomPlot* p = plot();
    const double w = std::abs(p->xAxis->coordToPixel(1) - p->xAxis->coordToPixel(0));
    const double h = std::abs(p->yAxis->coordToPixel(1) - p->yAxis->coordToPixel(0));
    // The largest font that fits the widest value, with one digit less before giving up.
    for (bool shortForm : {false, true}) {
        QStringList texts;
        int widest = 0;
        for (double v : values_) texts << cellText(measure_, v, shortForm);
        for (int pt : {9, 8, 7}) {
            const QFont font(QStringLiteral("DejaVu Sans"), pt);
            const QFontMetrics fm(font);
            widest = 0;
            for (const QString& t : texts) widest = std::max(widest, fm.horizontalAdvance(t));
            if (widest + 4 > w || fm.height() + 2 > h) continue;
            for (int k = 0; k < texts_.size(); ++k) {
                texts_[k]->setText(texts[k]);
                texts_[k]->setFont(font);
                texts_[k]->setVisible(true);
            }
            return;
        }
    }
    for (QCPItemText* t : texts_) t->setVisible(false);
}

void MatrixHeatmap::clear() {
    result_.reset();
    index_ = -1;
    rows_ = columns_ = 0;
    values_.clear();
    texts_.clear();
    plot()->clearItems();
    map_->data()->clear();
    map_->setVisible(false);
    scale_->setVisible(false);
    setSubtitle(QString());
    setPlaceholder(plot()->axisRect(), tr("Run a comparison to see which scheme serves which profile"));
    plot()->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    plot()->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    plot()->xAxis->setRange(0, 1);
    plot()->yAxis->setRange(0, 1);
    replotLater();
}

double MatrixHeatmap::cellValue(int row, int column) const {
    if (row < 0 || column < 0 || row >= rows_ || column >= columns_) return std::numeric_limits<double>::quiet_NaN();
    return values_[std::size_t(row * columns_ + column)];
}

void MatrixHeatmap::setMatrix(std::shared_ptr<const PersonalizationResult> result, int index, Measure measure) {
    if (!result || index < 0 || index >= int(result->matrices.size())) {
        clear();
        return;
    }
    result_ = std::move(result);
    index_ = index;
    measure_ = measure;
    const PersonalizationResult& r = *result_;
    const PersonalizationMatrix& m = r.matrices[std::size_t(index)];
    const std::vector<std::string> columns = r.columns();
    rows_ = int(m.rows.size());
    columns_ = int(columns.size());
    values_.assign(std::size_t(rows_ * columns_), std::numeric_limits<double>::quiet_NaN());
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (int row = 0; row < rows_; ++row)
        for (int c = 0; c < columns_; ++c) {
            const double v = measureValue(measure, r.cell(m.rows[std::size_t(row)], std::size_t(c)));
            values_[std::size_t(row * columns_ + c)] = v;
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        }

    QCustomPlot* p = plot();
    p->clearItems();
    texts_.clear();
    setPlaceholder(p->axisRect(), QString());
    const double scale = isRate(measure) ? 100.0 : 1.0;
    map_->data()->setSize(columns_, rows_);
    map_->data()->setRange(QCPRange(0, columns_ - 1), QCPRange(0, rows_ - 1));
    for (int row = 0; row < rows_; ++row)
        for (int c = 0; c < columns_; ++c) map_->data()->setCell(c, row, scale * values_[std::size_t(row * columns_ + c)]);
    map_->setGradient(gradient(lowerIsBetter(measure)));
    if (!(lo <= hi)) lo = hi = 0;
    if (lo == hi) lo -= 1e-9, hi += 1e-9;
    map_->setDataRange(QCPRange(scale * lo, scale * hi));
    map_->setVisible(true);
    scale_->setVisible(true);
    scale_->axis()->setLabel(measureTitle(measure));

    auto rowTicks = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    // An own scheme is named by its profile alone (the axis says "tuned on"), so the cells keep the room.
    for (int row = 0; row < rows_; ++row) {
        const Scheme& s = r.schemes[std::size_t(m.rows[std::size_t(row)])];
        rowTicks->addTick(row, QString::fromStdString(s.kind == "own" ? s.profile : s.label()));
    }
    auto columnTicks = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    for (int c = 0; c < columns_; ++c) columnTicks->addTick(c, QString::fromStdString(columns[std::size_t(c)]));
    p->yAxis->setTicker(rowTicks);
    p->xAxis->setTicker(columnTicks);
    p->xAxis->setTickLabelRotation(columns_ > 4 ? 90 : 0);  // upright names never overlap
    p->xAxis->setRange(-0.5, columns_ - 0.5);
    p->yAxis->setRange(-0.5, rows_ - 0.5);

    // Each profile's own scheme on its own test clips.
    for (int row = 0; row < rows_; ++row) {
        const Scheme& s = r.schemes[std::size_t(m.rows[std::size_t(row)])];
        if (s.kind != "own") continue;
        for (int c = 0; c + 1 < columns_; ++c) {
            if (columns[std::size_t(c)] != s.profile) continue;
            auto* box = new QCPItemRect(p);
            box->topLeft->setCoords(c - 0.5, row - 0.5);
            box->bottomRight->setCoords(c + 0.5, row + 0.5);
            box->setPen(QPen(QColor("#202020"), 2));
            box->setBrush(Qt::NoBrush);
            box->setSelectable(false);
        }
    }
    // Values in the cells, at the largest size that fits them (fitCellText, after each layout).
    if (rows_ * columns_ <= kMaxLabelledCells) {
        for (int row = 0; row < rows_; ++row)
            for (int c = 0; c < columns_; ++c) {
                auto* t = new QCPItemText(p);
                t->position->setCoords(c, row);
                t->setText(cellText(measure, values_[std::size_t(row * columns_ + c)]));
                t->setColor(QColor("#202020"));
                t->setSelectable(false);
                t->setClipToAxisRect(true);
                texts_ << t;
            }
    }
    setSubtitle(tr("%1 bits (%2), spread %3 · %4, %5 is better")
                    .arg(m.targetBits, 0, 'f', 2)
                    .arg(formatMb(m.targetMb))
                    .arg(m.spread)
                    .arg(measureTitle(measure), lowerIsBetter(measure) ? tr("lower") : tr("higher")));
    replotLater();
}

}  // namespace qs::gui
