// labels: gui unit
// The progress every background job reports through (app/gui/progress_ticker.h): the worker's reports
// reach the window as they were made, a cancel turns the worker's next report into "stop", and the
// time left is estimated per phase (it restarts when a phase begins or the fraction falls back).
#include <QSignalSpy>
#include <QTest>
#include <thread>

#include "app/gui/progress_ticker.h"

using namespace qs;
using namespace qs::gui;

class TestProgressTicker : public QObject {
    Q_OBJECT
private slots:
    void reportsReachTheWindow() {
        ProgressTicker job;
        QSignalSpy spy(&job, &ProgressTicker::progress);
        const auto slot = job.start();
        const ProgressFn fn = ProgressSlot::callback(slot);
        QVERIFY(fn(Progress{1, 4, 0.0, "clip 1 of 4"}));
        QVERIFY(spy.wait(2000));
        const QList<QVariant> last = spy.takeLast();
        QCOMPARE(last.at(0).toDouble(), 0.25);
        QCOMPARE(last.at(1).toString(), QStringLiteral("clip 1 of 4"));
        QVERIFY(last.at(2).toDouble() >= 0.0);  // a quarter done: an estimate exists
        job.finish();
    }

    void cancelStopsTheWorkerAtItsNextReport() {
        ProgressTicker job;
        const auto slot = job.start();
        const ProgressFn fn = ProgressSlot::callback(slot);
        QVERIFY(fn(Progress{1, 10, 0.0, ""}));
        job.cancel();
        bool answer = true;
        std::thread worker([&] { answer = fn(Progress{2, 10, 0.0, ""}); });
        worker.join();
        QVERIFY(!answer);
        QVERIFY(slot->stop.load());
        // After the job is over, a cancel is a no-op for the next job.
        job.finish();
        const auto next = job.start();
        job.finish();
        job.cancel();
        QVERIFY(!next->stop.load());
    }

    void aNewPhaseRestartsTheEstimate() {
        ProgressTicker job;
        QSignalSpy spy(&job, &ProgressTicker::progress);
        const auto slot = job.start();
        QVERIFY(slot->report(Progress{9, 10, 0.0, "export"}));
        QTest::qWait(1500);  // the first phase took at least 1.5 s
        QVERIFY(spy.count() > 0);
        // The window's timer runs on this thread, so nothing is read between these two lines.
        slot->beginPhase(QStringLiteral("evaluating"));
        QVERIFY(slot->report(Progress{5, 10, 0.0, "evaluating"}));
        spy.clear();
        QVERIFY(spy.wait(2000));
        const QList<QVariant> first = spy.takeFirst();
        QCOMPARE(first.at(0).toDouble(), 0.5);
        QCOMPARE(first.at(1).toString(), QStringLiteral("evaluating"));
        // Counted from the whole job, half done would leave >= 1.5 s; counted from the phase's start
        // (this very tick), almost nothing.
        QVERIFY2(first.at(2).toDouble() < 1.0, qPrintable(QString::number(first.at(2).toDouble())));
        job.finish();
    }
};

QTEST_MAIN(TestProgressTicker)
#include "test_gui_progress_ticker.moc"
