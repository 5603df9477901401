// MainWindow construction: panels, figures, actions and the signal wiring between controllers and
// views.
#include "app/gui/main_window.h"

#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/export_controller.h"
#include "app/gui/file_loader.h"
#include "app/gui/personalization_controller.h"
#include "app/gui/scoring_controller.h"
#include "app/gui/recent_files.h"
#include "app/gui/studio_state.h"
#include "widgets/allocation_view.h"
#include "widgets/audio_panel.h"
#include "widgets/budget_curve_view.h"
#include "widgets/budget_panel.h"
#include "widgets/channel_view.h"
#include "widgets/comparison_view.h"
#include "widgets/gain_bars.h"
#include "widgets/histogram_view.h"
#include "widgets/icons.h"
#include "widgets/job_progress.h"
#include "widgets/layer_table_model.h"
#include "widgets/matrix_heatmap.h"
#include "widgets/model_panel.h"
#include "widgets/outlier_view.h"
#include "widgets/personalization_view.h"
#include "widgets/scoring_bars.h"
#include "widgets/scoring_view.h"
#include "widgets/plot_style.h"
#include "widgets/sensitivity_view.h"

namespace qs::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("quantscopeMainWindow"));
    setWindowTitle(tr("quantscope"));
    setWindowIcon(icon(IconKind::App));
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    // One thread drives a job at a time per slot; core's analysis spreads over the cores itself.
    pool_.setMaxThreadCount(2);

    state_ = new StudioState(this);
    loader_ = new FileLoader(&pool_, this);
    analysis_ = new AnalysisController(&pool_, this);
    exporter_ = new ExportController(&pool_, this);
    personalization_ = new PersonalizationController(&pool_, this);
    scoring_ = new ScoringController(&pool_, this);
    budget_ = new BudgetController(this);
    recent_ = new RecentFiles(this);

    buildLayout();
    createActions();
    createMenus();
    connectControllers();
    onLayersChanged();
    updateActions();
    restoreWindowSettings();
    statusBar()->showMessage(tr("Open a model (Ctrl+O) and add an audio folder (Ctrl+Shift+O), or drop them here."));
}

MainWindow::~MainWindow() {
    analysis_->cancel();
    exporter_->cancel();
    personalization_->cancel();
    scoring_->cancel();
    pool_.waitForDone();
}

void MainWindow::buildLayout() {
    modelPanel_ = new ModelPanel(this);
    audioPanel_ = new AudioPanel(this);
    auto* modelDock = new QDockWidget(tr("Model"), this);
    modelDock->setObjectName(QStringLiteral("modelDock"));
    modelDock->setWidget(modelPanel_);
    modelDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    auto* audioDock = new QDockWidget(tr("Audio"), this);
    audioDock->setObjectName(QStringLiteral("audioDock"));
    audioDock->setWidget(audioPanel_);
    audioDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, modelDock);
    addDockWidget(Qt::LeftDockWidgetArea, audioDock);
    splitDockWidget(modelDock, audioDock, Qt::Vertical);
    resizeDocks({modelDock, audioDock}, {560, 340}, Qt::Vertical);
    resizeDocks({modelDock}, {430}, Qt::Horizontal);

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    budgetPanel_ = new BudgetPanel(central);
    layout->addWidget(budgetPanel_);

    sensitivity_ = new SensitivityView;
    allocation_ = new AllocationView;
    comparison_ = new ComparisonView;
    curve_ = new BudgetCurveView;
    histogram_ = new HistogramView;
    outliers_ = new OutlierView;
    channels_ = new ChannelView;
    personal_ = new PersonalizationView;
    scoringView_ = new ScoringView;

    topTabs_ = new QTabWidget;
    topTabs_->setObjectName(QStringLiteral("topTabs"));
    topTabs_->setDocumentMode(true);
    topTabs_->addTab(allocation_, tr("Bit allocation"));
    topTabs_->addTab(sensitivity_, tr("Sensitivity"));
    topTabs_->addTab(comparison_, tr("Speaker comparison"));
    topTabs_->addTab(personal_, tr("Personalization"));
    topTabs_->addTab(scoringView_, tr("Scoring"));
    auto* top = new QSplitter(Qt::Horizontal);
    top->setObjectName(QStringLiteral("topSplitter"));
    top->addWidget(topTabs_);
    top->addWidget(curve_);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 1);
    top->setSizes({820, 330});

    bottomTabs_ = new QTabWidget;
    bottomTabs_->setObjectName(QStringLiteral("bottomTabs"));
    bottomTabs_->setDocumentMode(true);
    bottomTabs_->addTab(outliers_, tr("Outlier ranges"));
    bottomTabs_->addTab(channels_, tr("Channels"));
    auto* bottom = new QSplitter(Qt::Horizontal);
    bottom->setObjectName(QStringLiteral("bottomSplitter"));
    bottom->addWidget(histogram_);
    bottom->addWidget(bottomTabs_);
    bottom->setStretchFactor(0, 1);
    bottom->setStretchFactor(1, 1);
    bottom->setSizes({560, 560});

    auto* split = new QSplitter(Qt::Vertical);
    split->setObjectName(QStringLiteral("centralSplitter"));
    split->addWidget(top);
    split->addWidget(bottom);
    split->setStretchFactor(0, 5);
    split->setStretchFactor(1, 4);
    layout->addWidget(split, 1);
    setCentralWidget(central);
    currentFigure_ = allocation_;

    job_ = new JobProgress(this);
    statusBar()->addPermanentWidget(job_);
}

void MainWindow::connectControllers() {
    connect(loader_, &FileLoader::modelLoaded, this, [this](std::shared_ptr<const SpeechModel> model, const QString& path) {
        state_->setModel(std::move(model), path);
        recent_->add(RecentFiles::Kind::Model, path);
        onModelLoaded();
    });
    connect(loader_, &FileLoader::audioScanned, this, [this](std::shared_ptr<const AudioCorpus> corpus, const QString& dir) {
        state_->addAudioFolder({dir, corpus});
        audioPanel_->addFolder(dir, *corpus);
        recent_->add(RecentFiles::Kind::Audio, dir);
        applyPendingAudioChecks(dir);
        if (!analysis_->isRunning()) refreshAudioStatus();
        std::size_t clips = 0;
        for (const auto& s : corpus->speakers()) clips += s.clips.size();
        statusBar()->showMessage(tr("%1: %2 speakers, %3 clips, %4 files skipped")
                                     .arg(QFileInfo(dir).fileName())
                                     .arg(corpus->speakers().size())
                                     .arg(clips)
                                     .arg(corpus->skipped().size()));
        maybeAutoAnalyze();
    });
    connect(loader_, &FileLoader::failed, this, &MainWindow::showError);
    connect(loader_, &FileLoader::busyChanged, this, [this] {
        updateActions();
        checkIdle();
    });

    connectAnalysisProgress();
    connect(analysis_, &AnalysisController::finished, this, [this](std::shared_ptr<const Analysis> a) {
        job_->finish();
        showAnalysisResult(std::move(a), false, showingPartial_ && budget_->ready() ? budget_->target() : 0.0);
        const Analysis& r = *state_->analysis();
        double seconds = 0;
        for (const auto& s : r.speakers) seconds += s.seconds;
        QString done = tr("Analysis done: %1 speakers, %2 of audio in %3, %4 files skipped")
                           .arg(r.speakers.size())
                           .arg(formatSeconds(seconds), formatSeconds(r.elapsedSeconds))
                           .arg(r.skipped.size());
        if (!analysisNotice_.isEmpty()) done += QStringLiteral("; ") + analysisNotice_;
        statusBar()->showMessage(done);
        updateActions();
        checkIdle();
    });
    connect(analysis_, &AnalysisController::notice, this, [this](const QString& message) {
        analysisNotice_ = message;
        statusBar()->showMessage(message);
    });
    connect(analysis_, &AnalysisController::cancelled, this, [this] {
        job_->finish();
        if (showingPartial_) showAnalysisResult(analysisBeforeRun_, false, targetBeforeRun_);
        refreshAudioStatus();
        statusBar()->showMessage(tr("Analysis cancelled; the previous results are unchanged."));
        updateActions();
        checkIdle();
    });
    connect(analysis_, &AnalysisController::failed, this, [this](const QString& message) {
        job_->finish();
        if (showingPartial_) showAnalysisResult(analysisBeforeRun_, false, targetBeforeRun_);
        refreshAudioStatus();
        showError(tr("Analysis failed: %1").arg(message));
        updateActions();
        checkIdle();
    });
    connect(job_, &JobProgress::cancelRequested, this, [this] {
        cancelAnalysis();
        cancelExport();
        cancelPersonalization();
        cancelScoring();
    });
    connectExport();
    connectPersonalization();
    connectScoring();

    connect(state_, &StudioState::analysisChanged, this, &MainWindow::onAnalysisChanged);
    connect(state_, &StudioState::selectedLayerChanged, this, &MainWindow::onSelectionChanged);
    connect(budget_, &BudgetController::curvesChanged, this, &MainWindow::onCurvesChanged);
    connect(budget_, &BudgetController::allocationChanged, this, &MainWindow::onAllocationChanged);

    connect(budgetPanel_, &BudgetPanel::targetChanged, budget_, &BudgetController::setTarget);
    connect(budgetPanel_, &BudgetPanel::settingsChanged, this, &MainWindow::onBudgetSettingsEdited);
    connect(modelPanel_, &ModelPanel::includedChanged, this, &MainWindow::onBudgetSettingsEdited);
    connect(modelPanel_, &ModelPanel::layerSelected, state_, &StudioState::setSelectedLayer);
    connect(modelPanel_, &ModelPanel::openRequested, this, &MainWindow::chooseModel);
    connect(audioPanel_, &AudioPanel::addRequested, this, &MainWindow::chooseAudioFolder);
    connect(audioPanel_, &AudioPanel::removeRequested, this, [this](const QString& folder) {
        audioPanel_->removeFolder(folder);
        state_->removeAudioFolder(folder);
    });
    connect(audioPanel_, &AudioPanel::selectionChanged, this, &MainWindow::updateActions);
    connect(comparison_, &ComparisonView::pairChanged, this, &MainWindow::refreshComparison);

    // Ctrl+E exports the figure last clicked or brought to the front.
    for (QTabWidget* tabs : {topTabs_, bottomTabs_})
        connect(tabs, &QTabWidget::currentChanged, this, [this, tabs] {
            if (auto* view = qobject_cast<FigureView*>(tabs->currentWidget())) currentFigure_ = view;
        });
    for (FigureView* view : figures()) {
        connect(view, &FigureView::layerClicked, state_, &StudioState::setSelectedLayer);
        connect(view, &FigureView::activated, this, [this, view] { currentFigure_ = view; });
    }
}

QList<FigureView*> MainWindow::figures() const {
    return {allocation_, sensitivity_, comparison_, curve_, histogram_, outliers_, channels_, personal_->heatmap(),
            personal_->gains(), scoringView_->bars()};
}

FigureView* MainWindow::figure(const QString& figureId) const {
    for (FigureView* v : figures())
        if (v->figureId() == figureId) return v;
    return nullptr;
}

bool MainWindow::isBusy() const {
    return loader_->isBusy() || analysis_->isRunning() || exporter_->isRunning() || personalization_->isRunning() ||
           scoring_->isRunning();
}

// An analysis run: the job indicator, each speaker's status in the audio panel, and each speaker's
// results in the views as soon as they are in (results into views: main_window_sync.cpp).
void MainWindow::connectAnalysisProgress() {
    connect(analysis_, &AnalysisController::started, this, [this](const QString& what) {
        runFolder_ = audioPanel_->activeFolder();
        analysisBeforeRun_ = state_->analysis();
        targetBeforeRun_ = budget_->ready() ? budget_->target() : 0.0;
        showingPartial_ = false;
        runSpeakers_ = 0;
        analysisNotice_.clear();
        job_->start(what);
        statusBar()->showMessage(what + QStringLiteral("…"));
        updateActions();
    });
    connect(analysis_, &AnalysisController::progress, job_, &JobProgress::setProgress);
    connect(analysis_, &AnalysisController::speakersPlanned, this, [this](const QStringList& speakers) {
        runSpeakers_ = int(speakers.size());
        audioPanel_->clearSpeakerStatus();
        for (const QString& s : speakers) audioPanel_->setSpeakerStatus(runFolder_, s, AudioPanel::SpeakerState::Queued);
    });
    connect(analysis_, &AnalysisController::speakerProgress, this, [this](const QString& speaker, int done, int total) {
        const Analysis* shown = showingPartial_ ? state_->analysis().get() : nullptr;
        if (shown && shown->hasSpeaker(speaker.toStdString())) return;  // already in
        audioPanel_->setSpeakerStatus(runFolder_, speaker, AudioPanel::SpeakerState::Running, done, total);
    });
    connect(analysis_, &AnalysisController::speakerFinished, this, &MainWindow::onSpeakerFinished);
}

void MainWindow::setInteractive(bool on) { interactive_ = on; }

void MainWindow::showError(const QString& message) {
    lastError_ = message;
    statusBar()->showMessage(message, 15000);
    if (interactive_ && isVisible()) QMessageBox::warning(this, tr("quantscope"), message);
}

void MainWindow::checkIdle() {
    if (!isBusy()) emit idle();
}

void MainWindow::openModel(const QString& path) {
    statusBar()->showMessage(tr("Opening %1…").arg(QFileInfo(path).fileName()));
    loader_->loadModel(path);
    updateActions();
}

void MainWindow::addAudioFolder(const QString& path) {
    statusBar()->showMessage(tr("Scanning %1…").arg(QFileInfo(path).fileName()));
    loader_->scanAudio(path);
    updateActions();
}

void MainWindow::selectLayer(int layer) { state_->setSelectedLayer(layer); }

void MainWindow::showFigure(const QString& figureId) {
    FigureView* view = figure(figureId);
    if (!view) return;
    for (QTabWidget* tabs : {topTabs_, bottomTabs_})
        if (tabs->indexOf(view) >= 0) tabs->setCurrentWidget(view);
    if (personal_->isAncestorOf(view)) topTabs_->setCurrentWidget(personal_);
    if (scoringView_->isAncestorOf(view)) topTabs_->setCurrentWidget(scoringView_);
    currentFigure_ = view;
}

void MainWindow::setDistancePasses(bool on) { actions_["distances"]->setChecked(on); }

void MainWindow::setMaxClipsPerSpeaker(int n) { maxClipsPerSpeaker_ = std::max(0, n); }

void MainWindow::setAnalyzeWhenReady(bool on) {
    analyzeWhenReady_ = on;
    maybeAutoAnalyze();
}

void MainWindow::maybeAutoAnalyze() {
    if (!analyzeWhenReady_ || !state_->model() || audioPanel_->activeFolder().isEmpty() || analysis_->isRunning() ||
        exporter_->isRunning())
        return;
    analyzeWhenReady_ = false;
    startAnalysis();
}

bool MainWindow::startAnalysis() {
    if (exporter_->isRunning()) {
        showError(tr("Analysis failed: wait for the export to finish (or cancel it) before analysing"));
        return false;
    }
    AnalysisRequest request;
    request.model = state_->model();
    request.audioRoot = audioPanel_->activeFolder();
    request.speakers = audioPanel_->checkedSpeakers();
    request.distances = actions_.value(QStringLiteral("distances")) && actions_["distances"]->isChecked();
    request.maxClipsPerSpeaker = maxClipsPerSpeaker_;
    request.split = state_->split();
    if (const AudioFolder* folder = state_->audioFolder(request.audioRoot); folder && folder->corpus)
        request.groups = state_->groupsOf(*folder->corpus);
    request.maxMemory = maxMemory_;
    return analysis_->start(request);
}

void MainWindow::cancelAnalysis() {
    if (!analysis_->isRunning()) return;
    analysis_->cancel();
    statusBar()->showMessage(tr("Cancelling…"));
}

}  // namespace qs::gui
