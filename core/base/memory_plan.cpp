// Predicted forward-pass peaks, a worker's need, and the window and worker count a budget allows.
#include "core/base/memory_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/base/errors.h"
#include "core/base/system_memory.h"

namespace qs {
namespace {

// fitWindow() fits a window to the budget less this share of it, kept for what a command holds after
// it plans its window: results, the clips distance passes keep, the heap's growth (measured: 6 MiB
// after an analysis planned to the last 0.1 s of a 768 MiB budget made its distance passes fail).
constexpr double kWindowReserve = 0.05;

std::string secondsText(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

// What the budget leaves for workers: budget - in use - shared, never negative.
double room(std::int64_t budget, std::int64_t inUse, double shared) {
    return std::max(0.0, double(budget) - double(inUse) - shared);
}

std::string budgetText(std::int64_t budget, std::int64_t inUse, double shared, double reserve = 0) {
    std::string s = "the memory budget of " + memoryText(double(budget)) + " leaves " +
                    memoryText(room(budget, inUse, shared + reserve)) + " (" + memoryText(double(inUse)) + " in use";
    if (shared > 0) s += ", " + memoryText(shared) + " held by the job";
    if (reserve > 0) s += ", " + memoryText(reserve) + " kept for later steps";
    return s + ")";
}

}  // namespace

double ForwardMemory::peakBytes(double seconds) const {
    if (stages.empty() || !(seconds > 0)) return 0.0;
    const double longest = probeSeconds.empty() ? 0.0 : probeSeconds.back();
    double peak = 0.0;
    for (const Stage& st : stages) {
        double v = st.a + st.b * seconds + st.c * seconds * seconds;
        if (longest > 0 && seconds > longest) {
            const double atProbe = st.a + st.b * longest + st.c * longest * longest;
            v = std::max(v, atProbe * seconds / longest);
        }
        peak = std::max(peak, v);
    }
    return peak;
}

double WorkerMemory::bytes(double seconds) const {
    double forward = 0.0, outputs = 0.0, block = 0.0;
    for (const ForwardMemory& f : passes) {
        forward = std::max(forward, f.peakBytes(seconds));
        outputs += f.outputBytesPerSecond * seconds;
        block = std::max(block, f.largestBlockBytesPerSecond * seconds);
    }
    return kForwardSafety * forward + outputs + block + kAudioBytesPerSecond * seconds + kWorkerBytes + extraBytes;
}

std::string MemoryPlan::text() const {
    return std::to_string(workers) + (workers == 1 ? " worker × " : " workers × ") + memoryText(workerBytes) +
           " for clips up to " + secondsText(seconds) + "; budget " + memoryText(double(budget)) + ", " +
           memoryText(double(inUse)) + " in use";
}

double fitWindow(const WorkerMemory& w, std::int64_t budget, double wanted, const std::string& model,
                 double sharedBytes, std::int64_t inUse) {
    bool measured = false;
    for (const ForwardMemory& f : w.passes) measured = measured || f.measured();
    if (!measured || !(wanted > 0)) return wanted;
    if (inUse < 0) inUse = processRss();
    const double reserve = kWindowReserve * double(budget);
    const double left = room(budget, inUse, sharedBytes + reserve);
    if (w.bytes(wanted) <= left) return wanted;
    const double shortest = std::min(wanted, kMinWindowSeconds);
    if (w.bytes(shortest) > left)
        throw MemoryError(model + " needs about " + memoryText(w.bytes(shortest)) + " for a " + secondsText(shortest) +
                          " window, but " + budgetText(budget, inUse, sharedBytes, reserve) +
                          ": raise the memory budget (--max-memory)");
    // Bisection on tenths of a second: bytes() grows with the window.
    long lo = long(std::floor(shortest * 10 + 1e-9)), hi = long(std::floor(wanted * 10 + 1e-9));
    while (lo < hi) {
        const long mid = (lo + hi + 1) / 2;
        if (w.bytes(double(mid) / 10) <= left) lo = mid;
        else hi = mid - 1;
    }
    return std::max(shortest, double(lo) / 10);
}

MemoryPlan planWorkers(const WorkerMemory& w, std::int64_t budget, double longestSeconds, int threads,
                       std::size_t tasks, const std::string& job, double sharedBytes, std::int64_t inUse) {
    MemoryPlan plan;
    plan.budget = budget;
    plan.inUse = inUse < 0 ? processRss() : inUse;
    plan.sharedBytes = sharedBytes;
    plan.seconds = longestSeconds;
    plan.workerBytes = w.bytes(longestSeconds);
    const unsigned cores = std::thread::hardware_concurrency();
    const std::size_t wanted = std::max<std::size_t>(
        1, std::min<std::size_t>(tasks, std::size_t(threads > 0 ? threads : int(cores ? cores : 1))));
    bool measured = false;
    for (const ForwardMemory& f : w.passes) measured = measured || f.measured();
    if (!measured) {
        plan.workers = int(wanted);
        return plan;
    }
    const double left = room(budget, plan.inUse, sharedBytes);
    const double fit = std::floor(left / plan.workerBytes);
    if (fit < 1)
        throw MemoryError(job + " needs about " + memoryText(plan.workerBytes) + " for a " + secondsText(longestSeconds) +
                          " clip, but " + budgetText(budget, plan.inUse, sharedBytes) +
                          ": cut recordings into shorter windows (--window-seconds) or raise the memory budget "
                          "(--max-memory)");
    plan.workers = int(std::min<double>(double(wanted), fit));
    return plan;
}

}  // namespace qs
