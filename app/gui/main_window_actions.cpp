// MainWindow: actions, menus, file dialogs, drag and drop, and the remembered window layout.
#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/export_controller.h"
#include "app/gui/file_loader.h"
#include "app/gui/main_window.h"
#include "app/gui/recent_files.h"
#include "app/gui/studio_state.h"
#include "core/allocation/allocation_io.h"
#include "core/base/errors.h"
#include "core/base/system_memory.h"
#include "widgets/audio_panel.h"
#include "widgets/figure_export_dialog.h"
#include "widgets/icons.h"
#include "widgets/personalization_view.h"
#include "widgets/scoring_view.h"

namespace qs::gui {

void MainWindow::createActions() {
    auto add = [this](const QString& id, const QString& text, const QKeySequence& keys, auto slot,
                      const QIcon& ic = {}) {
        auto* a = new QAction(ic, text, this);
        a->setObjectName(id);
        if (!keys.isEmpty()) {
            a->setShortcut(keys);
            a->setToolTip(QStringLiteral("%1 (%2)").arg(QString(text).remove(QLatin1Char('&')).remove(QStringLiteral("…")),
                                                        keys.toString(QKeySequence::NativeText)));
        }
        connect(a, &QAction::triggered, this, slot);
        addAction(a);  // shortcuts work even when the menu bar is hidden
        actions_[id] = a;
        return a;
    };
    add("openModel", tr("&Open model…"), QKeySequence(Qt::CTRL | Qt::Key_O), [this] { chooseModel(); },
        icon(IconKind::OpenModel));
    add("addAudio", tr("&Add audio folder…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O),
        [this] { chooseAudioFolder(); }, icon(IconKind::AddAudio));
    add("analyze", tr("&Analyze"), QKeySequence(Qt::CTRL | Qt::Key_R), [this] { startAnalysis(); },
        icon(IconKind::Analyze));
    add("cancel", tr("&Cancel"), QKeySequence(Qt::Key_Escape),
        [this] {
            cancelAnalysis();
            cancelExport();
            cancelPersonalization();
        },
        icon(IconKind::Cancel));
    add("exportFigure", tr("&Export figure…"), QKeySequence(Qt::CTRL | Qt::Key_E),
        [this] { exportCurrentFigureInteractive(); }, icon(IconKind::Export));
    add("exportAll", tr("Export &all figures…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
        [this] { exportAllInteractive(); });
    add("saveSession", tr("&Save session"), QKeySequence(Qt::CTRL | Qt::Key_S), [this] { saveSessionInteractive(false); },
        icon(IconKind::SaveSession));
    add("saveSessionAs", tr("Save session &as…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S),
        [this] { saveSessionInteractive(true); });
    add("openSession", tr("Open &session…"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_O),
        [this] { chooseSessionToOpen(); }, icon(IconKind::OpenSession));
    add("openComparison", tr("Open &comparison results…"), QKeySequence(), [this] { chooseComparisonToOpen(); });
    add("saveAllocation", tr("Save a&llocation…"), QKeySequence(), [this] { saveAllocationInteractive(); });
    add("saveAnalysis", tr("Save a&nalysis…"), QKeySequence(), [this] { saveAnalysisInteractive(); });
    add("exportModel", tr("Export &quantized model…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_X),
        [this] { exportModelInteractive(); }, icon(IconKind::ExportModel));
    add("quit", tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q), [this] { close(); });
    QAction* distances = add("distances", tr("Also compute &distance scores (slower)"), QKeySequence(), [] {});
    distances->setCheckable(true);
    distances->setStatusTip(tr("Quantize each layer alone to 8 bits on 4 clips per speaker and measure how the output "
                               "moves: enables the KL, L1, L2, cosine and SQNR metrics"));
    actions_["analyze"]->setStatusTip(tr("Analyse the checked speakers' audio with the open model"));
    actions_["cancel"]->setShortcutContext(Qt::WindowShortcut);
    actions_["exportModel"]->setStatusTip(tr("Calibrate the current budget's allocation on the analysed audio and write "
                                             "model.pt, weights.safetensors, encodings.json and report.csv"));

    auto* tools = addToolBar(tr("Main"));
    tools->setObjectName(QStringLiteral("mainToolbar"));
    tools->setMovable(false);
    tools->setIconSize(QSize(22, 22));
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    for (const char* id : {"openModel", "addAudio", "analyze", "cancel"}) tools->addAction(actions_[id]);
    tools->addSeparator();
    for (const char* id : {"exportModel", "exportFigure", "saveSession"}) tools->addAction(actions_[id]);

    connect(recent_, &RecentFiles::chosen, this, [this](RecentFiles::Kind kind, const QString& path) {
        if (kind == RecentFiles::Kind::Model) openModel(path);
        if (kind == RecentFiles::Kind::Audio) addAudioFolder(path);
        if (kind == RecentFiles::Kind::Session) {
            QString error;
            if (!openSessionFrom(path, &error)) showError(error);
        }
    });
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(actions_["openModel"]);
    recentModels_ = file->addMenu(tr("Recent models"));
    file->addAction(actions_["addAudio"]);
    recentAudio_ = file->addMenu(tr("Recent audio folders"));
    file->addSeparator();
    file->addAction(actions_["openSession"]);
    recentSessions_ = file->addMenu(tr("Recent sessions"));
    file->addAction(actions_["openComparison"]);
    file->addAction(actions_["saveSession"]);
    file->addAction(actions_["saveSessionAs"]);
    file->addSeparator();
    file->addAction(actions_["exportModel"]);
    file->addSeparator();
    file->addAction(actions_["exportFigure"]);
    QMenu* figuresMenu = file->addMenu(tr("Export figure"));
    for (FigureView* view : figures())
        figuresMenu->addAction(view->title() + QStringLiteral("…"), this, [this, view] { exportFigureInteractive(view); });
    file->addAction(actions_["exportAll"]);
    file->addAction(actions_["saveAllocation"]);
    file->addAction(actions_["saveAnalysis"]);
    file->addSeparator();
    file->addAction(actions_["quit"]);
    connect(file, &QMenu::aboutToShow, this, [this] {
        recent_->fillMenu(recentModels_, RecentFiles::Kind::Model);
        recent_->fillMenu(recentAudio_, RecentFiles::Kind::Audio);
        recent_->fillMenu(recentSessions_, RecentFiles::Kind::Session);
    });

    QMenu* run = menuBar()->addMenu(tr("&Analysis"));
    run->addAction(actions_["analyze"]);
    run->addAction(actions_["cancel"]);
    run->addSeparator();
    run->addAction(actions_["distances"]);
    QMenu* clips = run->addMenu(tr("Clips per speaker"));
    auto* clipGroup = new QActionGroup(clips);
    for (int n : {0, 8, 16, 32, 64}) {
        QAction* a = clips->addAction(n == 0 ? tr("All clips") : tr("First %1").arg(n));
        a->setCheckable(true);
        a->setChecked(n == maxClipsPerSpeaker_);
        clipGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, n] { setMaxClipsPerSpeaker(n); });
    }

    run->addSeparator();
    run->addAction(tr("&Memory limit…"), this, [this] { chooseMaxMemory(); })->setObjectName(QStringLiteral("memoryLimit"));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About quantscope"), this, [this] {
        QMessageBox::about(this, tr("About quantscope"),
                           tr("<b>quantscope</b> %1<br>Personalized, label-free mixed-precision quantization of "
                              "speech models.<br><br>Shortcuts: Ctrl+O open model, Ctrl+Shift+O add audio, Ctrl+R "
                              "analyze, Esc cancel, Ctrl+E export figure, Ctrl+Shift+X export the quantized model, Ctrl+S save "
                              "session.")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::updateActions() {
    const bool running = analysis_->isRunning();
    const bool exporting = exporter_->isRunning();
    const bool complete = state_->analysis() && !state_->analysisIsPartial();  // not the results so far of a run
    const bool canAnalyze = !running && !exporting && state_->model() && !audioPanel_->checkedSpeakers().isEmpty();
    actions_["analyze"]->setEnabled(canAnalyze);
    actions_["cancel"]->setEnabled(running || exporting);
    actions_["saveAllocation"]->setEnabled(budget_->ready() && complete);
    actions_["saveAnalysis"]->setEnabled(complete);
    // A session holds the analysis: saving waits for a running one to end.
    actions_["saveSession"]->setEnabled(!running);
    actions_["saveSessionAs"]->setEnabled(!running);
    actions_["exportModel"]->setEnabled(complete && !running && !exporting && state_->model() && budget_->ready() &&
                                        !budget_->allocation().layers.empty());
    QString title = tr("quantscope");
    if (!state_->modelPath().isEmpty()) title = QFileInfo(state_->modelPath()).fileName() + QStringLiteral(" — ") + title;
    if (!sessionPath_.isEmpty()) title = QFileInfo(sessionPath_).fileName() + QStringLiteral(" · ") + title;
    setWindowTitle(title);
}

void MainWindow::setMaxMemory(std::int64_t bytes) { maxMemory_ = std::max<std::int64_t>(0, bytes); }

// The memory limit as text ("6G"), empty for automatic; analyses and exports plan within it.
void MainWindow::chooseMaxMemory() {
    const SystemMemory m = systemMemory();
    const QString now = maxMemory_ > 0 ? QString::fromStdString(memoryText(double(maxMemory_))).remove(QLatin1Char(' ')) : QString();
    bool ok = false;
    const QString text = QInputDialog::getText(
        this, tr("Memory limit"),
        tr("Largest amount of memory quantscope may use while analysing or exporting (e.g. 6G, 2.5GiB, 800M).\n"
           "Leave empty for automatic: what it holds now plus half of the %1 available.\n"
           "Long recordings are cut into shorter windows, and fewer clips run at once, to stay within it.")
            .arg(QString::fromStdString(memoryText(double(std::max<std::int64_t>(0, m.usable()))))),
        QLineEdit::Normal, now, &ok);
    if (!ok) return;
    try {
        setMaxMemory(text.trimmed().isEmpty() ? 0 : parseMemorySize(text.trimmed().toStdString(), tr("The memory limit").toStdString()));
    } catch (const Error& e) {
        showError(QString::fromStdString(e.what()));
        return;
    }
    QSettings().setValue(QStringLiteral("jobs/maxMemory"), qint64(maxMemory_));  // a --max-memory option is not remembered
    statusBar()->showMessage(maxMemory_ > 0 ? tr("Memory limit: %1").arg(QString::fromStdString(memoryText(double(maxMemory_))))
                                            : tr("Memory limit: automatic"),
                             8000);
}

void MainWindow::chooseModel() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a TorchScript speech model"),
                                                      QFileInfo(state_->modelPath()).path(),
                                                      tr("TorchScript models (*.pt *.pth *.ts);;All files (*)"));
    if (!path.isEmpty()) openModel(path);
}

void MainWindow::chooseAudioFolder() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Add an audio folder (one subfolder per speaker)"));
    if (!dir.isEmpty()) addAudioFolder(dir);
}

void MainWindow::chooseSessionToOpen() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a quantscope session"), QFileInfo(sessionPath_).path(),
                                                      tr("quantscope sessions (*.qscope.json *.json);;All files (*)"));
    if (path.isEmpty()) return;
    QString error;
    if (!openSessionFrom(path, &error)) showError(error);
}

bool MainWindow::saveSessionInteractive(bool askPath) {
    QString path = sessionPath_;
    if (askPath || path.isEmpty()) {
        const QString suggestion = path.isEmpty() ? QDir::home().filePath(QStringLiteral("session.qscope.json")) : path;
        path = QFileDialog::getSaveFileName(this, tr("Save session"), suggestion,
                                            tr("quantscope sessions (*.qscope.json *.json)"));
        if (path.isEmpty()) return false;
    }
    QString error;
    if (!saveSessionTo(path, &error)) {
        showError(error);
        return false;
    }
    return true;
}

void MainWindow::exportCurrentFigureInteractive() {
    exportFigureInteractive(currentFigure_ ? currentFigure_ : figures().front());
}

void MainWindow::exportFigureInteractive(FigureView* view) {
    const QString dir = lastExportDir_.isEmpty() ? QDir::homePath() : lastExportDir_;
    const QString ext = exportOptions_.format == FigureExportOptions::Format::Pdf ? QStringLiteral("pdf") : QStringLiteral("png");
    FigureExportDialog dialog(view->title(), QDir(dir).filePath(view->figureId() + QLatin1Char('.') + ext), false, this);
    dialog.setOptions(exportOptions_);
    if (dialog.exec() != QDialog::Accepted) return;
    exportOptions_ = dialog.options();
    lastExportDir_ = QFileInfo(dialog.path()).path();
    QString error;
    if (!exportFigure(view->figureId(), dialog.path(), exportOptions_, &error)) showError(error);
}

void MainWindow::exportAllInteractive() {
    FigureExportDialog dialog(QString(), lastExportDir_.isEmpty() ? QDir::homePath() : lastExportDir_, true, this);
    dialog.setOptions(exportOptions_);
    if (dialog.exec() != QDialog::Accepted) return;
    exportOptions_ = dialog.options();
    lastExportDir_ = dialog.path();
    QString error;
    if (!exportAllFigures(dialog.path(), exportOptions_, &error)) showError(error);
}

bool MainWindow::exportFigure(const QString& figureId, const QString& path, const FigureExportOptions& options,
                              QString* error) {
    FigureView* view = figure(figureId);
    if (!view) {
        if (error) *error = tr("no figure named %1").arg(figureId);
        return false;
    }
    QString why;
    if (!view->exportFigure(path, options, &why)) {
        if (error) *error = tr("Could not export %1: %2").arg(view->title(), why);
        return false;
    }
    statusBar()->showMessage(tr("Exported %1 to %2").arg(view->title(), QDir::toNativeSeparators(path)), 8000);
    return true;
}

bool MainWindow::exportAllFigures(const QString& folder, const FigureExportOptions& options, QString* error) {
    if (!QDir().mkpath(folder)) {
        if (error) *error = tr("Could not create the folder %1").arg(QDir::toNativeSeparators(folder));
        return false;
    }
    const QString ext = options.format == FigureExportOptions::Format::Pdf ? QStringLiteral("pdf") : QStringLiteral("png");
    int exported = 0;
    for (FigureView* view : figures()) {
        // The personalization figures only once there is a comparison to show.
        if (personal_->isAncestorOf(view) && !personal_->result()) continue;
        if (scoringView_->isAncestorOf(view) && !scoringView_->result()) continue;
        if (!exportFigure(view->figureId(), QDir(folder).filePath(view->figureId() + QLatin1Char('.') + ext), options, error))
            return false;
        ++exported;
    }
    statusBar()->showMessage(tr("Exported %1 figures to %2").arg(exported).arg(QDir::toNativeSeparators(folder)), 8000);
    return true;
}

void MainWindow::saveAllocationInteractive() {
    if (!budget_->ready()) return;
    const QString path = QFileDialog::getSaveFileName(this, tr("Save allocation"), QDir::home().filePath(QStringLiteral("allocation.json")),
                                                      tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    try {
        saveAllocation(path.toStdString(), budget_->allocation());
        statusBar()->showMessage(tr("Saved the allocation to %1").arg(QDir::toNativeSeparators(path)), 8000);
    } catch (const std::exception& e) {
        showError(QString::fromUtf8(e.what()));
    }
}

void MainWindow::saveAnalysisInteractive() {
    if (!state_->analysis()) return;
    const QString path = QFileDialog::getSaveFileName(this, tr("Save analysis"), QDir::home().filePath(QStringLiteral("analysis.json")),
                                                      tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    try {
        saveAnalysis(path.toStdString(), *state_->analysis());
        statusBar()->showMessage(tr("Saved the analysis to %1").arg(QDir::toNativeSeparators(path)), 8000);
    } catch (const std::exception& e) {
        showError(QString::fromUtf8(e.what()));
    }
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!event->mimeData()->hasUrls()) return;
    for (const QUrl& url : event->mimeData()->urls())
        if (!url.isLocalFile()) return;
    event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    for (const QUrl& url : event->mimeData()->urls()) {
        const QFileInfo info(url.toLocalFile());
        if (info.isDir()) {
            addAudioFolder(info.absoluteFilePath());
        } else if (info.suffix().compare(QLatin1String("json"), Qt::CaseInsensitive) == 0) {
            // A saved comparison opens in its view; any other JSON is taken for a session.
            QString error;
            const bool comparison = isComparisonFile(info.absoluteFilePath());
            if (!(comparison ? openComparisonFile(info.absoluteFilePath(), &error) : openSessionFrom(info.absoluteFilePath(), &error)))
                showError(error);
        } else {
            openModel(info.absoluteFilePath());
        }
    }
    event->acceptProposedAction();
}

void MainWindow::restoreWindowSettings() {
    QSettings settings;
    resize(1500, 940);
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    for (auto* split : findChildren<QSplitter*>())
        split->restoreState(settings.value(QStringLiteral("window/") + split->objectName()).toByteArray());
    lastExportDir_ = settings.value(QStringLiteral("export/folder")).toString();
    exportOptions_.format = settings.value(QStringLiteral("export/pdf")).toBool() ? FigureExportOptions::Format::Pdf
                                                                                 : FigureExportOptions::Format::Png;
    exportOptions_.width = settings.value(QStringLiteral("export/width"), exportOptions_.width).toInt();
    exportOptions_.height = settings.value(QStringLiteral("export/height"), exportOptions_.height).toInt();
    exportOptions_.dpi = settings.value(QStringLiteral("export/dpi"), exportOptions_.dpi).toInt();
    modelExport_.folder = settings.value(QStringLiteral("modelExport/folder")).toString();
    modelExport_.activationBits = settings.value(QStringLiteral("modelExport/activationBits"), modelExport_.activationBits).toInt();
    modelExport_.calibrationClips =
        settings.value(QStringLiteral("modelExport/calibrationClips"), modelExport_.calibrationClips).toInt();
    modelExport_.weightCalibration =
        settings.value(QStringLiteral("modelExport/weightCalibration"), modelExport_.weightCalibration).toString();
    modelExport_.onnx = settings.value(QStringLiteral("modelExport/onnx"), modelExport_.onnx).toBool();
    modelExport_.activationCalibration =
        settings.value(QStringLiteral("modelExport/activationCalibration"), modelExport_.activationCalibration).toString();
    modelExport_.evaluate = settings.value(QStringLiteral("modelExport/evaluate"), modelExport_.evaluate).toBool();
    setMaxMemory(settings.value(QStringLiteral("jobs/maxMemory"), qint64(0)).toLongLong());
}

void MainWindow::saveWindowSettings() {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    for (auto* split : findChildren<QSplitter*>())
        if (!split->objectName().isEmpty())
            settings.setValue(QStringLiteral("window/") + split->objectName(), split->saveState());
    settings.setValue(QStringLiteral("export/folder"), lastExportDir_);
    settings.setValue(QStringLiteral("export/pdf"), exportOptions_.format == FigureExportOptions::Format::Pdf);
    settings.setValue(QStringLiteral("export/width"), exportOptions_.width);
    settings.setValue(QStringLiteral("export/height"), exportOptions_.height);
    settings.setValue(QStringLiteral("export/dpi"), exportOptions_.dpi);
    settings.setValue(QStringLiteral("modelExport/folder"), modelExport_.folder);
    settings.setValue(QStringLiteral("modelExport/activationBits"), modelExport_.activationBits);
    settings.setValue(QStringLiteral("modelExport/calibrationClips"), modelExport_.calibrationClips);
    settings.setValue(QStringLiteral("modelExport/weightCalibration"), modelExport_.weightCalibration);
    settings.setValue(QStringLiteral("modelExport/onnx"), modelExport_.onnx);
    settings.setValue(QStringLiteral("modelExport/activationCalibration"), modelExport_.activationCalibration);
    settings.setValue(QStringLiteral("modelExport/evaluate"), modelExport_.evaluate);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveWindowSettings();
    analysis_->cancel();
    exporter_->cancel();
    event->accept();
}

}  // namespace qs::gui
