// MainWindow: exporting the quantized model. The dialog asks where and how; ExportController does
// the work on the pool; this file only gathers the request and reports the outcome.
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QUrl>
#include <algorithm>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/export_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/studio_state.h"
#include "core/base/errors.h"
#include "core/quantize/range_methods.h"
#include "core/quantize/rounding_estimate.h"
#include "widgets/job_progress.h"
#include "widgets/plot_style.h"

namespace qs::gui {

namespace {

bool samePath(const QString& a, const QString& b) {
    if (a == b) return true;
    const QString ca = QFileInfo(a).canonicalFilePath(), cb = QFileInfo(b).canonicalFilePath();
    return !ca.isEmpty() && ca == cb;
}

}  // namespace

void MainWindow::connectExport() {
    connect(exporter_, &ExportController::started, this, [this](const QString& what) {
        job_->start(what);
        statusBar()->showMessage(what + QStringLiteral("…"));
        updateActions();
    });
    connect(exporter_, &ExportController::progress, job_, &JobProgress::setProgress);
    connect(exporter_, &ExportController::finished, this, &MainWindow::onExportFinished);
    connect(exporter_, &ExportController::cancelled, this, [this] {
        job_->finish();
        statusBar()->showMessage(tr("Export cancelled; nothing was written."), 10000);
        updateActions();
        checkIdle();
    });
    connect(exporter_, &ExportController::failed, this, [this](const QString& message) {
        job_->finish();
        showError(tr("Export failed: %1").arg(message));
        updateActions();
        checkIdle();
    });
}

QString MainWindow::calibrationFolder() const {
    const auto& analysis = state_->analysis();
    if (!analysis || analysis->audioRoot.empty()) return {};
    const QString root = QString::fromStdString(analysis->audioRoot);
    for (const AudioFolder& f : state_->audioFolders())
        if (samePath(f.path, root)) return f.path;
    return QFileInfo(root).isDir() ? root : QString();
}

QString MainWindow::allocationSummary() const {
    const Allocation& a = budget_->allocation();
    int quantized = 0, layers = 0;
    for (const LayerBits& l : a.layers) {
        ++layers;
        quantized += l.included && l.bits < 32;
    }
    return tr("speaker %1 · %2 of %3 as float (%4× smaller) · %5 bits on average · %6 of %7 layers quantized")
        .arg(QString::fromStdString(a.speaker), formatMb(a.sizeMb), formatMb(a.floatSizeMb))
        .arg(a.compressionRatio, 0, 'f', 1)
        .arg(a.averageBits, 0, 'f', 2)
        .arg(quantized)
        .arg(layers);
}

QString MainWindow::calibrationSummary() const {
    const QString folder = calibrationFolder();
    if (folder.isEmpty()) return tr("none: the analysed audio folder is not available, so only the weights can be quantized");
    const std::string speaker = budget_->allocation().speaker;
    const QString name = QFileInfo(folder).fileName();
    // Counts from the folder as loaded (the export rescans it at the model's rate when that differs).
    const AudioFolder* loaded = state_->audioFolder(folder);
    int speakers = 0, clips = 0;
    if (loaded && loaded->corpus)
        for (const Speaker& s : loaded->corpus->speakers())
            if (speaker == kAllSpeakers || s.name == speaker) {
                ++speakers;
                clips += int(s.clips.size());
            }
    if (speaker == kAllSpeakers)
        return loaded ? tr("every speaker of %1 (%2 speakers, %3 clips)").arg(name).arg(speakers).arg(clips)
                      : tr("every speaker of %1").arg(name);
    const QString who = QString::fromStdString(speaker);
    return loaded ? tr("speaker %1 of %2, the allocation's speaker (%3 clips)").arg(who, name).arg(clips)
                  : tr("speaker %1 of %2, the allocation's speaker").arg(who, name);
}

double MainWindow::roundingSeconds(const ModelExportSettings& settings) const {
    const Analysis* analysis = state_->analysis().get();
    if (!state_->model() || !analysis || !budget_->ready()) return -1.0;
    LearnedRoundingOptions o;
    try {
        o.method = parseWeightCalibration(settings.weightCalibration.toStdString()).rounding;
    } catch (const Error&) {
        return -1.0;
    }
    o.adaround.iterations = settings.roundingIterations;
    std::vector<int> bits;
    for (const LayerBits& l : budget_->allocation().layers) bits.push_back(l.bits);
    // One pass over the calibration clips: the analysis' time for its clips, scaled to their number.
    int analysed = 0, calibration = 0, everyone = 0;  // everyone: every analysed clip, as "all" counts them
    for (const SpeakerSummary& sp : analysis->speakers) {
        everyone += sp.clips;
        if (budget_->allocation().speaker != kAllSpeakers && sp.name != budget_->allocation().speaker) continue;
        analysed += sp.clips;
        calibration += std::min(sp.clips, settings.calibrationClips);
    }
    const double pass = analysed > 0 ? analysis->elapsedSeconds * double(calibration) / double(analysed) : 0.0;
    // Rows each layer's input offers per clip: its output positions in the analysis (elements seen
    // over all analysed clips / output channels / clips).
    const std::vector<LayerInfo>& layers = state_->model()->info().layers;
    std::vector<double> rowsPerClip(layers.size(), 0.0);
    for (std::size_t l = 0; l < layers.size() && l < analysis->layers.size() && everyone > 0; ++l) {
        const LayerAnalysis& la = analysis->layers[l];
        const auto all = la.stats.find(kAllSpeakers);
        if (la.info.name != layers[l].name || all == la.stats.end() || layers[l].shape.empty() || layers[l].shape[0] <= 0) continue;
        rowsPerClip[l] = double(all->second.count) / double(layers[l].shape[0]) / double(everyone);
    }
    return estimateRoundingSeconds(layers, bits, o, std::max(1, calibration), 0, pass, rowsPerClip);
}

bool MainWindow::exportModelTo(const ModelExportSettings& settings, QString* error) {
    QString problem;
    if (analysis_->isRunning()) {
        problem = tr("wait for the analysis to finish (or cancel it) before exporting");
    } else if (!state_->model()) {
        problem = tr("open the model before exporting it");
    } else if (!state_->analysis() || !budget_->ready() || budget_->allocation().layers.empty()) {
        problem = budget_->problem().isEmpty() ? tr("run an analysis and choose a budget before exporting") : budget_->problem();
    } else {
        problem = ModelExportDialog::folderProblem(settings.folder);
    }
    if (!problem.isEmpty()) {
        showError(tr("Export failed: %1").arg(problem));
        if (error) *error = lastError_;
        return false;
    }
    ExportRequest request;
    request.model = state_->model();
    request.analysis = state_->analysis();
    request.allocation = budget_->allocation();
    request.audioFolder = calibrationFolder();
    if (const AudioFolder* f = state_->audioFolder(request.audioFolder)) request.corpus = f->corpus;
    request.outDir = QDir::cleanPath(QFileInfo(settings.folder).absoluteFilePath());
    request.activationBits = settings.activationBits;
    request.calibrationClips = settings.calibrationClips;
    request.weightCalibration = settings.weightCalibration;
    request.onnx = settings.onnx;
    request.roundingIterations = settings.roundingIterations;
    request.activationCalibration = settings.activationCalibration;
    request.evaluate = settings.evaluate;
    request.maxMemory = maxMemory_;
    modelExport_ = settings;
    if (!exporter_->start(request)) {  // failed() has shown why
        if (error) *error = lastError_;
        return false;
    }
    return true;
}

void MainWindow::exportModelInteractive() {
    if (!actions_["exportModel"]->isEnabled()) return;
    ModelExportSettings s = modelExport_;
    // Suggest a new folder beside the last export: <model>-quantized[-<speaker>][-k].
    const QString parent = s.folder.isEmpty() ? QDir::homePath() : QFileInfo(s.folder).path();
    QString base = QFileInfo(state_->modelPath()).completeBaseName() + QStringLiteral("-quantized");
    if (budget_->allocation().speaker != kAllSpeakers) base += QLatin1Char('-') + QString::fromStdString(budget_->allocation().speaker);
    s.folder = QDir(parent).filePath(base);
    for (int k = 2; QFileInfo::exists(s.folder) && k < 1000; ++k) s.folder = QDir(parent).filePath(base + QStringLiteral("-%1").arg(k));

    ModelExportDialog dialog(allocationSummary(), calibrationSummary(), this);
    dialog.setSettings(s);
    dialog.setEstimator([this](const ModelExportSettings& settings) { return roundingSeconds(settings); });
    if (dialog.exec() != QDialog::Accepted) return;
    s = dialog.settings();
    bool replaces = false;
    ModelExportDialog::folderProblem(s.folder, &replaces);
    if (replaces && QMessageBox::question(this, tr("Replace the earlier export?"),
                                          tr("%1 holds an earlier export. Replace it once the new one is written?")
                                              .arg(QDir::toNativeSeparators(s.folder))) != QMessageBox::Yes)
        return;
    exportModelTo(s);
}

void MainWindow::cancelExport() {
    if (!exporter_->isRunning()) return;
    exporter_->cancel();
    statusBar()->showMessage(tr("Cancelling the export…"));
}

void MainWindow::onExportFinished(const ExportResult& r) {
    job_->finish();
    const QString path = QDir::toNativeSeparators(r.dir);
    QString message = tr("Exported the quantized model to %1: %2 on disk, %3 of %4 layers quantized, "
                         "calibrated on %5 clips, in %6")
                          .arg(path, formatMb(double(r.bytes) / (1024.0 * 1024.0)))
                          .arg(r.quantizedLayers)
                          .arg(r.layers)
                          .arg(r.calibrationClips)
                          .arg(formatSeconds(r.seconds));
    if (!r.skipped.isEmpty())
        message += tr("; %n clip(s) could not be decoded and were skipped (first: %1)", nullptr, int(r.skipped.size()))
                       .arg(r.skipped.front());
    const auto pct = [](double rate) { return QString::number(100.0 * rate, 'f', 1) + QLatin1Char('%'); };
    if (r.evaluated) {
        message += tr(". Quantized vs float on %1 %2: output SQNR %3 dB")
                       .arg(r.evaluatedClips)
                       .arg(r.onTestClips ? tr("test clips") : tr("clips the calibration did not use"))
                       .arg(r.sqnrDb, 0, 'f', 1);
        if (r.werVsFloat >= 0) message += tr(", WER against the float transcripts %1").arg(pct(r.werVsFloat));
        if (r.wer >= 0) message += tr(", WER %1 (float %2)").arg(pct(r.wer), pct(r.werFloat));
        message += tr(" (evaluation.json)");
    } else if (!r.evaluationProblem.isEmpty()) {
        message += tr(". Not evaluated: %1").arg(r.evaluationProblem);
    }
    statusBar()->showMessage(message, 20000);
    updateActions();
    if (interactive_ && isVisible()) {
        QMessageBox box(QMessageBox::Information, tr("Export done"), message, QMessageBox::Ok, this);
        QPushButton* open = box.addButton(tr("Open folder"), QMessageBox::ActionRole);
        box.exec();
        if (box.clickedButton() == open) QDesktopServices::openUrl(QUrl::fromLocalFile(r.dir));
    }
    checkIdle();
}

}  // namespace qs::gui
