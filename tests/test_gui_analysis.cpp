// labels: gui
// The analysis controller in the window: an analysis runs off the GUI thread with progress, the event
// loop keeps turning meanwhile, cancelling leaves the app usable (a second analysis then completes),
// and failures arrive as one readable message instead of a crash. Each speaker's results reach the
// views as soon as that speaker is done, and a run cancelled after that puts the previous results back.
#include <QtTest>

#include <QAction>
#include <QComboBox>
#include <QElapsedTimer>
#include <QSlider>
#include <QStandardItemModel>
#include <QMimeData>
#include <QTemporaryDir>
#include <QTimer>
#include <memory>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/recent_files.h"
#include "app/gui/studio_state.h"
#include "core/audio/audio_corpus.h"
#include "tests/support/audio_files.h"
#include "tests/support/gui_wait.h"
#include "widgets/allocation_view.h"
#include "widgets/audio_panel.h"
#include "widgets/budget_panel.h"
#include "widgets/comparison_view.h"
#include "widgets/sensitivity_view.h"
#include "core/allocation/allocation.h"
#include "core/allocation/sensitivity.h"

using namespace qs;
using namespace qs::gui;

namespace {

// Folder of speakers with clips long enough that an analysis takes a while on the fixture model.
void writeSpeakers(const QString& root, int speakers, int clips, double seconds) {
    for (int s = 0; s < speakers; ++s)
        for (int k = 0; k < clips; ++k)
            test::writeSine(QStringLiteral("%1/spk%2/clip%3.wav").arg(root).arg(s).arg(k).toStdString(),
                            test::AudioFormat::Wav16, 16000, 1, seconds, 200.0 + 70 * s + 13 * k, 0.3);
}

using test::waitIdle;

}  // namespace

class TestGuiAnalysis : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void loadsModelAndAudioInBackground();
    void cancelLeavesTheAppUsable();
    void eventLoopKeepsTurningWhileAnalysing();
    void analyzeWhenReadyStartsByItself();
    void checkedSpeakersLimitTheAnalysis();
    void distancePassesEnableDistanceMetrics();
    void dropsOpenModelsAndFolders();
    void shortcutsAndRecentFiles();
    void badModelGivesOneMessage();
    void analysisWithoutModelSaysWhy();
    void speakerResultsArriveBeforeTheEnd();
    void cancelAfterASpeakerPutsThePreviousResultsBack();

private:
    QTemporaryDir dir_;
    QString audio_, longAudio_, threeAudio_, unevenAudio_;
    std::unique_ptr<MainWindow> window_;
};

void TestGuiAnalysis::initTestCase() {
    QVERIFY(dir_.isValid());
    qputenv("XDG_CONFIG_HOME", dir_.filePath(QStringLiteral("config")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("quantscope-tests"));
    audio_ = dir_.filePath(QStringLiteral("audio"));
    longAudio_ = dir_.filePath(QStringLiteral("long"));
    writeSpeakers(audio_, 2, 2, 0.6);
    writeSpeakers(longAudio_, 2, 30, 3.0);
    threeAudio_ = dir_.filePath(QStringLiteral("three"));
    writeSpeakers(threeAudio_, 3, 4, 1.5);
    // A quick first speaker, then a long one.
    unevenAudio_ = dir_.filePath(QStringLiteral("uneven"));
    writeSpeakers(unevenAudio_, 1, 2, 0.5);
    for (int k = 0; k < 40; ++k)
        test::writeSine(QStringLiteral("%1/spk9/clip%2.wav").arg(unevenAudio_).arg(k).toStdString(), test::AudioFormat::Wav16,
                        16000, 1, 3.0, 500.0 + 11 * k, 0.3);
    test::writeText(QStringLiteral("%1/spk0/broken.wav").arg(audio_).toStdString(), "not audio");
}

void TestGuiAnalysis::init() {
    window_ = std::make_unique<MainWindow>();
    window_->setInteractive(false);
    window_->show();
}

void TestGuiAnalysis::cleanup() { window_.reset(); }

void TestGuiAnalysis::loadsModelAndAudioInBackground() {
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(audio_);
    QVERIFY(window_->isBusy());  // both jobs were handed to the pool, not run inline
    QVERIFY(waitIdle(window_.get()));
    QVERIFY(window_->state()->model());
    QCOMPARE(window_->state()->layers().size(), window_->state()->model()->info().layers.size());
    QCOMPARE(window_->audioPanel()->checkedSpeakers(), QStringList({"spk0", "spk1"}));
    QCOMPARE(window_->state()->audioFolders().size(), std::size_t(1));
    QCOMPARE(window_->state()->audioFolders()[0].corpus->skipped().size(), std::size_t(1));
    QVERIFY(window_->lastError().isEmpty());
}

void TestGuiAnalysis::cancelLeavesTheAppUsable() {
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(longAudio_);
    QVERIFY(waitIdle(window_.get()));
    AnalysisController* controller = window_->analysis();
    QSignalSpy cancelled(controller, &AnalysisController::cancelled);
    QSignalSpy finished(controller, &AnalysisController::finished);
    QSignalSpy progress(controller, &AnalysisController::progress);

    QVERIFY(window_->startAnalysis());
    QVERIFY(controller->isRunning());
    QVERIFY(!window_->findChild<QAction*>(QStringLiteral("analyze"))->isEnabled());
    QVERIFY(window_->findChild<QAction*>(QStringLiteral("cancel"))->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0, 20000);
    // Esc is the cancel shortcut.
    window_->findChild<QAction*>(QStringLiteral("cancel"))->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 30000);
    QCOMPARE(finished.count(), 0);
    QVERIFY(!controller->isRunning());
    QVERIFY(!window_->state()->analysis());  // nothing partial was kept
    QVERIFY(window_->findChild<QAction*>(QStringLiteral("analyze"))->isEnabled());
    QVERIFY(window_->lastError().isEmpty());

    // The app is usable: a second analysis (of a small folder) runs to the end.
    window_->addAudioFolder(audio_);
    QVERIFY(waitIdle(window_.get()));
    QCOMPARE(window_->audioPanel()->activeFolder(), audio_);
    QVERIFY(window_->startAnalysis());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QVERIFY(window_->state()->analysis());
    const Analysis& a = *window_->state()->analysis();
    QCOMPARE(a.speakers.size(), std::size_t(2));
    QCOMPARE(a.layers.size(), window_->state()->model()->info().layers.size());
    QCOMPARE(a.speakers[0].clips, 2);
    QVERIFY(window_->budget()->ready());
}

void TestGuiAnalysis::eventLoopKeepsTurningWhileAnalysing() {
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(longAudio_);
    QVERIFY(waitIdle(window_.get()));
    QVERIFY(window_->startAnalysis());
    // A 10 ms timer on the GUI thread: the longest gap between its ticks is the worst stall.
    QElapsedTimer clock;
    clock.start();
    qint64 last = 0, worst = 0;
    int ticks = 0;
    QTimer timer;
    timer.setInterval(10);
    connect(&timer, &QTimer::timeout, this, [&] {
        const qint64 now = clock.elapsed();
        worst = std::max(worst, now - last);
        last = now;
        ++ticks;
    });
    timer.start();
    QTest::qWait(1500);
    timer.stop();
    window_->cancelAnalysis();
    QVERIFY(waitIdle(window_.get()));
    qInfo("event loop: %d ticks in 1.5 s, longest gap %lld ms", ticks, worst);
    QVERIFY(ticks > 40);
    QVERIFY2(worst < 250, qPrintable(QStringLiteral("the GUI thread stalled for %1 ms").arg(worst)));
}

void TestGuiAnalysis::analyzeWhenReadyStartsByItself() {
    QSignalSpy finished(window_->analysis(), &AnalysisController::finished);
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(audio_);
    window_->setAnalyzeWhenReady(true);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QVERIFY(window_->state()->analysis());
    QVERIFY(window_->budget()->ready());
    QCOMPARE(window_->state()->selectedLayer(), 0);
}

void TestGuiAnalysis::checkedSpeakersLimitTheAnalysis() {
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(audio_);
    QVERIFY(waitIdle(window_.get()));
    window_->audioPanel()->setCheckedSpeakers(audio_, {QStringLiteral("spk1")});
    QSignalSpy finished(window_->analysis(), &AnalysisController::finished);
    QVERIFY(window_->startAnalysis());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    const Analysis& a = *window_->state()->analysis();
    QCOMPARE(a.speakers.size(), std::size_t(1));
    QCOMPARE(QString::fromStdString(a.speakers[0].name), QStringLiteral("spk1"));
    QCOMPARE(window_->budget()->speakers(), QStringList({"all", "spk1"}));
}

void TestGuiAnalysis::dropsOpenModelsAndFolders() {
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(QS_FIXTURES_DIR "/w2v2_traced.pt"), QUrl::fromLocalFile(audio_)});
    QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(window_.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(window_.get(), &drop);
    QVERIFY(waitIdle(window_.get()));
    QVERIFY(window_->state()->model());
    QCOMPARE(window_->audioPanel()->folders(), QStringList({audio_}));
    // Remote URLs are refused.
    QMimeData remote;
    remote.setUrls({QUrl(QStringLiteral("https://example.org/model.pt"))});
    QDragEnterEvent refused(QPoint(50, 50), Qt::CopyAction, &remote, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QCoreApplication::sendEvent(window_.get(), &refused);
    QVERIFY(!refused.isAccepted());
}

void TestGuiAnalysis::shortcutsAndRecentFiles() {
    const struct { const char* action; QKeySequence keys; } expected[] = {
        {"openModel", QKeySequence(Qt::CTRL | Qt::Key_O)},
        {"addAudio", QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O)},
        {"analyze", QKeySequence(Qt::CTRL | Qt::Key_R)},
        {"cancel", QKeySequence(Qt::Key_Escape)},
        {"exportFigure", QKeySequence(Qt::CTRL | Qt::Key_E)},
        {"saveSession", QKeySequence(Qt::CTRL | Qt::Key_S)},
    };
    for (const auto& e : expected) {
        auto* action = window_->findChild<QAction*>(QString::fromLatin1(e.action));
        QVERIFY2(action, e.action);
        QCOMPARE(action->shortcut(), e.keys);
    }
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(audio_);
    QVERIFY(waitIdle(window_.get()));
    RecentFiles recent;
    QCOMPARE(recent.list(RecentFiles::Kind::Model).value(0), QFileInfo(QS_FIXTURES_DIR "/w2v2_traced.pt").absoluteFilePath());
    QCOMPARE(recent.list(RecentFiles::Kind::Audio).value(0), audio_);
    // Ctrl+R starts the analysis.
    QSignalSpy started(window_->analysis(), &AnalysisController::started);
    window_->activateWindow();
    QTest::keyClick(window_.get(), Qt::Key_R, Qt::ControlModifier);
    QCOMPARE(started.count(), 1);
    window_->cancelAnalysis();
    QVERIFY(waitIdle(window_.get()));
}

void TestGuiAnalysis::distancePassesEnableDistanceMetrics() {
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(audio_);
    QVERIFY(waitIdle(window_.get()));
    auto* metric = window_->budgetPanel()->findChild<QComboBox*>(QStringLiteral("metric"));
    auto* items = qobject_cast<QStandardItemModel*>(metric->model());
    const int kl = metric->findData(QStringLiteral("kl"));
    QVERIFY(kl >= 0);
    QVERIFY(!items->item(kl)->isEnabled());  // no distance passes yet

    window_->setDistancePasses(true);
    QSignalSpy finished(window_->analysis(), &AnalysisController::finished);
    QVERIFY(window_->startAnalysis());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    const auto analysis = window_->state()->analysis();
    QVERIFY(analysis->hasDistances());
    QVERIFY(items->item(kl)->isEnabled());
    window_->budgetPanel()->setMetric(QStringLiteral("kl"));
    QVERIFY2(window_->budget()->problem().isEmpty(), qPrintable(window_->budget()->problem()));
    window_->budgetPanel()->slider()->setValue(300);
    const BudgetCurve curve = BudgetCurve::build(sizeModelFor(*analysis), layerScores(*analysis, Metric::Kl), {});
    QCOMPARE(window_->allocationView()->bits(), curve.lookup(window_->budgetPanel()->targetAt(300)));
}

void TestGuiAnalysis::badModelGivesOneMessage() {
    window_->openModel(QS_FIXTURES_DIR "/not_a_model.pt");
    QVERIFY(waitIdle(window_.get()));
    QVERIFY(!window_->state()->model());
    QVERIFY(window_->lastError().startsWith(QStringLiteral("Could not open not_a_model.pt: ")));
    QVERIFY(!window_->lastError().contains(QLatin1Char('\n')));
    // Still usable: a good model opens next.
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    QVERIFY(waitIdle(window_.get()));
    QVERIFY(window_->state()->model());
}

void TestGuiAnalysis::analysisWithoutModelSaysWhy() {
    window_->addAudioFolder(audio_);
    QVERIFY(waitIdle(window_.get()));
    QVERIFY(!window_->startAnalysis());
    QVERIFY(window_->lastError().contains(QStringLiteral("open a model")));
    window_->addAudioFolder(dir_.filePath(QStringLiteral("does-not-exist")));
    QVERIFY(waitIdle(window_.get()));
    QVERIFY(window_->lastError().startsWith(QStringLiteral("Could not read does-not-exist: ")));
}

void TestGuiAnalysis::speakerResultsArriveBeforeTheEnd() {
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(threeAudio_);
    QVERIFY(waitIdle(window_.get()));
    AnalysisController* controller = window_->analysis();
    QSignalSpy finished(controller, &AnalysisController::finished);
    QSignalSpy planned(controller, &AnalysisController::speakersPlanned);
    QSignalSpy progress(controller, &AnalysisController::speakerProgress);
    // What the views show each time a speaker's results arrive (the window's own slot runs first).
    struct Seen {
        int speakers = 0;
        bool partial = false;
        int finishedBefore = 0;
        QStringList budgetSpeakers, shownBars, compared;
        QString firstStatus, lastStatus;
        qint64 atMs = 0;
    };
    QList<Seen> seen;
    QElapsedTimer clock;
    clock.start();
    connect(controller, &AnalysisController::speakerFinished, this, [&](std::shared_ptr<const Analysis> partial, const QString& speaker) {
        QCOMPARE(QString::fromStdString(partial->speakers.back().name), speaker);
        Seen s;
        s.speakers = int(partial->speakers.size());
        s.partial = window_->state()->analysisIsPartial() && window_->state()->analysis() == partial;
        s.finishedBefore = finished.count();
        s.budgetSpeakers = window_->budget()->speakers();
        s.shownBars = window_->sensitivityView()->shownSpeakers();
        s.compared = {window_->comparisonView()->speakerA(), window_->comparisonView()->speakerB()};
        s.firstStatus = window_->audioPanel()->speakerStatusText(threeAudio_, QStringLiteral("spk0"));
        s.lastStatus = window_->audioPanel()->speakerStatusText(threeAudio_, QStringLiteral("spk2"));
        s.atMs = clock.elapsed();
        seen << s;
    });
    QStringList running;  // the audio panel's status of a speaker while its clips go through
    connect(controller, &AnalysisController::speakerProgress, this, [&](const QString& speaker, int done, int total) {
        if (done > 0 && done < total) running << window_->audioPanel()->speakerStatusText(threeAudio_, speaker);
    });

    QVERIFY(window_->startAnalysis());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    QCOMPARE(planned.count(), 1);
    QCOMPARE(planned.at(0).at(0).toStringList(), QStringList({"spk0", "spk1", "spk2"}));
    QVERIFY(!seen.isEmpty());
    QVERIFY(progress.count() > 0);
    const Seen& first = seen.front();
    qInfo("%d partial results before the end, the first with %d speaker(s); %d speaker progress reports",
          int(seen.size()), first.speakers, int(progress.count()));
    QVERIFY2(first.speakers < 3, "the first speaker's results came only with the last one");
    QCOMPARE(first.finishedBefore, 0);
    QVERIFY(first.partial);
    QVERIFY(first.budgetSpeakers.contains(QStringLiteral("spk0")));
    QVERIFY(!first.budgetSpeakers.contains(QStringLiteral("spk2")));
    QVERIFY(first.shownBars.contains(QStringLiteral("spk0")));
    QVERIFY(first.compared.contains(QStringLiteral("spk0")));
    QVERIFY(first.firstStatus.contains(QStringLiteral("analysed")));
    QVERIFY(!first.lastStatus.contains(QStringLiteral("analysed")));
    QVERIFY(!first.lastStatus.isEmpty());  // queued, or its clips counting
    for (const QString& status : running) QVERIFY2(status.contains(QStringLiteral(" clips")), qPrintable(status));
    // Each partial result redraws every figure: they are at least kPartialIntervalMs apart.
    for (int i = 1; i < seen.size(); ++i)
        QVERIFY(seen[i].atMs - seen[i - 1].atMs >= AnalysisController::kPartialIntervalMs);

    // Finished: the complete analysis, every speaker analysed, nothing partial left.
    QVERIFY(!window_->state()->analysisIsPartial());
    QCOMPARE(window_->state()->analysis()->speakers.size(), std::size_t(3));
    QCOMPARE(window_->budget()->speakers(), QStringList({"all", "spk0", "spk1", "spk2"}));
    for (const char* s : {"spk0", "spk1", "spk2"})
        QVERIFY(window_->audioPanel()->speakerStatusText(threeAudio_, QString::fromLatin1(s)).contains(QStringLiteral("analysed")));
    QVERIFY(window_->findChild<QAction*>(QStringLiteral("saveAnalysis"))->isEnabled());
}

void TestGuiAnalysis::cancelAfterASpeakerPutsThePreviousResultsBack() {
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(audio_);
    QVERIFY(waitIdle(window_.get()));
    AnalysisController* controller = window_->analysis();
    QSignalSpy finished(controller, &AnalysisController::finished);
    QVERIFY(window_->startAnalysis());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    const std::shared_ptr<const Analysis> before = window_->state()->analysis();
    QVERIFY(before);
    window_->budgetPanel()->slider()->setValue(250);
    const double target = window_->budget()->target();

    window_->addAudioFolder(unevenAudio_);
    QVERIFY(waitIdle(window_.get()));
    QSignalSpy cancelled(controller, &AnalysisController::cancelled);
    bool partialShown = false, saveDisabled = false;
    connect(controller, &AnalysisController::speakerFinished, this, [&] {
        partialShown = window_->state()->analysisIsPartial() && window_->state()->analysis()->speakers.size() == 1;
        saveDisabled = !window_->findChild<QAction*>(QStringLiteral("saveSession"))->isEnabled();
        window_->cancelAnalysis();
    });
    QVERIFY(window_->startAnalysis());
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 120000);
    QVERIFY(partialShown);
    QVERIFY(saveDisabled);
    QCOMPARE(finished.count(), 1);
    // The previous analysis and budget are back; the cancelled run's speakers show no status.
    QCOMPARE(window_->state()->analysis(), before);
    QVERIFY(!window_->state()->analysisIsPartial());
    QCOMPARE(window_->budget()->target(), target);
    QVERIFY(window_->audioPanel()->speakerStatusText(unevenAudio_, QStringLiteral("spk0")).isEmpty());
    QVERIFY(window_->audioPanel()->speakerStatusText(unevenAudio_, QStringLiteral("spk9")).isEmpty());
    QVERIFY(window_->audioPanel()->speakerStatusText(audio_, QStringLiteral("spk1")).contains(QStringLiteral("analysed")));
    QVERIFY(window_->findChild<QAction*>(QStringLiteral("saveSession"))->isEnabled());
    QVERIFY(window_->lastError().isEmpty());
}

QTEST_MAIN(TestGuiAnalysis)
#include "test_gui_analysis.moc"
