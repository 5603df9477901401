// MainWindow: the tune/test split and speaker groups (set in the audio panel) and the
// personalization matrix (its view and controller). Coordination only: core computes.
#include <QFileDialog>
#include <QFileInfo>
#include <QRegularExpression>
#include <algorithm>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>

#include "app/gui/analysis_controller.h"
#include "app/gui/export_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/personalization_controller.h"
#include "app/gui/studio_state.h"
#include "core/base/errors.h"
#include "core/quantize/range_methods.h"
#include "widgets/audio_panel.h"
#include "widgets/job_progress.h"
#include "widgets/personalization_view.h"
#include "widgets/plot_style.h"

namespace qs::gui {

void MainWindow::connectPersonalization() {
    connect(audioPanel_, &AudioPanel::splitChosen, this, [this](double f) {
        setSplit(f > 0 ? SplitSpec::fraction(f) : SplitSpec{});
    });
    connect(audioPanel_, &AudioPanel::splitListRequested, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Choose a split list (path,part)"), QString(),
                                                          tr("Split lists (*.csv);;All files (*)"));
        if (path.isEmpty()) {
            audioPanel_->setSplitChoice(state_->split().testFraction, QString::fromStdString(state_->split().listPath));
            return;
        }
        setSplit(SplitSpec::list(path.toStdString()));
    });
    connect(audioPanel_, &AudioPanel::groupsRequested, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Speaker metadata"), QString(),
            tr("Speaker metadata (SPEAKERS.TXT *.tsv *.csv);;All files (*)"));
        QString error;
        if (!path.isEmpty() && !loadSpeakerGroups(path, &error)) showError(error);
    });
    connect(audioPanel_, &AudioPanel::groupByChosen, this, [this](const QString& attribute) {
        state_->setSpeakerGroups(state_->speakerTable(), attribute);
    });
    connect(state_, &StudioState::audioChanged, this, &MainWindow::refreshSplit);
    connect(state_, &StudioState::splitChanged, this, &MainWindow::refreshSplit);
    connect(state_, &StudioState::speakerGroupsChanged, this, &MainWindow::refreshSplit);

    connect(personal_, &PersonalizationView::runRequested, this, [this] {
        QString error;
        if (!startPersonalization(&error) && !error.isEmpty()) showError(error);
    });
    connect(personal_, &PersonalizationView::cancelRequested, this, &MainWindow::cancelPersonalization);
    connect(personalization_, &PersonalizationController::started, this, [this](const QString& what) {
        personal_->setRunning(true);
        job_->start(what);
        statusBar()->showMessage(what + QStringLiteral("…"));
        updateActions();
    });
    connect(personalization_, &PersonalizationController::progress, job_, &JobProgress::setProgress);
    connect(personalization_, &PersonalizationController::finished, this,
            [this](std::shared_ptr<const PersonalizationResult> result) {
                job_->finish();
                personal_->setRunning(false);
                personal_->setResult(result);
                statusBar()->showMessage(tr("Comparison done in %1: %2").arg(formatSeconds(result->elapsedSeconds),
                                                                             personal_->summary().remove(QRegularExpression("<[^>]*>"))),
                                         20000);
                updateActions();
                checkIdle();
            });
    connect(personalization_, &PersonalizationController::cancelled, this, [this] {
        job_->finish();
        personal_->setRunning(false);
        statusBar()->showMessage(tr("Comparison cancelled; the previous results are unchanged."));
        updateActions();
        checkIdle();
    });
    connect(personalization_, &PersonalizationController::failed, this, [this](const QString& message) {
        job_->finish();
        personal_->setRunning(false);
        showError(tr("Comparison failed: %1").arg(message));
        updateActions();
        checkIdle();
    });
    refreshSplit();
}

void MainWindow::setSplit(const SplitSpec& split) {
    state_->setSplit(split);
    audioPanel_->setSplitChoice(split.kind == SplitSpec::Kind::Fraction ? split.testFraction : 0.0,
                                QString::fromStdString(split.listPath));
}

bool MainWindow::loadSpeakerGroups(const QString& path, QString* error) {
    try {
        auto table = std::make_shared<const SpeakerTable>(readSpeakerTable(path.toStdString()));
        state_->setSpeakerGroups(std::move(table));
        return true;
    } catch (const Error& e) {
        if (error) *error = tr("Cannot use %1 for speaker groups: %2").arg(QFileInfo(path).fileName(), QString::fromUtf8(e.what()));
        return false;
    }
}

void MainWindow::refreshSplit() {
    QString splitSummary, groupsSummary;
    for (const AudioFolder& folder : state_->audioFolders()) {
        if (!folder.corpus) continue;
        QMap<QString, QPair<int, int>> counts;
        if (state_->split().active()) {
            try {
                const ClipSplit split = state_->splitOf(*folder.corpus);
                for (const Speaker& s : folder.corpus->speakers())
                    counts[QString::fromStdString(s.name)] = {split.fileCount(ClipPart::Tune, s.name),
                                                              split.fileCount(ClipPart::Test, s.name)};
                if (folder.path == audioPanel_->activeFolder() || splitSummary.isEmpty())
                    splitSummary = tr("%1: %2 tune files (analysis, allocation, calibration), %3 test files (evaluation)%4")
                                       .arg(QString::fromStdString(split.record().description))
                                       .arg(split.fileCount(ClipPart::Tune))
                                       .arg(split.fileCount(ClipPart::Test))
                                       .arg(split.fileCount(ClipPart::Unused) > 0
                                                ? tr(", %1 not listed").arg(split.fileCount(ClipPart::Unused))
                                                : QString());
            } catch (const Error& e) {
                splitSummary = tr("The split cannot be used: %1").arg(QString::fromUtf8(e.what()));
            }
        }
        audioPanel_->setSplitCounts(folder.path, counts);
        if (state_->speakerTable()) {
            const std::vector<Profile> groups = state_->groupsOf(*folder.corpus);
            QStringList names;
            for (const Profile& g : groups) names << QStringLiteral("%1 (%2)").arg(QString::fromStdString(g.name)).arg(g.speakers.size());
            if (folder.path == audioPanel_->activeFolder() || groupsSummary.isEmpty())
                groupsSummary = groups.empty() ? tr("No speaker of this folder is in %1").arg(QString::fromStdString(state_->speakerTable()->source))
                                               : tr("Groups: %1").arg(names.join(QStringLiteral(", ")));
        }
    }
    if (!state_->split().active()) splitSummary.clear();
    audioPanel_->setSplitSummary(splitSummary);
    QStringList attributes;
    if (state_->speakerTable())
        for (const std::string& a : state_->speakerTable()->attributes) attributes << QString::fromStdString(a);
    const QString current = state_->groupBy().isEmpty() && state_->speakerTable()
                                ? QString::fromStdString(state_->speakerTable()->defaultAttribute)
                                : state_->groupBy();
    audioPanel_->setGroups(attributes, current, groupsSummary);
    personal_->setNote(state_->split().active()
                           ? tr("Next comparison: tune and test clips as in the audio panel (%1).").arg(QString::fromStdString(state_->split().describe()))
                           : tr("Next comparison: no split is chosen in the audio panel, so it holds out 50% of each "
                                "speaker's files for test. Profiles: %1.")
                                 .arg(state_->speakerTable() ? tr("the speaker groups") : tr("each checked speaker alone")));
}

bool MainWindow::startPersonalization(QString* error) {
    auto fail = [&](const QString& message) {
        if (error) *error = tr("Comparison failed: %1").arg(message);
        return false;
    };
    if (analysis_->isRunning() || exporter_->isRunning())
        return fail(tr("wait for the analysis or export to finish (or cancel it) before comparing"));
    PersonalizationRequest request;
    request.model = state_->model();
    request.audioFolder = audioPanel_->activeFolder();
    const AudioFolder* folder = state_->audioFolder(request.audioFolder);
    if (folder) request.corpus = folder->corpus;
    for (const QString& s : audioPanel_->checkedSpeakers()) request.speakers.push_back(s.toStdString());
    request.profiles = checkedGroups(folder, request.speakers);  // none: each speaker alone
    request.split = state_->split();
    QString problem;
    request.budgetBits = personal_->budgetBits(&problem);
    request.options.spreads = personal_->spreads(problem.isEmpty() ? &problem : nullptr);
    const WeightMethod weights = parseWeightCalibration(personal_->weightCalibration().toStdString());
    request.options.calibration.weights.method = weights.range;
    request.options.calibration.rounding.method = weights.rounding;
    if (!problem.isEmpty()) return fail(problem);
    if (!personalization_->start(request)) {  // it has said why (failed)
        if (error) error->clear();
        return false;
    }
    topTabs_->setCurrentWidget(personal_);
    return true;
}

std::vector<Profile> MainWindow::checkedGroups(const AudioFolder* folder, const std::vector<std::string>& checked) const {
    std::vector<Profile> groups;
    if (!folder || !folder->corpus) return groups;
    groups = state_->groupsOf(*folder->corpus);
    for (Profile& g : groups)
        g.speakers.erase(std::remove_if(g.speakers.begin(), g.speakers.end(), [&](const std::string& m) {
            return std::find(checked.begin(), checked.end(), m) == checked.end();
        }), g.speakers.end());
    groups.erase(std::remove_if(groups.begin(), groups.end(), [](const Profile& g) { return g.speakers.empty(); }), groups.end());
    return groups;
}

void MainWindow::showPersonalization(std::shared_ptr<const PersonalizationResult> result) {
    personal_->setResult(std::move(result));
    topTabs_->setCurrentWidget(personal_);
}

void MainWindow::cancelPersonalization() {
    if (!personalization_->isRunning()) return;
    personalization_->cancel();
    statusBar()->showMessage(tr("Cancelling the comparison after the clips in progress…"));
}

}  // namespace qs::gui
