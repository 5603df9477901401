// MainWindow: saving the studio's state as a session file and restoring it.
#include <QDir>
#include <QFileInfo>
#include <QStatusBar>
#include <QTabWidget>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/recent_files.h"
#include "app/gui/studio_state.h"
#include "core/allocation/sensitivity.h"
#include "widgets/audio_panel.h"
#include "widgets/budget_panel.h"
#include "widgets/channel_view.h"
#include "widgets/comparison_view.h"
#include "widgets/histogram_view.h"
#include "widgets/layer_table_model.h"
#include "widgets/model_panel.h"
#include "widgets/outlier_view.h"
#include "widgets/sensitivity_view.h"

namespace qs::gui {

static_assert(int(ClipMode::SymmetricMax) == kClipModes - 1, "session.h's kClipModes must count ClipMode");

Session MainWindow::captureSession() const {
    Session s;
    s.modelPath = state_->modelPath();
    if (s.modelPath.isEmpty() && state_->analysis()) s.modelPath = QString::fromStdString(state_->analysis()->model.path);
    s.audioFolders = audioPanel_->folders();
    s.activeFolder = audioPanel_->activeFolder();
    s.checkedSpeakers = audioPanel_->checkedSpeakers();
    s.analysis = state_->analysis();
    s.targetMb = budget_->ready() ? budget_->target() : 0.0;
    s.metric = budgetPanel_->metric();
    s.order = budgetPanel_->order();
    s.minBits = budgetPanel_->minBits();
    s.fitFiles = budgetPanel_->fitFiles();
    s.spread = budgetPanel_->spread();
    s.speaker = budgetPanel_->speaker().isEmpty() ? QStringLiteral("all") : budgetPanel_->speaker();
    const LayerTableModel* table = modelPanel_->layerModel();
    for (int i = 0; i < table->layerCount(); ++i)
        if (!table->included()[std::size_t(i)]) s.excludedLayers << QString::fromStdString(table->layer(i).name);
    const int layer = state_->selectedLayer();
    if (layer >= 0) s.selectedLayer = QString::fromStdString(state_->layers()[std::size_t(layer)].name);

    ViewState& v = s.view;
    v.topTab = topTabs_->currentIndex();
    v.bottomTab = bottomTabs_->currentIndex();
    v.shownSpeakers = sensitivity_->shownSpeakers();
    v.sensitivityLog = sensitivity_->logScale();
    v.clipMode = int(histogram_->clipMode());
    v.gridActivationBits = histogram_->gridUsesActivationBits();
    v.outliersNormalized = outliers_->normalized();
    v.channelsSorted = channels_->sorted();
    v.compareA = comparison_->speakerA();
    v.compareB = comparison_->speakerB();
    v.layerFilter = modelPanel_->filterText();
    return s;
}

bool MainWindow::saveSessionTo(const QString& path, QString* error) {
    try {
        saveSession(path, captureSession());
    } catch (const std::exception& e) {
        if (error) *error = tr("Could not save the session: %1").arg(QString::fromUtf8(e.what()));
        return false;
    }
    sessionPath_ = QFileInfo(path).absoluteFilePath();
    recent_->add(RecentFiles::Kind::Session, sessionPath_);
    statusBar()->showMessage(tr("Saved the session to %1").arg(QDir::toNativeSeparators(path)), 8000);
    updateActions();
    return true;
}

bool MainWindow::openSessionFrom(const QString& path, QString* error) {
    if (analysis_->isRunning()) {
        if (error) *error = tr("Cancel the running analysis before opening a session.");
        return false;
    }
    Session s;
    try {
        s = loadSession(path);
    } catch (const std::exception& e) {
        if (error) *error = tr("Could not open the session: %1").arg(QString::fromUtf8(e.what()));
        return false;
    }
    sessionPath_ = QFileInfo(path).absoluteFilePath();
    recent_->add(RecentFiles::Kind::Session, sessionPath_);
    applySession(s);
    statusBar()->showMessage(tr("Opened the session %1").arg(QFileInfo(path).fileName()), 8000);
    return true;
}

bool MainWindow::showSavedResults(std::shared_ptr<const Analysis> analysis, const Allocation* allocation,
                                  QString* error) {
    if (analysis_->isRunning()) {
        if (error) *error = tr("Cancel the running analysis before showing saved results.");
        return false;
    }
    if (!analysis) {
        if (error) *error = tr("no analysis to show");
        return false;
    }
    Session s;
    s.analysis = analysis;
    if (allocation) {
        if (!sameLayers(*allocation, *analysis)) {
            if (error) *error = tr("the allocation's layers are not the analysis's: were they made from different models?");
            return false;
        }
        s.targetMb = allocation->targetMb;
        s.metric = QString::fromStdString(metricName(allocation->metric));
        s.order = QString::fromStdString(orderName(allocation->order));
        s.minBits = allocation->minBits;
        s.fitFiles = allocation->fitFiles;
        s.spread = allocation->spread;
        s.speaker = QString::fromStdString(allocation->speaker);
        for (const LayerBits& l : allocation->layers)
            if (!l.included) s.excludedLayers << QString::fromStdString(l.name);
    }
    sessionPath_.clear();
    applySession(s);
    return true;
}

void MainWindow::applySession(const Session& s) {
    // Audio and model first: they load in the background and find their places when they arrive.
    for (const QString& f : audioPanel_->folders()) state_->removeAudioFolder(f);
    audioPanel_->clear();
    if (s.modelPath != state_->modelPath()) state_->setModel(nullptr, QString());

    syncing_ = true;
    budgetPanel_->setMetric(s.metric);
    budgetPanel_->setOrder(s.order);
    budgetPanel_->setMinBits(s.minBits);
    budgetPanel_->setFitFiles(s.fitFiles);
    budgetPanel_->setSpread(s.spread);
    syncing_ = false;
    state_->setAnalysis(s.analysis);  // layers, speakers and curves follow (onAnalysisChanged)

    syncing_ = true;
    budgetPanel_->setSpeaker(s.speaker);
    LayerTableModel* table = modelPanel_->layerModel();
    std::vector<bool> include(std::size_t(table->layerCount()), true);
    for (int i = 0; i < table->layerCount(); ++i)
        if (s.excludedLayers.contains(QString::fromStdString(table->layer(i).name))) include[std::size_t(i)] = false;
    table->setIncluded(include);
    syncing_ = false;
    if (s.analysis) {
        budget_->setSettings({parseMetric(s.metric.toStdString()), parseOrder(s.order.toStdString()), s.minBits, include,
                              s.speaker.toStdString(), s.fitFiles, s.spread});
        if (s.targetMb > 0) budget_->setTarget(s.targetMb);
    }

    const ViewState& v = s.view;
    topTabs_->setCurrentIndex(v.topTab);
    bottomTabs_->setCurrentIndex(v.bottomTab);
    if (!v.shownSpeakers.isEmpty()) sensitivity_->setShownSpeakers(v.shownSpeakers);
    sensitivity_->setLogScale(v.sensitivityLog);
    histogram_->setClipMode(ClipMode(v.clipMode));
    histogram_->setGridUsesActivationBits(v.gridActivationBits);
    outliers_->setNormalized(v.outliersNormalized);
    channels_->setSorted(v.channelsSorted);
    comparison_->setPair(v.compareA, v.compareB);
    refreshComparison();
    modelPanel_->setFilterText(v.layerFilter);

    pendingSelectedLayer_ = s.selectedLayer;
    const int layer = state_->layerIndex(s.selectedLayer.toStdString());
    if (layer >= 0) {
        state_->setSelectedLayer(layer);
        pendingSelectedLayer_.clear();
    }
    refreshLayerStats();

    pendingActiveFolder_ = s.activeFolder;
    pendingChecked_ = s.checkedSpeakers;
    pendingFolders_ = s.audioFolders;
    for (const QString& f : s.audioFolders) addAudioFolder(f);
    if (!s.modelPath.isEmpty() && s.modelPath != state_->modelPath()) openModel(s.modelPath);
    refreshModelSummary();
    updateActions();
}

void MainWindow::applyPendingAudioChecks(const QString& folder) {
    // A session's checks belong to its active folder. Every folder that arrives becomes the active
    // one, so re-apply them after each of the session's folders is scanned; folders the user adds
    // later are left alone.
    if (!pendingFolders_.contains(folder)) return;
    pendingFolders_.removeAll(folder);
    if (audioPanel_->folders().contains(pendingActiveFolder_))
        audioPanel_->setCheckedSpeakers(pendingActiveFolder_, pendingChecked_);
    if (pendingFolders_.isEmpty()) {
        pendingActiveFolder_.clear();
        pendingChecked_.clear();
    }
}

}  // namespace qs::gui
