// MainWindow: the scoring comparison (its view and controller) and applying a rule to the budget
// panel. Coordination only: core computes.
#include <QDir>
#include <QFileDialog>
#include <QRegularExpression>
#include <QStatusBar>
#include <QTabWidget>
#include <algorithm>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/export_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/personalization_controller.h"
#include "app/gui/scoring_controller.h"
#include "app/gui/studio_state.h"
#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/personalization/personalization_io.h"
#include "core/scoring/scoring_io.h"
#include "widgets/audio_panel.h"
#include "widgets/budget_panel.h"
#include "widgets/job_progress.h"
#include "widgets/plot_style.h"
#include "widgets/scoring_view.h"

namespace qs::gui {

void MainWindow::connectScoring() {
    connect(scoringView_, &ScoringView::runRequested, this, [this] {
        QString error;
        if (!startScoring(&error) && !error.isEmpty()) showError(error);
    });
    connect(scoringView_, &ScoringView::cancelRequested, this, &MainWindow::cancelScoring);
    connect(scoringView_, &ScoringView::applyRequested, this, [this](const QString& metric, const QString& order) {
        if (!isStatistic(parseMetric(metric.toStdString())) && !(state_->analysis() && state_->analysis()->hasDistances())) {
            showError(tr("The %1 score needs the analysis's distance passes: analyse with distance scores, then apply it.")
                          .arg(BudgetPanel::metricLabel(metric)));
            return;
        }
        budgetPanel_->setMetric(metric);
        budgetPanel_->setOrder(order);
        onBudgetSettingsEdited();
        statusBar()->showMessage(tr("Budget panel: %1, %2").arg(BudgetPanel::metricLabel(metric), order), 10000);
    });
    connect(scoring_, &ScoringController::started, this, [this](const QString& what) {
        scoringView_->setRunning(true);
        job_->start(what);
        statusBar()->showMessage(what + QStringLiteral("…"));
        updateActions();
    });
    connect(scoring_, &ScoringController::progress, job_, &JobProgress::setProgress);
    connect(scoring_, &ScoringController::finished, this, [this](std::shared_ptr<const ScoringResult> result) {
        job_->finish();
        scoringView_->setRunning(false);
        scoringView_->setResult(result);
        statusBar()->showMessage(tr("Scoring comparison done in %1: %2")
                                     .arg(formatSeconds(result->elapsedSeconds),
                                          scoringView_->recommendationText().remove(QRegularExpression("<[^>]*>"))),
                                 20000);
        updateActions();
        checkIdle();
    });
    connect(scoring_, &ScoringController::cancelled, this, [this] {
        job_->finish();
        scoringView_->setRunning(false);
        statusBar()->showMessage(tr("Scoring comparison cancelled; the previous results are unchanged."));
        updateActions();
        checkIdle();
    });
    connect(scoring_, &ScoringController::failed, this, [this](const QString& message) {
        job_->finish();
        scoringView_->setRunning(false);
        showError(tr("Scoring comparison failed: %1").arg(message));
        updateActions();
        checkIdle();
    });
    auto note = [this] {
        scoringView_->setNote(budget_->target() > 0
                                  ? tr("At the budget panel's budget, %1 MB; tune and test clips as in the audio panel (no split: "
                                       "half of each speaker's files for test); every checked speaker pooled, or each speaker (group) on "
                                       "its own.")
                                        .arg(budget_->target(), 0, 'f', 4)
                                  : tr("Analyse the audio first: the rules are compared at the budget panel's budget."));
    };
    connect(budgetPanel_, &BudgetPanel::targetChanged, this, note);
    connect(state_, &StudioState::analysisChanged, this, note);
    note();
}

bool MainWindow::startScoring(QString* error) {
    auto fail = [&](const QString& message) {
        if (error) *error = tr("Scoring comparison failed: %1").arg(message);
        return false;
    };
    if (analysis_->isRunning() || exporter_->isRunning() || personalization_->isRunning())
        return fail(tr("wait for the analysis, export or personalization comparison to finish (or cancel it)"));
    ScoringRequest request;
    request.model = state_->model();
    request.audioFolder = audioPanel_->activeFolder();
    const AudioFolder* folder = state_->audioFolder(request.audioFolder);
    if (folder) request.corpus = folder->corpus;
    for (const QString& s : audioPanel_->checkedSpeakers()) request.speakers.push_back(s.toStdString());
    if (scoringView_->perProfile()) {  // else every checked speaker pooled
        request.profiles = checkedGroups(folder, request.speakers);
        if (request.profiles.empty())
            for (const std::string& s : request.speakers) request.profiles.push_back({s, {s}});
        if (request.profiles.empty() && folder && folder->corpus)
            for (const Speaker& s : folder->corpus->speakers()) request.profiles.push_back({s.name, {s.name}});
    }
    request.split = state_->split();
    request.targetMb = budget_->target();
    request.options.rules = scoringView_->rules();
    request.options.randomDraws = scoringView_->randomDraws();
    request.options.run.minBits = budgetPanel_->minBits();
    if (!scoring_->start(request)) {  // it has said why (failed)
        if (error) error->clear();
        return false;
    }
    topTabs_->setCurrentWidget(scoringView_);
    return true;
}

void MainWindow::showScoring(std::shared_ptr<const ScoringResult> result) {
    scoringView_->setResult(std::move(result));
    topTabs_->setCurrentWidget(scoringView_);
}

namespace {
// A saved file's "format" field, or "" when it has none (or not as a string).
std::string formatOf(const nlohmann::json& j) {
    return j.is_object() && j.contains("format") && j["format"].is_string() ? j["format"].get<std::string>() : std::string();
}
}  // namespace

bool MainWindow::isComparisonFile(const QString& path) {
    try {
        const std::string format = formatOf(readJson(path.toStdString()));
        return format == "quantscope-scoring" || format == "quantscope-personalization";
    } catch (const std::exception&) {
        return false;
    }
}

bool MainWindow::openComparisonFile(const QString& path, QString* error) {
    try {
        const nlohmann::json j = readJson(path.toStdString());
        const std::string format = formatOf(j);
        if (format == "quantscope-scoring") {
            showScoring(std::make_shared<const ScoringResult>(scoringFromJson(j)));
        } else if (format == "quantscope-personalization") {
            showPersonalization(std::make_shared<const PersonalizationResult>(personalizationFromJson(j)));
        } else {
            throw InputError("not a saved comparison (scoring.json or personalization.json)");
        }
    } catch (const std::exception& e) {
        if (error) *error = QStringLiteral("%1: %2").arg(QDir::toNativeSeparators(path), QString::fromUtf8(e.what()));
        return false;
    }
    statusBar()->showMessage(tr("Opened %1").arg(QDir::toNativeSeparators(path)), 8000);
    return true;
}

void MainWindow::chooseComparisonToOpen() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open comparison results"), QDir::homePath(),
                                                      tr("Comparisons (scoring.json personalization.json *.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!openComparisonFile(path, &error)) showError(error);
}

void MainWindow::cancelScoring() {
    if (!scoring_->isRunning()) return;
    scoring_->cancel();
    statusBar()->showMessage(tr("Cancelling the scoring comparison after the clips in progress…"));
}

}  // namespace qs::gui
