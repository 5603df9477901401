// The model export dialog: output folder, range methods, activation bits, calibration clips.
#include "widgets/model_export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <algorithm>
#include <cmath>

namespace qs::gui {
namespace {

// 40 -> "40 s", 150 -> "3 min", 5400 -> "1 h 30 min": an estimate, so rounded.
QString formatDuration(double seconds) {
    if (seconds < 60) return QObject::tr("%1 s").arg(std::max(1, int(std::lround(seconds / 5.0) * 5)));
    const int minutes = int(std::lround(seconds / 60.0));
    if (minutes < 60) return QObject::tr("%1 min").arg(minutes);
    return QObject::tr("%1 h %2 min").arg(minutes / 60).arg(minutes % 60);
}

}  // namespace

ModelExportDialog::ModelExportDialog(const QString& allocationSummary, const QString& audioSummary, QWidget* parent)
    : QDialog(parent) {
    setObjectName(QStringLiteral("modelExportDialog"));
    setWindowTitle(tr("Export quantized model"));
    auto* form = new QFormLayout(this);

    auto* what = new QLabel(allocationSummary, this);
    what->setObjectName(QStringLiteral("exportAllocation"));
    what->setWordWrap(true);
    form->addRow(tr("Allocation"), what);
    auto* audio = new QLabel(audioSummary, this);
    audio->setObjectName(QStringLiteral("exportAudio"));
    audio->setWordWrap(true);
    form->addRow(tr("Calibration audio"), audio);

    folder_ = new QLineEdit(this);
    folder_->setObjectName(QStringLiteral("exportFolder"));
    folder_->setMinimumWidth(380);
    folder_->setToolTip(tr("model.pt, weights.safetensors, encodings.json and report.csv are written into this folder"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* row = new QHBoxLayout;
    row->addWidget(folder_, 1);
    row->addWidget(browse);
    form->addRow(tr("Output folder"), row);

    weightRanges_ = new QComboBox(this);
    weightRanges_->setObjectName(QStringLiteral("exportWeightCalibration"));
    weightRanges_->addItem(tr("MSE search (per channel)"), QStringLiteral("mse"));
    weightRanges_->addItem(tr("Output cosine search (per channel, uses audio)"), QStringLiteral("cosine"));
    weightRanges_->addItem(tr("Min-max (per channel)"), QStringLiteral("minmax"));
    weightRanges_->addItem(tr("AdaRound: MSE search, rounding learned on the audio"), QStringLiteral("adaround"));
    weightRanges_->addItem(tr("GPTQ: MSE search, rounding learned on the audio"), QStringLiteral("gptq"));
    weightRanges_->setToolTip(tr("How each weight quantizer's clipping range is chosen: among candidates in "
                                 "[0.01, 1.2] × max|w|, the one with the smallest weight error, or the best cosine "
                                 "similarity of the layer's output on the calibration clips; or the plain max|w|. "
                                 "AdaRound and GPTQ then decide, layer by layer, whether each weight rounds up or "
                                 "down so that the layer's output on the calibration clips stays closest to the "
                                 "float one (slower; on the demo model this lowers every layer's error but not "
                                 "the WER: measure it on your own held-out clips)"));
    form->addRow(tr("Weight ranges"), weightRanges_);

    iterations_ = new QSpinBox(this);
    iterations_->setObjectName(QStringLiteral("exportRoundingIterations"));
    iterations_->setRange(0, 100000);
    iterations_->setSingleStep(50);
    iterations_->setSuffix(tr(" iterations per layer"));
    iterations_->setToolTip(tr("AdaRound's optimisation steps per layer: more is slower, and on the demo model more "
                               "than 100 made the held-out WER worse; 0 is nearest rounding"));
    form->addRow(tr("AdaRound"), iterations_);

    bits_ = new QSpinBox(this);
    bits_->setObjectName(QStringLiteral("exportActivationBits"));
    bits_->setRange(0, 16);
    bits_->setSpecialValueText(tr("off (weights only)"));
    bits_->setSuffix(tr(" bits"));
    bits_->setToolTip(tr("Fake-quantize each quantized layer's input to this many bits (asymmetric, per tensor), "
                         "with ranges from the calibration clips; off keeps activations in float"));
    form->addRow(tr("Activations"), bits_);

    activationRanges_ = new QComboBox(this);
    activationRanges_->setObjectName(QStringLiteral("exportActivationCalibration"));
    activationRanges_->addItem(tr("MSE search"), QStringLiteral("mse"));
    activationRanges_->addItem(tr("Percentile (99.99)"), QStringLiteral("percentile"));
    activationRanges_->addItem(tr("Min-max"), QStringLiteral("minmax"));
    activationRanges_->setToolTip(tr("How each layer input's range is chosen on the calibration clips; layers whose "
                                     "input channels carry outliers are quantized per embedding group"));
    form->addRow(tr("Activation ranges"), activationRanges_);

    clips_ = new QSpinBox(this);
    clips_->setObjectName(QStringLiteral("exportCalibrationClips"));
    clips_->setRange(1, 100000);
    clips_->setSuffix(tr(" per speaker"));
    clips_->setToolTip(tr("Clips of each calibration speaker the activation ranges are measured on"));
    form->addRow(tr("Calibration clips"), clips_);

    format_ = new QComboBox(this);
    format_->setObjectName(QStringLiteral("exportFormat"));
    format_->addItem(tr("TorchScript (model.pt) and packed weights"), false);
    format_->addItem(tr("… and ONNX with integer weights (model.onnx)"), true);
    format_->setToolTip(tr("ONNX adds model.onnx, which ONNX Runtime runs: weights of 5–8-bit layers as INT8, "
                           "2–4-bit layers as INT4 (opset 21), activations as QuantizeLinear/DequantizeLinear; "
                           "and model.encodings, AIMET-style encodings keyed by its tensor names. Needs "
                           "/usr/bin/python3 with torch and onnx."));
    form->addRow(tr("Format"), format_);

    evaluate_ = new QCheckBox(tr("Then compare it with the float model on the speakers' held-out clips"), this);
    evaluate_->setObjectName(QStringLiteral("exportEvaluate"));
    evaluate_->setToolTip(tr("Runs both models on the test clips of the split (without a split: on the clips the "
                             "calibration did not read; quality is never measured on calibration clips): output SQNR "
                             "and KL, and with "
                             "CTC labels the WER of the quantized transcripts against the float ones (and against "
                             "reference transcripts when the folder has them). Written to evaluation.json and "
                             "report.csv in the export folder."));
    form->addRow(tr("Evaluation"), evaluate_);

    note_ = new QLabel(this);
    note_->setObjectName(QStringLiteral("exportNote"));
    note_->setWordWrap(true);
    form->addRow(QString(), note_);

    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons_->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    form->addRow(buttons_);

    connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(browse, &QPushButton::clicked, this, &ModelExportDialog::browse);
    connect(folder_, &QLineEdit::textChanged, this, &ModelExportDialog::validate);
    connect(bits_, &QSpinBox::valueChanged, this, &ModelExportDialog::onBitsChanged);
    connect(format_, &QComboBox::currentIndexChanged, this, &ModelExportDialog::validate);
    connect(weightRanges_, &QComboBox::currentIndexChanged, this, &ModelExportDialog::validate);
    connect(iterations_, &QSpinBox::valueChanged, this, &ModelExportDialog::validate);
    connect(clips_, &QSpinBox::valueChanged, this, &ModelExportDialog::validate);
    setSettings({});
}

ModelExportSettings ModelExportDialog::settings() const {
    ModelExportSettings s;
    const QString text = folder_->text().trimmed();
    s.folder = text.isEmpty() ? QString() : QDir::cleanPath(QFileInfo(text).absoluteFilePath());
    s.activationBits = bits_->value();
    s.calibrationClips = clips_->value();
    s.weightCalibration = weightRanges_->currentData().toString();
    s.roundingIterations = iterations_->value();
    s.activationCalibration = activationRanges_->currentData().toString();
    s.evaluate = evaluate_->isChecked();
    s.onnx = format_->currentData().toBool();
    return s;
}

void ModelExportDialog::setSettings(const ModelExportSettings& s) {
    folder_->setText(QDir::toNativeSeparators(s.folder));
    lastBits_ = s.activationBits == 1 ? 2 : s.activationBits;
    bits_->setValue(lastBits_);
    clips_->setValue(s.calibrationClips);
    iterations_->setValue(s.roundingIterations);
    auto choose = [](QComboBox* box, const QString& value) {
        const int i = box->findData(value);
        box->setCurrentIndex(i < 0 ? 0 : i);  // an unknown stored name falls back to the default
    };
    choose(weightRanges_, s.weightCalibration);
    choose(activationRanges_, s.activationCalibration);
    evaluate_->setChecked(s.evaluate);
    format_->setCurrentIndex(s.onnx ? 1 : 0);
    validate();
}

QString ModelExportDialog::folderProblem(const QString& folder, bool* replaces) {
    if (replaces) *replaces = false;
    if (folder.trimmed().isEmpty()) return tr("Choose an output folder.");
    const QFileInfo info(folder);
    if (!info.exists()) return {};
    if (!info.isDir()) return tr("%1 is a file, not a folder.").arg(QDir::toNativeSeparators(folder));
    const QDir dir(folder);
    if (dir.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)) return {};
    // The export replaces the folder as a whole: only an earlier export may be replaced.
    if (dir.exists(QStringLiteral("encodings.json")) && dir.exists(QStringLiteral("model.pt"))) {
        if (replaces) *replaces = true;
        return {};
    }
    return tr("%1 already holds other files; the export replaces its folder as a whole, so choose a new or empty one.")
        .arg(QDir::toNativeSeparators(folder));
}

void ModelExportDialog::setEstimator(std::function<double(const ModelExportSettings&)> estimator) {
    estimator_ = std::move(estimator);
    validate();
}

void ModelExportDialog::browse() {
    const QString start = folder_->text().isEmpty() ? QDir::homePath() : QFileInfo(folder_->text()).path();
    const QString chosen = QFileDialog::getExistingDirectory(this, tr("Export the quantized model into"), start);
    if (!chosen.isEmpty()) folder_->setText(QDir::toNativeSeparators(chosen));
}

void ModelExportDialog::onBitsChanged(int bits) {
    // 1-bit activations are not offered: stepping over 1 goes from off to 2 bits and back.
    if (bits == 1) {
        const QSignalBlocker block(bits_);
        bits_->setValue(lastBits_ == 0 ? 2 : 0);
    }
    lastBits_ = bits_->value();
    validate();
}

void ModelExportDialog::validate() {
    bool replaces = false;
    QString problem = folderProblem(settings().folder, &replaces);
    if (problem.isEmpty() && format_->currentData().toBool() && bits_->value() > 8)
        problem = tr("ONNX export takes activations of 2 to 8 bits (or off).");
    QString note;
    if (!problem.isEmpty()) {
        note = QStringLiteral("<span style='color:#b03030'>%1</span>").arg(problem.toHtmlEscaped());
    } else if (replaces) {
        note = QStringLiteral("<span style='color:#9a6700'>%1</span>")
                   .arg(tr("This folder holds an earlier export: it will be replaced once the new one is complete.")
                            .toHtmlEscaped());
    } else {
        note = (format_->currentData().toBool()
                    ? tr("Writes model.pt, model.onnx, weights.safetensors, encodings.json, model.encodings and "
                         "report.csv; nothing is left behind if the export fails or is cancelled.")
                    : tr("Writes model.pt, weights.safetensors, encodings.json and report.csv; nothing is left behind "
                         "if the export fails or is cancelled."))
                   .toHtmlEscaped();
    }
    activationRanges_->setEnabled(bits_->value() > 0);
    if (bits_->value() == 0) note += QStringLiteral("<br>") + tr("Activations stay in float.").toHtmlEscaped();
    const QString method = weightRanges_->currentData().toString();
    iterations_->setEnabled(method == QLatin1String("adaround"));
    if (method == QLatin1String("adaround") || method == QLatin1String("gptq")) {
        const double seconds = estimator_ ? estimator_(settings()) : -1.0;
        const QString name = method == QLatin1String("adaround") ? tr("AdaRound") : tr("GPTQ");
        note += QStringLiteral("<br>") +
                (seconds >= 0 ? tr("%1 learns each layer's rounding on the calibration clips: about %2 on this machine.")
                                    .arg(name, formatDuration(seconds))
                              : tr("%1 learns each layer's rounding on the calibration clips.").arg(name))
                    .toHtmlEscaped();
    }
    note_->setText(note);
    buttons_->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty());
}

}  // namespace qs::gui
