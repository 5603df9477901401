// The studio's main window. A coordinator only: it lays out the panels and figures, turns user
// actions into controller calls, and pushes the state and results the controllers produce into
// the views. Nothing here computes; core/ does, on the controllers' thread pool.
#pragma once

#include <QMainWindow>
#include <QMap>
#include <QStringList>
#include <QThreadPool>
#include <cstdint>
#include <memory>

#include "app/gui/session.h"
#include "core/allocation/allocation.h"
#include "core/audio/speaker_profiles.h"
#include "core/personalization/personalization.h"
#include "widgets/figure_view.h"
#include "widgets/model_export_dialog.h"

class QAction;
class QLabel;
class QMenu;
class QTabWidget;

namespace qs {
struct ScoringResult;
}

namespace qs::gui {

struct AudioFolder;
class AllocationView;
class AnalysisController;
class AudioPanel;
class BudgetController;
class BudgetCurveView;
class BudgetPanel;
class ChannelView;
class ExportController;
struct ExportResult;
class ComparisonView;
class FileLoader;
class HistogramView;
class JobProgress;
class ModelPanel;
class OutlierView;
class PersonalizationController;
class PersonalizationView;
class ScoringController;
class ScoringView;
class RecentFiles;
class SensitivityView;
class StudioState;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Entry points for the menus, the command line and the tests. Loading runs in the background;
    // results and errors arrive later (errors on the status line and, when interactive, a dialog).
    void openModel(const QString& path);
    void addAudioFolder(const QString& path);
    bool startAnalysis();
    void cancelAnalysis();
    // Exports the current budget's allocation, calibrated on the analysed audio (narrowed to the
    // allocation's speaker), into settings.folder in the background. False (with *error) when it
    // cannot start; the outcome arrives later on the status line (errors also as a dialog).
    bool exportModelTo(const ModelExportSettings& settings, QString* error = nullptr);
    void exportModelInteractive();  // asks for the folder and options, then exports
    double roundingSeconds(const ModelExportSettings& settings) const;  // learned rounding's estimate; < 0: unknown
    void cancelExport();
    void selectLayer(int layer);        // in network order; selects it in every view
    void showFigure(const QString& figureId);  // brings the figure's tab to the front
    void setAnalyzeWhenReady(bool on);  // start an analysis as soon as a model and audio are in
    void setDistancePasses(bool on);    // analyses also run the distance passes (KL, L1, L2, cosine, SQNR)
    void setMaxClipsPerSpeaker(int n);  // 0: every clip
    // Memory limit of the analyses and exports in bytes (0: half of the memory available), remembered
    // across runs (Analysis > Memory limit…).
    void setMaxMemory(std::int64_t bytes);
    std::int64_t maxMemory() const { return maxMemory_; }
    bool saveSessionTo(const QString& path, QString* error = nullptr);
    bool openSessionFrom(const QString& path, QString* error = nullptr);
    // Shows a saved analysis (analysis.json) without its model or audio, with allocation's budget,
    // metric, order, floor, speaker and excluded layers when given (allocation.json), so that the
    // figures can be drawn and exported headless. The allocation's layers must be the analysis's.
    bool showSavedResults(std::shared_ptr<const Analysis> analysis, const Allocation* allocation,
                          QString* error = nullptr);
    bool exportFigure(const QString& figureId, const QString& path, const FigureExportOptions& options,
                      QString* error = nullptr);
    bool exportAllFigures(const QString& folder, const FigureExportOptions& options, QString* error = nullptr);
    // The personalization matrix (main_window_personal.cpp): each profile's own scheme against the
    // shared ones on the checked speakers of the active folder, at the view's budgets and spreads,
    // in the background. False (with *error) when it cannot start.
    bool startPersonalization(QString* error = nullptr);
    void cancelPersonalization();
    // Shows a comparison's result (e.g. a saved personalization.json) in the Personalization view.
    void showPersonalization(std::shared_ptr<const PersonalizationResult> result);
    // The scoring comparison (main_window_scoring.cpp): every metric × order and a random baseline at
    // the budget panel's budget on the checked speakers of the active folder, in the background.
    // With the view's "each speaker on its own", one comparison per speaker group (or per speaker when
    // no groups are loaded), each on its own tune and test clips.
    bool startScoring(QString* error = nullptr);
    void cancelScoring();
    // Shows a comparison's result (e.g. a saved scoring.json) in the Scoring view.
    void showScoring(std::shared_ptr<const ScoringResult> result);
    // Opens a saved comparison, scoring.json or personalization.json (told apart by their "format"),
    // in its view. False (with *error: the file and what is wrong) when it is neither or is damaged.
    bool openComparisonFile(const QString& path, QString* error = nullptr);
    void chooseComparisonToOpen();  // File > Open comparison results…
    static bool isComparisonFile(const QString& path);  // JSON with a comparison's "format"
    // The tune/test split (fraction 0: none) and speaker groups, as the audio panel sets them.
    void setSplit(const SplitSpec& split);
    bool loadSpeakerGroups(const QString& path, QString* error = nullptr);

    bool isBusy() const;                  // loading, scanning, analysing or exporting
    void setInteractive(bool on);         // false: errors go to the status line only (tests, screenshots)
    QString lastError() const { return lastError_; }
    QString sessionPath() const { return sessionPath_; }

    StudioState* state() const { return state_; }
    BudgetController* budget() const { return budget_; }
    AnalysisController* analysis() const { return analysis_; }
    ExportController* exporter() const { return exporter_; }
    BudgetPanel* budgetPanel() const { return budgetPanel_; }
    ModelPanel* modelPanel() const { return modelPanel_; }
    AudioPanel* audioPanel() const { return audioPanel_; }
    QList<FigureView*> figures() const;
    FigureView* figure(const QString& figureId) const;
    SensitivityView* sensitivityView() const { return sensitivity_; }
    AllocationView* allocationView() const { return allocation_; }
    HistogramView* histogramView() const { return histogram_; }
    ComparisonView* comparisonView() const { return comparison_; }
    PersonalizationView* personalizationView() const { return personal_; }
    PersonalizationController* personalization() const { return personalization_; }
    ScoringView* scoringView() const { return scoringView_; }
    ScoringController* scoring() const { return scoring_; }

signals:
    void idle();  // every background job has finished

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    // main_window.cpp: layout and wiring
    void buildLayout();
    void connectControllers();
    void showError(const QString& message);
    void checkIdle();
    void maybeAutoAnalyze();
    void connectAnalysisProgress();
    // The speaker groups of the active folder that have checked speakers, each narrowed to those
    // (empty without groups).
    std::vector<Profile> checkedGroups(const AudioFolder* folder, const std::vector<std::string>& checked) const;

    // main_window_export.cpp: the quantized-model export
    void connectExport();
    QString calibrationFolder() const;  // the analysed folder as loaded, else as the analysis names it
    QString allocationSummary() const;
    QString calibrationSummary() const;
    void onExportFinished(const ExportResult& result);

    // main_window_personal.cpp: the split, speaker groups and the personalization matrix
    void connectPersonalization();
    void refreshSplit();  // the audio panel's tune/test counts and summary for the loaded folders
    // main_window_scoring.cpp: the scoring comparison and applying a rule to the budget panel
    void connectScoring();

    // main_window_actions.cpp: actions, menus, dialogs, window settings
    void createActions();
    void createMenus();
    void updateActions();
    void chooseModel();
    void chooseAudioFolder();
    void chooseSessionToOpen();
    bool saveSessionInteractive(bool askPath);
    void exportCurrentFigureInteractive();
    void exportFigureInteractive(FigureView* view);
    void exportAllInteractive();
    void saveAllocationInteractive();
    void saveAnalysisInteractive();
    void restoreWindowSettings();
    void saveWindowSettings();

    // main_window_sync.cpp: results into views
    void onModelLoaded();
    void onAnalysisChanged();
    void onLayersChanged();
    void onCurvesChanged();
    void onAllocationChanged();
    void onSelectionChanged();
    void onBudgetSettingsEdited();
    void refreshComparison();
    void refreshLayerStats();
    void refreshModelSummary();
    void refreshFigureContext();  // what the figures show, for the captions of exported figures
    void refreshAudioStatus();  // the analysed speakers of the analysis on show
    void onSpeakerFinished(std::shared_ptr<const Analysis> partial, const QString& speaker);
    // Puts an analysis on show (partial: the results so far of the running one); targetMb > 0
    // keeps that budget, else the default one is used.
    void showAnalysisResult(std::shared_ptr<const Analysis> analysis, bool partial, double targetMb);

    // main_window_session.cpp
    Session captureSession() const;
    void applySession(const Session& s);
    void applyPendingAudioChecks(const QString& folder);

    StudioState* state_ = nullptr;
    QThreadPool pool_;
    FileLoader* loader_ = nullptr;
    AnalysisController* analysis_ = nullptr;
    ExportController* exporter_ = nullptr;
    PersonalizationController* personalization_ = nullptr;
    ScoringController* scoring_ = nullptr;
    BudgetController* budget_ = nullptr;
    RecentFiles* recent_ = nullptr;

    ModelPanel* modelPanel_ = nullptr;
    AudioPanel* audioPanel_ = nullptr;
    BudgetPanel* budgetPanel_ = nullptr;
    QTabWidget* topTabs_ = nullptr;
    QTabWidget* bottomTabs_ = nullptr;
    SensitivityView* sensitivity_ = nullptr;
    AllocationView* allocation_ = nullptr;
    ComparisonView* comparison_ = nullptr;
    BudgetCurveView* curve_ = nullptr;
    HistogramView* histogram_ = nullptr;
    OutlierView* outliers_ = nullptr;
    ChannelView* channels_ = nullptr;
    PersonalizationView* personal_ = nullptr;
    ScoringView* scoringView_ = nullptr;
    JobProgress* job_ = nullptr;
    FigureView* currentFigure_ = nullptr;

    QMap<QString, QAction*> actions_;
    QMenu* recentModels_ = nullptr;
    QMenu* recentAudio_ = nullptr;
    QMenu* recentSessions_ = nullptr;

    bool interactive_ = true;
    bool analyzeWhenReady_ = false;
    bool syncing_ = false;         // pushing state into widgets: ignore their change signals
    QString lastError_;
    QString sessionPath_;
    QString pendingActiveFolder_;  // from a session: speakers to check once the folder is scanned
    QStringList pendingChecked_;
    QStringList pendingFolders_;   // the session's folders still being scanned
    QString pendingSelectedLayer_;
    FigureExportOptions exportOptions_;
    int maxClipsPerSpeaker_ = 0;   // 0: every clip
    std::int64_t maxMemory_ = 0;   // 0: automatic
    QString analysisNotice_;       // the running analysis's notice (windows cut to fit the memory limit)
    void chooseMaxMemory();
    QString lastExportDir_;
    ModelExportSettings modelExport_;  // the export dialog's last choices
    // The analysis running: the folder it reads, and what was on show before its first partial
    // result (shown again when it is cancelled or fails).
    QString runFolder_;
    std::shared_ptr<const Analysis> analysisBeforeRun_;
    double targetBeforeRun_ = 0.0;
    int runSpeakers_ = 0;  // speakers the running analysis covers
    bool showingPartial_ = false;
};

}  // namespace qs::gui
