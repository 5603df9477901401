// The worker pool behind runClips, runTasks and runTasksInOrder: one LibTorch thread per worker,
// a progress loop on the calling thread, and an in-order fold for results that are summed.
#include "core/model/clip_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "core/base/cancel.h"
#include "core/model/speech_model.h"

namespace qs {
namespace {

constexpr int kPollMs = 50;

void runPool(std::size_t n, int threads, const std::function<void(int, std::size_t)>& work,
             const std::function<void(std::size_t)>& fold, const ProgressFn& progress, const Progress& base,
             const std::function<std::string(std::size_t)>& describe,
             const std::function<double(std::size_t)>& secondsOf) {
    if (n == 0) return;
    const int workers = clipWorkers(n, threads);
    const std::size_t window = 2 * std::size_t(workers);  // tasks done but not yet folded, at most

    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t done = 0;
    double seconds = 0.0;
    std::string current = base.message;  // what is being worked on: the task described, else the base message
    std::exception_ptr failure;
    int running = workers;
    // In-order folding (only when fold is set): which tasks are finished, the first not yet folded,
    // and whether a worker is folding right now.
    std::vector<char> finished(fold ? n : 0, 0);
    std::size_t folded = 0;
    bool folding = false;

    auto fail = [&] {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
        changed.notify_all();
    };
    // Called with the lock held after task i finished: fold every task of the finished prefix.
    auto foldReady = [&](std::unique_lock<std::mutex>& lock) {
        if (folding) return;
        folding = true;
        while (!stop && folded < n && finished[folded]) {
            const std::size_t i = folded;
            lock.unlock();
            try {
                fold(i);
            } catch (...) {
                fail();
            }
            lock.lock();
            ++folded;
            changed.notify_all();
        }
        folding = false;
    };

    // Workers stop inside a task too: at their run's stop flag, and at the flags the calling thread
    // carries (a Ctrl-C or a studio job's cancel), checked at every layer of a forward pass.
    const CancelScope::Link* callerFlags = CancelScope::current();
    auto loop = [&](int worker) {
        CancelScope cancel(&stop, callerFlags);
        setComputeThreads(1);
        while (!stop) {
            const std::size_t i = next++;
            if (i >= n) break;
            if (fold) {
                std::unique_lock<std::mutex> lock(mutex);
                changed.wait(lock, [&] { return stop || i < folded + window; });
                if (stop) break;
            }
            try {
                work(worker, i);
            } catch (...) {
                fail();
            }
            std::unique_lock<std::mutex> lock(mutex);
            ++done;
            if (secondsOf) seconds += secondsOf(i);
            if (describe) current = describe(i);
            if (fold) {
                finished[i] = 1;
                foldReady(lock);
            }
            changed.notify_all();
        }
        std::lock_guard<std::mutex> lock(mutex);
        --running;
        changed.notify_all();
    };

    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w) pool.emplace_back(loop, w);

    bool cancelled = false;
    {
        std::unique_lock<std::mutex> lock(mutex);
        std::size_t reported = std::size_t(-1);
        // Report at least every kPollMs, so a cancel request is seen while a long task runs (the
        // workers then stop at their next layer), and once more at the end if the last tasks finished
        // while the callback was running.
        while (!cancelled && progress) {
            const bool last = running == 0;
            if (last && done == reported) break;
            if (!last) changed.wait_for(lock, std::chrono::milliseconds(kPollMs));
            Progress p = base;
            p.done += done;
            p.seconds += seconds;
            p.message = current;
            reported = done;
            lock.unlock();
            const bool goOn = progress(p);
            lock.lock();
            if (!goOn) {
                cancelled = true;
                stop = true;
                changed.notify_all();
            }
            if (last) break;
        }
        changed.wait(lock, [&] { return running == 0; });
    }
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    if (cancelled) throw Cancelled();
}

}  // namespace

void runCancellable(const std::function<void()>& work, const ProgressFn& progress, const Progress& report) {
    runTasks(1, 1, [&](int, std::size_t) { work(); }, progress, report);
}

int clipWorkers(std::size_t clips, int threads) {
    const int budget = threads > 0 ? threads : hardwareThreads();
    return int(std::max<std::size_t>(1, std::min<std::size_t>(std::size_t(budget), clips)));
}

void runClips(const std::vector<const Clip*>& clips, int threads,
              const std::function<void(int, const Clip&)>& work, const ProgressFn& progress,
              const Progress& base) {
    runTasks(
        clips.size(), threads, [&](int worker, std::size_t i) { work(worker, *clips[i]); }, progress, base,
        [&](std::size_t i) { return clips[i]->speaker + ": " + clips[i]->id; },
        [&](std::size_t i) { return clips[i]->seconds; });
}

void runTasks(std::size_t n, int threads, const std::function<void(int, std::size_t)>& work,
              const ProgressFn& progress, const Progress& base,
              const std::function<std::string(std::size_t)>& describe,
              const std::function<double(std::size_t)>& secondsOf) {
    runPool(n, threads, work, {}, progress, base, describe, secondsOf);
}

void runTasksInOrder(std::size_t n, int threads, const std::function<void(int, std::size_t)>& work,
                     const std::function<void(std::size_t)>& fold, const ProgressFn& progress,
                     const Progress& base, const std::function<std::string(std::size_t)>& describe,
                     const std::function<double(std::size_t)>& secondsOf) {
    runPool(n, threads, work, fold, progress, base, describe, secondsOf);
}

}  // namespace qs
