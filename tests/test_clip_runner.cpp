// labels: unit
// The worker pool: every task runs once, in-order folding sees 0..n-1 whatever the finishing order,
// the window bounds the unfolded results, each worker computes on one LibTorch thread, and failures
// and cancels stop the run without folding further.
#include <QtTest>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "core/model/clip_runner.h"
#include "core/base/errors.h"

class TestClipRunner : public QObject {
    Q_OBJECT
private slots:
    void everyTaskOnce_data();
    void everyTaskOnce();
    void foldsInOrderWithinTheWindow_data();
    void foldsInOrderWithinTheWindow();
    void foldedSumIsTheSameForAnyThreadCount();
    void failureStopsFolding();
    void cancelThrowsAndStopsFolding();
};

void TestClipRunner::everyTaskOnce_data() {
    QTest::addColumn<int>("tasks");
    QTest::addColumn<int>("threads");
    QTest::newRow("none") << 0 << 2;
    QTest::newRow("one task, two threads") << 1 << 2;
    QTest::newRow("many tasks, one thread") << 17 << 1;
    QTest::newRow("many tasks, three threads") << 40 << 3;
}

void TestClipRunner::everyTaskOnce() {
    QFETCH(int, tasks);
    QFETCH(int, threads);
    std::vector<std::atomic<int>> runs(static_cast<std::size_t>(tasks));
    std::atomic<int> maxWorker{-1};
    qs::runTasks(std::size_t(tasks), threads, [&](int worker, std::size_t i) {
        ++runs[i];
        int m = maxWorker;
        while (worker > m && !maxWorker.compare_exchange_weak(m, worker)) {}
    }, {});
    for (const auto& r : runs) QCOMPARE(r.load(), 1);
    QVERIFY(maxWorker < std::max(1, std::min(tasks, threads)));
}

void TestClipRunner::foldsInOrderWithinTheWindow_data() {
    QTest::addColumn<int>("threads");
    QTest::newRow("1 thread") << 1;
    QTest::newRow("2 threads") << 2;
    QTest::newRow("4 threads") << 4;
}

// Tasks take random times, so they finish out of order; fold still sees 0, 1, 2, ... and never more
// than 2 x workers results are waiting at once.
void TestClipRunner::foldsInOrderWithinTheWindow() {
    QFETCH(int, threads);
    const std::size_t n = 60;
    std::vector<int> delayUs(n);
    std::mt19937 rng(7);
    for (int& d : delayUs) d = int(rng() % 3000);
    std::mutex mutex;
    std::vector<std::size_t> order;
    std::size_t produced = 0, consumed = 0, mostWaiting = 0;
    qs::runTasksInOrder(n, threads, [&](int, std::size_t i) {
        std::this_thread::sleep_for(std::chrono::microseconds(delayUs[i]));
        std::lock_guard<std::mutex> lock(mutex);
        ++produced;
        mostWaiting = std::max(mostWaiting, produced - consumed);
    }, [&](std::size_t i) {
        std::lock_guard<std::mutex> lock(mutex);
        order.push_back(i);
        ++consumed;
    }, {});
    QCOMPARE(order.size(), n);
    for (std::size_t i = 0; i < n; ++i) QCOMPARE(order[i], i);
    QVERIFY2(mostWaiting <= std::size_t(2 * threads), qPrintable(QString::number(mostWaiting)));
}

// A float sum folded in task order is bit-identical for 1, 2 and 3 threads; summed per worker as
// before, it would depend on which worker took which task.
void TestClipRunner::foldedSumIsTheSameForAnyThreadCount() {
    const std::size_t n = 200;
    std::vector<float> values(n);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1e3f, 1e3f);
    for (float& v : values) v = u(rng) * std::pow(10.0f, float(int(rng() % 7)) - 3.0f);
    auto sum = [&](int threads) {
        std::vector<float> slot(n);
        float total = 0.0f;
        qs::runTasksInOrder(n, threads, [&](int, std::size_t i) {
            std::this_thread::sleep_for(std::chrono::microseconds((i * 7919) % 500));
            slot[i] = values[i];
        }, [&](std::size_t i) { total += slot[i]; }, {});
        return total;
    };
    float serial = 0.0f;
    for (float v : values) serial += v;
    QCOMPARE(sum(1), serial);
    QCOMPARE(sum(2), serial);
    QCOMPARE(sum(3), serial);
}

void TestClipRunner::failureStopsFolding() {
    std::atomic<std::size_t> folds{0};
    bool threw = false;
    try {
        qs::runTasksInOrder(50, 2, [&](int, std::size_t i) {
            if (i == 5) throw qs::InputError("task 5 failed");
        }, [&](std::size_t i) {
            QVERIFY(i < 5);
            ++folds;
        }, {});
    } catch (const qs::InputError& e) {
        threw = std::string(e.what()) == "task 5 failed";
    }
    QVERIFY(threw);
    QVERIFY(folds <= 5);
}

void TestClipRunner::cancelThrowsAndStopsFolding() {
    std::atomic<std::size_t> started{0}, folds{0};
    bool cancelled = false;
    try {
        qs::runTasksInOrder(1000, 2, [&](int, std::size_t) {
            ++started;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }, [&](std::size_t) { ++folds; }, [&](const qs::Progress& p) { return p.done < 10; });
    } catch (const qs::Cancelled&) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QVERIFY(started < 1000);
    QVERIFY(folds <= started);
}

QTEST_APPLESS_MAIN(TestClipRunner)
#include "test_clip_runner.moc"
