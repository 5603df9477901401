// MainWindow: pushing the state and the controllers' results into the panels and figures.
#include <QDir>
#include <QFileInfo>
#include <QSignalBlocker>
#include <QStatusBar>
#include <algorithm>
#include <map>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/studio_state.h"
#include "core/allocation/sensitivity.h"
#include "widgets/allocation_view.h"
#include "widgets/audio_panel.h"
#include "widgets/budget_curve_view.h"
#include "widgets/budget_panel.h"
#include "widgets/channel_view.h"
#include "widgets/comparison_view.h"
#include "widgets/histogram_view.h"
#include "widgets/layer_table_model.h"
#include "widgets/model_panel.h"
#include "widgets/outlier_view.h"
#include "widgets/plot_style.h"
#include "widgets/sensitivity_view.h"

namespace qs::gui {

namespace {

BudgetSettings settingsFrom(const BudgetPanel* panel, const LayerTableModel* table) {
    BudgetSettings s;
    s.metric = parseMetric(panel->metric().toStdString());
    s.order = parseOrder(panel->order().toStdString());
    s.minBits = panel->minBits();
    s.fitFiles = panel->fitFiles();
    s.spread = panel->spread();
    s.include = table->included();
    s.speaker = panel->speaker().isEmpty() ? std::string(kAllSpeakers) : panel->speaker().toStdString();
    return s;
}

const StatsSummary* statsFor(const Analysis* a, int layer, const std::string& speaker) {
    if (!a || layer < 0 || layer >= int(a->layers.size())) return nullptr;
    const auto& stats = a->layers[std::size_t(layer)].stats;
    auto it = stats.find(speaker);
    if (it == stats.end()) it = stats.find(kAllSpeakers);
    return it == stats.end() ? nullptr : &it->second;
}

}  // namespace

void MainWindow::onModelLoaded() {
    const auto& analysis = state_->analysis();
    if (analysis) {
        std::vector<std::string> modelNames;
        for (const auto& l : state_->model()->info().layers) modelNames.push_back(l.name);
        if (modelNames != state_->layerNames()) {
            state_->setAnalysis(nullptr);
            statusBar()->showMessage(tr("The analysis on show was made with another model and was closed."), 10000);
        }
    }
    onLayersChanged();
    if (!pendingSelectedLayer_.isEmpty()) {
        const int layer = state_->layerIndex(pendingSelectedLayer_.toStdString());
        if (layer >= 0) state_->setSelectedLayer(layer);
        pendingSelectedLayer_.clear();
    }
    refreshModelSummary();
    updateActions();
    if (!analysis || state_->analysis())
        statusBar()->showMessage(tr("Opened %1: %2 quantizable layers")
                                     .arg(QFileInfo(state_->modelPath()).fileName())
                                     .arg(state_->model()->info().layers.size()), 8000);
    maybeAutoAnalyze();
    checkIdle();
}

void MainWindow::onLayersChanged() {
    const std::vector<std::string> names = state_->layerNames();
    std::vector<std::string> shown;
    for (int i = 0; i < modelPanel_->layerModel()->layerCount(); ++i) shown.push_back(modelPanel_->layerModel()->layer(i).name);
    if (names == shown && !names.empty()) return;  // same layers: keep the include marks and views
    modelPanel_->setLayers(state_->layers());
    sensitivity_->setLayers(names);
    allocation_->setLayers(names);
    comparison_->setLayers(names);
    outliers_->setLayers(names);
    state_->setSelectedLayer(-1);
    onSelectionChanged();
}

void MainWindow::onAnalysisChanged() {
    onLayersChanged();
    const auto& analysis = state_->analysis();
    QStringList speakers;
    if (analysis)
        for (const std::string& s : availableSpeakers(*analysis)) speakers << QString::fromStdString(s);
    {
        syncing_ = true;
        budgetPanel_->setDistanceMetricsAvailable(analysis && analysis->hasDistances());
        budgetPanel_->setSpeakers(speakers);
        comparison_->setSpeakers(speakers);
        syncing_ = false;
    }
    budget_->setAnalysis(analysis, settingsFrom(budgetPanel_, modelPanel_->layerModel()));
    if (analysis && state_->selectedLayer() < 0 && !analysis->layers.empty()) state_->setSelectedLayer(0);
    refreshLayerStats();
    refreshModelSummary();
    if (!analysis_->isRunning()) refreshAudioStatus();
    updateActions();
}

void MainWindow::showAnalysisResult(std::shared_ptr<const Analysis> analysis, bool partial, double targetMb) {
    showingPartial_ = partial;
    if (!partial) analysisBeforeRun_.reset();
    state_->setAnalysis(std::move(analysis), partial);  // onAnalysisChanged: layers, speakers, curves
    if (targetMb > 0 && budget_->ready()) budget_->setTarget(targetMb);
}

void MainWindow::onSpeakerFinished(std::shared_ptr<const Analysis> partial, const QString& speaker) {
    // The first partial result starts from the default budget, like a finished analysis; later ones
    // keep the budget the user has set meanwhile.
    const double target = showingPartial_ && budget_->ready() ? budget_->target() : 0.0;
    showAnalysisResult(partial, true, target);
    for (const SpeakerSummary& s : partial->speakers)
        audioPanel_->setSpeakerStatus(runFolder_, QString::fromStdString(s.name), AudioPanel::SpeakerState::Analysed,
                                      s.clips);
    statusBar()->showMessage(tr("%1 analysed: results for %2 of %3 speakers on show")
                                 .arg(speaker)
                                 .arg(partial->speakers.size())
                                 .arg(std::max<int>(runSpeakers_, int(partial->speakers.size()))));
}

void MainWindow::refreshAudioStatus() {
    audioPanel_->clearSpeakerStatus();
    const auto& analysis = state_->analysis();
    if (!analysis) return;
    const QString folder = QString::fromStdString(analysis->audioRoot);
    for (const SpeakerSummary& s : analysis->speakers)
        audioPanel_->setSpeakerStatus(folder, QString::fromStdString(s.name), AudioPanel::SpeakerState::Analysed, s.clips);
}

void MainWindow::onBudgetSettingsEdited() {
    if (syncing_) return;
    try {
        budget_->setSettings(settingsFrom(budgetPanel_, modelPanel_->layerModel()));
    } catch (const std::exception& e) {
        showError(QString::fromUtf8(e.what()));
    }
    refreshLayerStats();
}

void MainWindow::onCurvesChanged() {
    budgetPanel_->setRange(budget_->minSizeMb(), budget_->floatSizeMb());
    budgetPanel_->setProblem(budget_->problem());
    if (budget_->ready()) {
        curve_->setCurve(budget_->curveData());
    } else {
        curve_->clear();
    }
    modelPanel_->layerModel()->setScores(budget_->scores(budget_->settings().speaker));
}

void MainWindow::onAllocationChanged() {
    const bool ready = budget_->ready() && !budget_->allocation().layers.empty();
    budgetPanel_->setProblem(budget_->problem());
    const QString metric = BudgetPanel::metricLabel(QString::fromStdString(metricName(budget_->settings().metric)));
    std::vector<SpeakerSeries> series;
    for (const QString& s : budget_->speakers())
        series.push_back({s, budget_->scores(s.toStdString()), budget_->bits(s.toStdString())});
    sensitivity_->setSeries(series, metric);

    if (!ready) {
        budgetPanel_->setReadout(NAN, NAN, NAN, NAN);
        allocation_->setAllocation({}, {}, QString());
        modelPanel_->layerModel()->setBits({});
        histogram_->setBits(32);
        refreshComparison();
        refreshFigureContext();
        updateActions();
        return;
    }
    const Allocation& a = budget_->allocation();
    budgetPanel_->setTarget(budget_->target());
    budgetPanel_->setReadout(a.sizeMb, a.floatSizeMb, a.averageBits, a.compressionRatio, a.fitFiles ? a.filesMb : NAN);
    const std::vector<int> bits = a.bits();
    std::vector<bool> included;
    std::map<int, int> histogram;
    for (const auto& l : a.layers) {
        included.push_back(l.included);
        if (l.included) ++histogram[l.bits];
    }
    QStringList counts;
    for (auto it = histogram.rbegin(); it != histogram.rend(); ++it)
        counts << tr("%1 at %2 bits").arg(it->second).arg(it->first);
    allocation_->setAllocation(bits, included,
                               tr("%1 · speaker %2 · %3").arg(metric, QString::fromStdString(a.speaker), counts.join(QStringLiteral(", "))));
    modelPanel_->layerModel()->setBits(bits);
    const int layer = state_->selectedLayer();
    histogram_->setBits(layer >= 0 && layer < int(bits.size()) ? bits[std::size_t(layer)] : 32);
    curve_->setCurrent(budget_->target(), a.sizeMb, a.averageBits);
    refreshComparison();
    refreshFigureContext();
    updateActions();
}

void MainWindow::refreshComparison() {
    if (!budget_->ready()) {
        comparison_->setComparison({});
        return;
    }
    comparison_->setComparison(budget_->compare(comparison_->speakerA(), comparison_->speakerB()));
}

void MainWindow::onSelectionChanged() {
    const int layer = state_->selectedLayer();
    modelPanel_->setSelectedLayer(layer);
    sensitivity_->setSelectedLayer(layer);
    allocation_->setSelectedLayer(layer);
    comparison_->setSelectedLayer(layer);
    outliers_->setSelectedLayer(layer);
    refreshLayerStats();
}

void MainWindow::refreshLayerStats() {
    const Analysis* a = state_->analysis().get();
    const std::string speaker = budget_->settings().speaker;
    const QString speakerName = QString::fromStdString(speaker);
    std::vector<const StatsSummary*> all;
    if (a)
        for (int i = 0; i < int(a->layers.size()); ++i) all.push_back(statsFor(a, i, speaker));
    outliers_->setStats(all, speakerName);

    const int layer = state_->selectedLayer();
    const auto& layers = state_->layers();
    const QString name = layer >= 0 && layer < int(layers.size()) ? QString::fromStdString(layers[std::size_t(layer)].name) : QString();
    const StatsSummary* s = statsFor(a, layer, speaker);
    const std::vector<int> bits = budget_->bits(speaker);
    const int b = layer >= 0 && layer < int(bits.size()) ? bits[std::size_t(layer)] : 32;
    histogram_->setLayer(name, speakerName, s, b);
    channels_->setLayer(name, speakerName, s ? s->channel_abs_max : std::vector<float>{});
}

void MainWindow::refreshModelSummary() {
    QStringList parts;
    const auto& model = state_->model();
    const auto& analysis = state_->analysis();
    const ModelInfo* info = model ? &model->info() : analysis ? &analysis->model : nullptr;
    if (info) {
        parts << tr("%1 quantizable layers").arg(info->layers.size())
              << tr("%1 parameters").arg(formatCount(info->totalParams))
              << tr("%1 as float").arg(formatMb(info->sizeMb()))
              << tr("%1 kHz").arg(info->sampleRate / 1000.0, 0, 'g', 3);
        if (!info->labels.empty()) parts << tr("CTC, %1 labels").arg(info->labels.size());
    }
    if (analysis) {
        int clips = 0;
        for (const auto& s : analysis->speakers) clips += s.clips;
        parts << (state_->analysisIsPartial()
                      ? tr("analysing: results for %1 speakers, %2 clips so far")
                      : tr("analysed on %1 speakers, %2 clips"))
                     .arg(analysis->speakers.size())
                     .arg(clips);
    }
    if (!model && analysis) parts << tr("model file not loaded");
    const QString path = model ? state_->modelPath() : analysis ? QString::fromStdString(analysis->model.path) : QString();
    modelPanel_->setModelSummary(path, parts.isEmpty() ? tr("Drop a TorchScript .pt file here or use Open (Ctrl+O).")
                                                       : parts.join(QStringLiteral(" · ")));
    refreshFigureContext();
}

void MainWindow::refreshFigureContext() {
    FigureContext c;
    const auto& analysis = state_->analysis();
    const QString path = state_->model() ? state_->modelPath()
                         : analysis      ? QString::fromStdString(analysis->model.path)
                                         : QString();
    if (!path.isEmpty()) {
        const QFileInfo file(path);
        const QString folder = file.dir().dirName();
        c.model = folder.isEmpty() || folder == QLatin1String(".") ? file.fileName() : folder + QLatin1Char('/') + file.fileName();
    }
    if (analysis) {
        c.speaker = QString::fromStdString(budget_->settings().speaker);
        c.metric = BudgetPanel::metricLabel(QString::fromStdString(metricName(budget_->settings().metric)));
    }
    if (budget_->ready() && !budget_->allocation().layers.empty()) {
        const Allocation& a = budget_->allocation();
        c.speaker = QString::fromStdString(a.speaker);
        c.budget = tr("budget %1 (%2, %3 bits on average)")
                       .arg(formatMb(a.targetMb), formatMb(a.sizeMb))
                       .arg(a.averageBits, 0, 'f', 2);
    }
    for (FigureView* f : figures()) f->setContext(c);
}

}  // namespace qs::gui
