#include "core/clip_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "core/speech_model.h"

namespace qs {

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
    if (n == 0) return;
    const int budget = threads > 0 ? threads : hardwareThreads();
    const int workers = clipWorkers(n, budget);
    const int perWorker = std::max(1, budget / workers);

    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t done = 0;
    double seconds = 0.0;
    std::string current;
    std::exception_ptr failure;
    int running = workers;

    auto loop = [&](int worker) {
        setComputeThreads(perWorker);
        while (!stop) {
            const std::size_t i = next++;
            if (i >= n) break;
            try {
                work(worker, i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex);
                if (!failure) failure = std::current_exception();
                stop = true;
            }
            std::lock_guard<std::mutex> lock(mutex);
            ++done;
            if (secondsOf) seconds += secondsOf(i);
            if (describe) current = describe(i);
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
        // Report at least every 200 ms, so a cancel request is seen while a long clip runs, and
        // once more at the end if the last clips finished while the callback was running.
        while (!cancelled && progress) {
            const bool last = running == 0;
            if (last && done == reported) break;
            if (!last) changed.wait_for(lock, std::chrono::milliseconds(200));
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
            }
            if (last) break;
        }
        changed.wait(lock, [&] { return running == 0; });
    }
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    if (cancelled) throw Cancelled();
}

}  // namespace qs
