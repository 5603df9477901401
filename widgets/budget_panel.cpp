// The budget strip: metric, order, floor, speaker, and the MB slider with its spin box.
#include "widgets/budget_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QStandardItemModel>
#include <algorithm>
#include <cmath>

#include "core/allocation/sensitivity.h"
#include "widgets/plot_style.h"

namespace qs::gui {

QString BudgetPanel::metricLabel(const QString& name) {
    if (name == QLatin1String("median")) return tr("median |y|");
    if (name == QLatin1String("mean")) return tr("mean |y|");
    if (name == QLatin1String("max")) return tr("max y");
    if (name == QLatin1String("abs_max")) return tr("max |y|");
    if (name == QLatin1String("std")) return tr("std |y|");
    if (name == QLatin1String("var")) return tr("var |y|");
    if (name == QLatin1String("kl")) return tr("KL of outputs");
    if (name == QLatin1String("l1")) return tr("L1 of outputs");
    if (name == QLatin1String("l2")) return tr("L2 of outputs");
    if (name == QLatin1String("cosine")) return tr("cosine distance");
    if (name == QLatin1String("sqnr")) return tr("−SQNR (dB)");
    return name;
}

BudgetPanel::BudgetPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("budgetPanel"));
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(8, 6, 8, 4);
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(4);

    metric_ = new QComboBox(this);
    metric_->setObjectName(QStringLiteral("metric"));
    for (const std::string& m : qs::metricNames())
        metric_->addItem(metricLabel(QString::fromStdString(m)), QString::fromStdString(m));
    setDistanceMetricsAvailable(false);
    metric_->setToolTip(tr("The statistic of each layer's activations that scores its sensitivity"));
    order_ = new QComboBox(this);
    order_->setObjectName(QStringLiteral("order"));
    order_->addItem(tr("largest score loses bits first"), QStringLiteral("descending"));
    order_->addItem(tr("smallest score loses bits first"), QStringLiteral("ascending"));
    minBits_ = new QSpinBox(this);
    minBits_->setObjectName(QStringLiteral("minBits"));
    minBits_->setRange(1, 31);
    minBits_->setValue(2);
    minBits_->setPrefix(tr("floor "));
    minBits_->setSuffix(tr(" bits"));
    fitFiles_ = new QCheckBox(tr("fit the files"), this);
    fitFiles_->setObjectName(QStringLiteral("fitFiles"));
    fitFiles_->setToolTip(tr("Budget what the export writes, not myQASR's size model: each layer's scales and zero "
                             "points at per-channel granularity, and ONNX's storage widths (2–4-bit layers take 4 bits, "
                             "5–8-bit layers 8). weights.safetensors and model.onnx's weights then come in under the "
                             "budget."));
    spread_ = new QSpinBox(this);
    spread_->setObjectName(QStringLiteral("spread"));
    spread_->setRange(1, 31);
    spread_->setValue(1);
    spread_->setPrefix(tr("spread "));
    spread_->setSuffix(tr(" bit"));
    spread_->setToolTip(tr("Relaxed uniformity: every layer stays within this many bits of the most precise one. "
                           "1 is myQASR's Algorithm 1 (all layers within one bit); more lets the scores move bits further"));
    speaker_ = new QComboBox(this);
    speaker_->setObjectName(QStringLiteral("speaker"));
    speaker_->setMinimumContentsLength(10);
    speaker_->setToolTip(tr("Whose statistics the allocation follows: a speaker, a speaker group, or \"all\" "
                            "pooling every speaker"));

    auto* settings = new QHBoxLayout;
    settings->setSpacing(6);
    settings->addWidget(new QLabel(tr("Metric"), this));
    settings->addWidget(metric_);
    settings->addWidget(order_);
    settings->addWidget(minBits_);
    settings->addWidget(fitFiles_);
    settings->addWidget(spread_);
    settings->addSpacing(8);
    settings->addWidget(new QLabel(tr("Speaker"), this));
    settings->addWidget(speaker_);
    settings->addStretch(1);
    problem_ = new QLabel(this);
    problem_->setStyleSheet(QStringLiteral("color: #b00020;"));
    problem_->setVisible(false);
    settings->addWidget(problem_);
    grid->addLayout(settings, 0, 0, 1, 3);

    auto* budgetLabel = new QLabel(tr("<b>Budget</b>"), this);
    slider_ = new QSlider(Qt::Horizontal, this);
    slider_->setObjectName(QStringLiteral("budgetSlider"));
    slider_->setRange(0, kSliderSteps);
    slider_->setPageStep(kSliderSteps / 20);
    slider_->setMinimumWidth(260);
    slider_->setToolTip(tr("Memory budget: the allocation is the first state of the chain strictly below it"));
    spin_ = new QDoubleSpinBox(this);
    spin_->setObjectName(QStringLiteral("budgetSpin"));
    spin_->setDecimals(4);
    spin_->setSuffix(tr(" MB"));
    spin_->setKeyboardTracking(false);
    spin_->setMinimumWidth(110);
    auto* sliderRow = new QHBoxLayout;
    sliderRow->addWidget(budgetLabel);
    sliderRow->addWidget(slider_, 1);
    sliderRow->addWidget(spin_);
    grid->addLayout(sliderRow, 1, 0);

    auto* readouts = new QHBoxLayout;
    readouts->setSpacing(14);
    size_ = new QLabel(this);
    bits_ = new QLabel(this);
    ratio_ = new QLabel(this);
    size_->setObjectName(QStringLiteral("sizeReadout"));
    bits_->setObjectName(QStringLiteral("bitsReadout"));
    ratio_->setObjectName(QStringLiteral("ratioReadout"));
    for (QLabel* l : {size_, bits_, ratio_}) {
        l->setTextFormat(Qt::RichText);
        readouts->addWidget(l);
    }
    grid->addLayout(readouts, 1, 1);
    grid->setColumnStretch(0, 1);

    auto changed = [this] { emit settingsChanged(); };
    connect(metric_, &QComboBox::currentIndexChanged, this, changed);
    connect(order_, &QComboBox::currentIndexChanged, this, changed);
    connect(minBits_, &QSpinBox::valueChanged, this, changed);
    connect(fitFiles_, &QCheckBox::toggled, this, changed);
    connect(spread_, &QSpinBox::valueChanged, this, changed);
    connect(speaker_, &QComboBox::currentIndexChanged, this, changed);
    connect(slider_, &QSlider::valueChanged, this, &BudgetPanel::onSlider);
    connect(spin_, &QDoubleSpinBox::valueChanged, this, &BudgetPanel::onSpin);
    setRange(0, 0);
    setReadout(NAN, NAN, NAN, NAN);
}

QString BudgetPanel::metric() const { return metric_->currentData().toString(); }
void BudgetPanel::setMetric(const QString& name) {
    const int i = metric_->findData(name);
    if (i >= 0) metric_->setCurrentIndex(i);
}
void BudgetPanel::setDistanceMetricsAvailable(bool on) {
    auto* model = qobject_cast<QStandardItemModel*>(metric_->model());
    for (int i = 0; model && i < metric_->count(); ++i) {
        const bool statistic = qs::isStatistic(qs::parseMetric(metric_->itemData(i).toString().toStdString()));
        QStandardItem* item = model->item(i);
        item->setEnabled(statistic || on);
        item->setToolTip(statistic || on ? QString()
                                         : tr("needs distance passes, which this analysis does not have"));
    }
    if (!on && !qs::isStatistic(qs::parseMetric(metric().toStdString()))) setMetric(QStringLiteral("median"));
}

QString BudgetPanel::order() const { return order_->currentData().toString(); }
void BudgetPanel::setOrder(const QString& name) {
    const int i = order_->findData(name);
    if (i >= 0) order_->setCurrentIndex(i);
}
int BudgetPanel::minBits() const { return minBits_->value(); }
bool BudgetPanel::fitFiles() const { return fitFiles_->isChecked(); }
void BudgetPanel::setFitFiles(bool on) { fitFiles_->setChecked(on); }
void BudgetPanel::setMinBits(int bits) { minBits_->setValue(bits); }
int BudgetPanel::spread() const { return spread_->value(); }
void BudgetPanel::setSpread(int bits) { spread_->setValue(bits); }
QString BudgetPanel::speaker() const { return speaker_->currentText(); }

void BudgetPanel::setSpeakers(const QStringList& speakers) {
    const QString current = speaker();
    {
        QSignalBlocker block(speaker_);
        speaker_->clear();
        speaker_->addItems(speakers);
        speaker_->setCurrentIndex(std::max<int>(0, int(speakers.indexOf(current))));
    }
    if (speaker() != current) emit settingsChanged();
}

void BudgetPanel::setSpeaker(const QString& name) {
    const int i = speaker_->findText(name);
    if (i >= 0) speaker_->setCurrentIndex(i);
}

void BudgetPanel::setRange(double minMb, double floatMb) {
    min_ = minMb;
    max_ = floatMb;
    const bool ok = floatMb > 0 && floatMb > minMb;
    slider_->setEnabled(ok);
    spin_->setEnabled(ok);
    QSignalBlocker block(spin_);
    if (ok) {
        spin_->setRange(std::ceil((minMb + 1e-9) * 1e4) / 1e4, std::ceil(floatMb * 1e4) / 1e4);
        spin_->setSingleStep(std::max(1e-4, (floatMb - minMb) / 100));
    } else {
        spin_->setRange(0, 0);
    }
}

double BudgetPanel::targetAt(int position) const {
    if (max_ <= min_) return max_;
    if (position <= 0) return std::nextafter(min_, HUGE_VAL);
    return min_ + (max_ - min_) * double(std::min(position, kSliderSteps)) / kSliderSteps;
}

int BudgetPanel::sliderPosition(double mb) const {
    if (max_ <= min_) return 0;
    return std::clamp(int(std::lround((mb - min_) / (max_ - min_) * kSliderSteps)), 0, kSliderSteps);
}

void BudgetPanel::setTarget(double mb) {
    target_ = mb;
    QSignalBlocker a(slider_), b(spin_);
    slider_->setValue(sliderPosition(mb));
    spin_->setValue(mb);
}

void BudgetPanel::onSlider(int position) {
    target_ = targetAt(position);
    {
        QSignalBlocker block(spin_);
        spin_->setValue(target_);
    }
    emit targetChanged(target_);
}

void BudgetPanel::onSpin(double mb) {
    target_ = std::max(mb, std::nextafter(min_, HUGE_VAL));
    {
        QSignalBlocker block(slider_);
        slider_->setValue(sliderPosition(target_));
    }
    emit targetChanged(target_);
}

void BudgetPanel::setReadout(double sizeMb, double floatMb, double averageBits, double ratio, double filesMb) {
    if (!std::isfinite(sizeMb)) {
        size_->setText(tr("Size <b>–</b>"));
        bits_->setText(tr("Average <b>–</b>"));
        ratio_->setText(tr("Compression <b>–</b>"));
        return;
    }
    size_->setText(std::isfinite(filesMb)
                       ? tr("Files <b>≤ %1</b> (size model %2) of %3").arg(formatMb(filesMb), formatMb(sizeMb), formatMb(floatMb))
                       : tr("Size <b>%1</b> of %2").arg(formatMb(sizeMb), formatMb(floatMb)));
    bits_->setText(tr("Average <b>%1 bits</b>").arg(averageBits, 0, 'f', 2));
    ratio_->setText(tr("Compression <b>%1×</b>").arg(ratio, 0, 'f', 2));
}

void BudgetPanel::setProblem(const QString& message) {
    problem_->setText(message);
    problem_->setVisible(!message.isEmpty());
}

}  // namespace qs::gui
