// labels: unit
// links: qs_base
// Memory budgets and plans without a model: sizes as text both ways, the machine's figures, a forward
// pass's predicted peak from fitted stages, the window and worker count a budget allows (exact values
// of the planner's formula), the one-line errors, and cancel flags chained across scopes.
#include <QtTest>

#include <atomic>
#include <cmath>
#include <thread>

#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/base/memory_plan.h"
#include "core/base/system_memory.h"

namespace {

constexpr double MiB = 1024.0 * 1024.0;

// A pass whose largest stage holds 10 MiB + 4 MiB·s + 2 MiB·s², probed at 0.5, 1 and 2 s; a second
// stage is linear and larger at short lengths only.
qs::ForwardMemory quadratic() {
    qs::ForwardMemory f;
    f.stages = {{10 * MiB, 4 * MiB, 2 * MiB}, {30 * MiB, 1 * MiB, 0}};
    f.probeSeconds = {0.5, 1, 2};
    f.probePeakBytes = {31 * MiB, 31 * MiB, 32 * MiB};
    f.outputBytesPerSecond = 0.25 * MiB;
    f.largestBlockBytesPerSecond = 0.5 * MiB;
    return f;
}

}  // namespace

class TestMemoryPlan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesSizes_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("bytes");
        QTest::newRow("G") << "4G" << qint64(4) * 1024 * 1024 * 1024;
        QTest::newRow("GiB with space") << "4 GiB" << qint64(4) * 1024 * 1024 * 1024;
        QTest::newRow("fraction") << "1.5g" << qint64(1536) * 1024 * 1024;
        QTest::newRow("MB") << "512MB" << qint64(512) * 1024 * 1024;
        QTest::newRow("K") << "64k" << qint64(64) * 1024;
        QTest::newRow("bytes") << "800000000" << qint64(800000000);
        QTest::newRow("T") << "1T" << (qint64(1) << 40);
    }
    void parsesSizes() {
        QFETCH(QString, text);
        QFETCH(qint64, bytes);
        QCOMPARE(qint64(qs::parseMemorySize(text.toStdString(), "--max-memory")), bytes);
    }

    void rejectsBadSizes_data() {
        QTest::addColumn<QString>("text");
        for (const char* t : {"", "G", "-1G", "0", "4X", "4GG", "nan", "1e30"}) QTest::newRow(t) << t;
    }
    void rejectsBadSizes() {
        QFETCH(QString, text);
        try {
            qs::parseMemorySize(text.toStdString(), "--max-memory");
            QFAIL("accepted");
        } catch (const qs::InputError& e) {
            QCOMPARE(QString(e.what()),
                     QString("--max-memory takes a memory size such as 4G, 512M or 1.5GiB, not '%1'").arg(text));
        }
    }

    void sizesAsText() {
        QCOMPARE(QString::fromStdString(qs::memoryText(512 * MiB)), QString("512 MiB"));
        QCOMPARE(QString::fromStdString(qs::memoryText(1.5 * 1024 * MiB)), QString("1.5 GiB"));
        QCOMPARE(QString::fromStdString(qs::memoryText(980 * 1024)), QString("980 KiB"));
        QCOMPARE(QString::fromStdString(qs::memoryText(12)), QString("12 bytes"));
    }

    // The figures of this machine are plausible, and the default budget is RSS + half of what is usable.
    void machineFigures() {
        const qs::SystemMemory m = qs::systemMemory();
        QVERIFY(m.available > 0);  // Linux has had MemAvailable since 3.14
        QVERIFY(m.processRss > 1024 * 1024);
        QVERIFY(m.usable() > 0 && m.usable() <= m.available);
        QVERIFY(qs::peakRss() >= m.processRss);
        const std::int64_t budget = qs::resolveMemoryBudget(0);
        const double expected = double(m.processRss) + qs::kDefaultMemoryShare * double(m.usable());
        QVERIFY2(std::fabs(double(budget) - expected) < 0.05 * expected, qPrintable(QString::number(double(budget))));
        QCOMPARE(qs::resolveMemoryBudget(12345), std::int64_t(12345));
    }

    // The largest stage sets the peak; beyond the longest probe a stage never counts less than its
    // probe value scaled in proportion (here the linear stage's 32 MiB at 2 s gives 16 MiB/s).
    void predictsThePeak() {
        const qs::ForwardMemory f = quadratic();
        QCOMPARE(f.peakBytes(1), 31 * MiB);                       // the linear stage: 30 + 1
        QCOMPARE(f.peakBytes(4), std::max(10 + 16 + 32, 32 * 4 / 2) * MiB);  // 64 MiB: the scaled linear stage
        QCOMPARE(f.peakBytes(30), (10 + 120 + 1800) * MiB);       // the quadratic one
        QCOMPARE(qs::ForwardMemory{}.peakBytes(30), 0.0);
    }

    void workerNeed() {
        qs::WorkerMemory w{{quadratic()}, 5 * MiB};
        const double s = 30;
        const double expected = qs::kForwardSafety * 1930 * MiB + 0.25 * MiB * s + 0.5 * MiB * s +
                                qs::kAudioBytesPerSecond * s + qs::kWorkerBytes + 5 * MiB;
        QCOMPARE(w.bytes(s), expected);
        // Two passes per clip (evaluation): the larger peak, both outputs.
        qs::WorkerMemory two{{quadratic(), quadratic()}, 5 * MiB};
        QCOMPARE(two.bytes(s), expected + 0.25 * MiB * s);
    }

    // The longest tenth of a second whose need fits budget - in use - shared.
    void fitsTheWindow() {
        const qs::WorkerMemory w{{quadratic()}, 0};
        const std::int64_t inUse = std::int64_t(200 * MiB), budget = std::int64_t(1024 * MiB);
        const double window = qs::fitWindow(w, budget, 30, "m.pt", 0, inUse);
        // fitWindow keeps 5% of the budget for later steps (memory_plan.cpp): 1024 - 200 - 51.2 MiB.
        const double room = double(budget - inUse) - 0.05 * double(budget);
        QVERIFY(w.bytes(window) <= room);
        QVERIFY(w.bytes(window + 0.1) > room);
        QCOMPARE(std::round(window * 10), window * 10);
        QCOMPARE(qs::fitWindow(w, std::int64_t(1) << 40, 30, "m.pt", 0, inUse), 30.0);  // fits: as asked
        QCOMPARE(qs::fitWindow(w, budget, 1.5, "m.pt", 0, inUse), 1.5);                // shorter than needed
        // Shared bytes come off the room as well.
        QVERIFY(qs::fitWindow(w, budget, 30, "m.pt", 300 * MiB, inUse) < window);
        // Not measured: nothing is cut.
        QCOMPARE(qs::fitWindow(qs::WorkerMemory{{qs::ForwardMemory{}}, 0}, 1, 30, "m.pt", 0, inUse), 30.0);
    }

    void tooSmallForAWindow() {
        const qs::WorkerMemory w{{quadratic()}, 0};
        try {
            qs::fitWindow(w, std::int64_t(150 * MiB), 30, "m.pt", 0, std::int64_t(100 * MiB));
            QFAIL("no error");
        } catch (const qs::MemoryError& e) {
            QCOMPARE(QString(e.what()),
                     QString("m.pt needs about %1 for a 2.0 s window, but the memory budget of 150 MiB leaves 42 MiB "
                             "(100 MiB in use, 7.5 MiB kept for later steps): raise the memory budget (--max-memory)")
                         .arg(QString::fromStdString(qs::memoryText(w.bytes(2)))));
        }
    }

    void plansWorkers() {
        const qs::WorkerMemory w{{quadratic()}, 0};
        const std::int64_t inUse = std::int64_t(100 * MiB);
        const double need = w.bytes(10);
        const std::int64_t threeFit = inUse + std::int64_t(3.5 * need);
        QCOMPARE(qs::planWorkers(w, threeFit, 10, 8, 100, "the analysis", 0, inUse).workers, 3);
        QCOMPARE(qs::planWorkers(w, threeFit, 10, 2, 100, "the analysis", 0, inUse).workers, 2);  // threads cap
        QCOMPARE(qs::planWorkers(w, threeFit, 10, 8, 1, "the analysis", 0, inUse).workers, 1);    // one task
        const qs::MemoryPlan p = qs::planWorkers(w, threeFit, 10, 8, 100, "the analysis", 0, inUse);
        QCOMPARE(p.workerBytes, need);
        QCOMPARE(p.seconds, 10.0);
        try {
            qs::planWorkers(w, inUse + std::int64_t(0.5 * need), 10, 8, 100, "the analysis", 0, inUse);
            QFAIL("no error");
        } catch (const qs::MemoryError& e) {
            QVERIFY2(QString(e.what()).startsWith("the analysis needs about " +
                                                   QString::fromStdString(qs::memoryText(need)) + " for a 10.0 s clip"),
                     e.what());
            QVERIFY2(QString(e.what()).endsWith("--window-seconds) or raise the memory budget (--max-memory)"), e.what());
        }
    }

    // A scope's flag cancels its thread; scopes nest; a worker inherits its starter's flags.
    void cancelScopes() {
        QVERIFY(!qs::cancelRequested());
        std::atomic<bool> outer{false}, inner{false};
        {
            qs::CancelScope a(&outer);
            QVERIFY(!qs::cancelRequested());
            {
                qs::CancelScope b(&inner);
                outer = true;
                QVERIFY(qs::cancelRequested());  // the enclosing scope's flag counts
                QVERIFY_THROWS_EXCEPTION(qs::Cancelled, qs::throwIfCancelled());
                outer = false;
                inner = true;
                QVERIFY(qs::cancelRequested());
                inner = false;
            }
            const qs::CancelScope::Link* mine = qs::CancelScope::current();
            std::atomic<bool> stop{false}, started{false};
            bool seen = false, before = true;
            std::thread worker([&] {
                qs::CancelScope w(&stop, mine);
                before = qs::cancelRequested();
                started = true;
                while (!qs::cancelRequested()) std::this_thread::yield();
                seen = true;
            });
            while (!started) std::this_thread::yield();
            outer = true;  // the starter's flag reaches the worker
            worker.join();
            QVERIFY(!before);
            QVERIFY(seen);
        }
        QVERIFY(!qs::cancelRequested());  // outside every scope nothing cancels
        qs::CancelScope none(nullptr);
        QVERIFY(!qs::cancelRequested());
    }
};

QTEST_GUILESS_MAIN(TestMemoryPlan)
#include "test_memory_plan.moc"
