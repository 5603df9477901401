// How much memory a job's workers need, and how long a window and how many workers fit a budget.
//
// A forward pass's memory is measured when the model loads (core/model/forward_memory.cpp):
// LibTorch's CPU allocator reports every allocation of probe passes over 1.5, 2 and 3 s of audio,
// each pass is cut into stages at its layer boundaries, and each stage's peak is fitted with a line
// or a + b·s + c·s² (s in seconds; attention's score matrices grow with s², convolutions with s). A
// pass over s seconds is predicted to peak at its largest stage: fitting stages rather than the whole
// pass's peak keeps a quadratic term visible that is small at 3 s but takes over at 30 s.
//
// A worker's need for a clip of s seconds (WorkerMemory::bytes) is
//   kForwardSafety × the largest of its passes' peaks      (heap slack, allocations LibTorch does not report)
//   + the passes' outputs, copied out of LibTorch, and the largest layer block (a sink's scratch)
//   + kAudioBytesPerSecond × s                              (decoding and resampling)
//   + kWorkerBytes + the job's own per-worker state (statistics sinks, weight copies).
// A plan fits the process's memory now (its RSS, which includes the loaded models), what the job
// holds once, and the workers within the budget (core/base/system_memory.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace qs {

constexpr double kForwardSafety = 1.25;
constexpr double kWorkerBytes = 64.0 * 1024 * 1024;
constexpr double kAudioBytesPerSecond = 1024.0 * 1024;
constexpr double kMinWindowSeconds = 2.0;  // shorter windows would cut most words apart

struct ForwardMemory {
    struct Stage {
        double a = 0, b = 0, c = 0;  // peak bytes = a + b·s + c·s²
    };
    std::vector<Stage> stages;            // empty: not measured, nothing is predicted
    std::vector<double> probeSeconds;     // the probe passes' lengths, ascending,
    std::vector<double> probePeakBytes;   // and each one's measured peak
    double outputBytesPerSecond = 0;      // the model's output tensor
    double largestBlockBytesPerSecond = 0;  // the largest layer input or output handed to a sink

    bool measured() const { return !stages.empty(); }
    // One pass over `seconds`: the largest stage's fit, and beyond the longest probe never less
    // than that stage's probe peak scaled in proportion.
    double peakBytes(double seconds) const;
};

struct WorkerMemory {
    std::vector<ForwardMemory> passes;  // the forward passes a worker makes per clip, one after another
    double extraBytes = 0;              // the job's own per-worker state, whatever the clip's length
    double bytes(double seconds) const;
};

struct MemoryPlan {
    std::int64_t budget = 0;  // bytes, for the whole process
    std::int64_t inUse = 0;   // the process's resident memory when planned
    double sharedBytes = 0;   // held once by the job, whatever its workers
    double seconds = 0;       // the longest clip planned for
    int workers = 1;
    double workerBytes = 0;   // each worker's need at `seconds`
    // "2 workers × 1.2 GiB for clips up to 30.0 s; budget 8.0 GiB, 1.1 GiB in use"
    std::string text() const;
};

// The longest window of at most `wanted` seconds (rounded down to 0.1 s) with which one worker fits
// the budget; `wanted` when no pass was measured. Throws MemoryError naming `model` when not even
// min(wanted, kMinWindowSeconds) fits. inUse: the process's memory (-1: its RSS now).
double fitWindow(const WorkerMemory& w, std::int64_t budget, double wanted, const std::string& model,
                 double sharedBytes = 0, std::int64_t inUse = -1);

// As many workers as fit for clips of at most longestSeconds: at least 1, at most `threads`
// (0 = every core) and `tasks`. Throws MemoryError naming `job` ("the analysis") when not even one fits.
MemoryPlan planWorkers(const WorkerMemory& w, std::int64_t budget, double longestSeconds, int threads,
                       std::size_t tasks, const std::string& job, double sharedBytes = 0, std::int64_t inUse = -1);

}  // namespace qs
