// Asks where to export the quantized model and with which calibration settings: the output folder
// (replaced as a whole, so only a new folder, an empty one or an earlier export is accepted), the
// weight and activation range methods, the activation bits (0: weights only, else 2..16) and the
// calibration clips per speaker. It shows what
// will be exported (the allocation) and on which audio it will be calibrated, and, for learned
// rounding (AdaRound, GPTQ), about how long that will take (from an estimator the window gives).
#pragma once

#include <QDialog>
#include <QString>
#include <functional>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace qs::gui {

struct ModelExportSettings {
    QString folder;
    int activationBits = 8;    // 0: weights only
    int calibrationClips = 8;  // per speaker
    QString weightCalibration = QStringLiteral("mse");      // mse, cosine, minmax, adaround or gptq (core's names)
    QString activationCalibration = QStringLiteral("mse");  // mse, percentile or minmax
    bool evaluate = true;      // then run float and quantized model on the calibration audio
    bool onnx = false;         // also model.onnx with integer weights and model.encodings
    int roundingIterations = 100;   // AdaRound: per layer (last, so that older brace-initialisers still fit)
};

class ModelExportDialog : public QDialog {
    Q_OBJECT
public:
    // allocationSummary and audioSummary are one line each, shown as they are.
    ModelExportDialog(const QString& allocationSummary, const QString& audioSummary, QWidget* parent = nullptr);

    ModelExportSettings settings() const;
    void setSettings(const ModelExportSettings& s);

    // Seconds learned rounding would take with these settings (negative: unknown), shown in the note.
    void setEstimator(std::function<double(const ModelExportSettings&)> estimator);

    // Why folder cannot take an export (empty when it can); *replaces says it holds an earlier one.
    static QString folderProblem(const QString& folder, bool* replaces = nullptr);

private:
    void browse();
    void validate();
    void onBitsChanged(int bits);

    QLineEdit* folder_ = nullptr;
    QComboBox* weightRanges_ = nullptr;
    QComboBox* activationRanges_ = nullptr;
    QComboBox* format_ = nullptr;
    QSpinBox* bits_ = nullptr;
    QSpinBox* clips_ = nullptr;
    QSpinBox* iterations_ = nullptr;
    std::function<double(const ModelExportSettings&)> estimator_;
    QCheckBox* evaluate_ = nullptr;
    QLabel* note_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;
    int lastBits_ = 8;
};

}  // namespace qs::gui
