// labels: gui
// The studio within a memory limit, on the fixture whose memory grows fast with clip length
// (memory_hungry_scripted.pt, ~44 GiB for a 30 s window): a 20 s recording is analysed in shorter
// windows and the status line says so; the export then calibrates and evaluates within the same
// limit; a limit too small for any window is one readable error; the limit is a setting the studio
// remembers (Analysis > Memory limit…); Esc stops an analysis of long clips within a second or so.
#include <QtTest>

#include <QAction>
#include <QElapsedTimer>
#include <QSettings>
#include <QStatusBar>
#include <QTemporaryDir>
#include <memory>

#include "app/gui/analysis_controller.h"
#include "app/gui/export_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/studio_state.h"
#include "core/base/system_memory.h"
#include "tests/support/audio_files.h"
#include "tests/support/gui_wait.h"

using namespace qs;
using namespace qs::gui;

class TestGuiMemory : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        qputenv("XDG_CONFIG_HOME", dir_.filePath(QStringLiteral("config")).toUtf8());
        QCoreApplication::setOrganizationName(QStringLiteral("quantscope-tests"));
        audio_ = dir_.filePath(QStringLiteral("audio"));
        test::writeSine((audio_ + "/talker/long.wav").toStdString(), test::AudioFormat::Wav16, 16000, 1, 20.0, 210.0, 0.4);
    }
    void init() {
        window_ = std::make_unique<MainWindow>();
        window_->setInteractive(false);
        window_->show();
        window_->openModel(QS_FIXTURES_DIR "/memory_hungry_scripted.pt");
        window_->addAudioFolder(audio_);
        QVERIFY(test::waitIdle(window_.get()));
    }
    void cleanup() {
        QVERIFY(test::waitIdle(window_.get()));
        window_.reset();
    }

    void analysesInShorterWindowsAndSaysSo() {
        window_->setMaxMemory(std::int64_t(1) << 30);
        QSignalSpy notice(window_->analysis(), &AnalysisController::notice);
        QSignalSpy finished(window_->analysis(), &AnalysisController::finished);
        QVERIFY(window_->startAnalysis());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
        QCOMPARE(notice.count(), 1);
        const QString text = notice.at(0).at(0).toString();
        QVERIFY2(text.startsWith("1 recording(s) cut into ") && text.endsWith(" s windows, not 30 s, to fit the memory limit of 1.0 GiB"),
                 qPrintable(text));
        const double window = text.section(' ', 4, 4).toDouble();
        QVERIFY2(window >= 2.0 && window < 30.0, qPrintable(text));
        QCOMPARE(window_->state()->analysis()->speakers.at(0).clips, int(std::ceil(20.0 / window - 1e-9)));
        QVERIFY2(window_->statusBar()->currentMessage().endsWith("; " + text), qPrintable(window_->statusBar()->currentMessage()));

        // The export calibrates within the same limit. The one recording is also its calibration audio, so
        // the studio does not evaluate on it (quality is never measured on calibration clips; evaluation
        // under a limit: test_cli_memory).
        QSignalSpy exported(window_->exporter(), &ExportController::finished);
        QString error;
        QVERIFY2(window_->exportModelTo({dir_.filePath(QStringLiteral("export")), 8, 2}, &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 120000);
        const ExportResult r = exported.at(0).at(0).value<ExportResult>();
        QVERIFY(r.calibrationClips > 0);
        QVERIFY(!r.evaluated);
        QVERIFY2(r.evaluationProblem.contains(QStringLiteral("every clip was used for calibration")),
                 qPrintable(r.evaluationProblem));
    }

    void aLimitTooSmallIsOneMessage() {
        window_->setMaxMemory(processRss() + (std::int64_t(64) << 20));
        QSignalSpy failed(window_->analysis(), &AnalysisController::failed);
        QVERIFY(window_->startAnalysis());
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 60000);
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.contains(" needs about ") && message.contains(" for a 2.0 s window, but the memory budget of "),
                 qPrintable(message));
        QVERIFY(!window_->state()->analysis());
    }

    // The Analysis > Memory limit… setting, as the studio stores it, is back in a new window; an
    // explicit limit (quantscope --max-memory) wins for that window.
    void theLimitIsRemembered() {
        QSettings().setValue(QStringLiteral("jobs/maxMemory"), qint64(3) << 30);
        {
            MainWindow w;
            QCOMPARE(w.maxMemory(), std::int64_t(3) << 30);
            w.setMaxMemory(std::int64_t(1) << 30);
            QCOMPARE(w.maxMemory(), std::int64_t(1) << 30);
        }
        QSettings().remove(QStringLiteral("jobs/maxMemory"));
        MainWindow automatic;
        QCOMPARE(automatic.maxMemory(), std::int64_t(0));
        QVERIFY(automatic.findChild<QAction*>(QStringLiteral("memoryLimit")));
    }

    // Esc while clips of a few seconds are inside their forward passes: the job stops at the next
    // layer, not after its clips, so cancelled() comes well before a clip could have finished.
    void escStopsWithinThePass() {
        window_->setMaxMemory(std::int64_t(1) << 30);
        QSignalSpy progress(window_->analysis(), &AnalysisController::progress);
        QSignalSpy cancelled(window_->analysis(), &AnalysisController::cancelled);
        QSignalSpy finished(window_->analysis(), &AnalysisController::finished);
        QElapsedTimer clock;
        clock.start();
        QVERIFY(window_->startAnalysis());
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0, 60000);
        QTest::qWait(300);  // into the first clips' passes
        QElapsedTimer stopping;
        stopping.start();
        window_->findChild<QAction*>(QStringLiteral("cancel"))->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 30000);
        const qint64 ms = stopping.elapsed();
        QCOMPARE(finished.count(), 0);
        QVERIFY(!window_->state()->analysis());
        qInfo("cancelled() %lld ms after Esc", ms);
        QVERIFY2(ms < 3000, qPrintable(QString("took %1 ms").arg(ms)));
    }

private:
    QTemporaryDir dir_;
    QString audio_;
    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(TestGuiMemory)
#include "test_gui_memory.moc"
