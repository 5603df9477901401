// Runs independent pieces of work (clips, layers) on worker threads while the calling thread reports
// progress and watches for cancellation; optionally folds their results in task order.
//
// Results must not depend on the thread count or the CPU's scheduling. Two rules make that so:
// - every worker computes with exactly one LibTorch intra-op thread. Parallelism comes from running
//   tasks side by side, never from splitting one operator: OpenBLAS 0.3.21's sgemm rounds the same
//   product differently on 1 and 2 threads (its Haswell/Zen kernels, K >= 8), and oneDNN and ATen's
//   reductions may split sums by thread count as well;
// - anything summed over tasks is folded in task order (runTasksInOrder), not per worker.
#pragma once

#include <functional>
#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/base/cancel.h"
#include "core/base/progress.h"

namespace qs {

// work(worker, clip) runs on one of the worker threads (0-based index, so per-worker state needs no
// lock), each with one LibTorch thread. progress is called on the calling thread, at least after
// every clip and every 50 ms; when it returns false the remaining clips are not started, running
// ones stop at their next cancel check (every layer of a forward pass, core/base/cancel.h), and
// Cancelled is thrown. Workers also stop at the cancel flags of the calling thread's CancelScopes,
// without waiting for the next progress call. The first exception thrown by work stops the run and is
// rethrown here. done/seconds in the reported Progress start from `base`.
void runClips(const std::vector<const Clip*>& clips, int threads,
              const std::function<void(int worker, const Clip& clip)>& work, const ProgressFn& progress,
              const Progress& base = {});

// The same for any n independent tasks: work(worker, i) for i in [0, n); describe(i) names task i
// in the reported Progress message (may be null).
void runTasks(std::size_t n, int threads, const std::function<void(int worker, std::size_t task)>& work,
              const ProgressFn& progress, const Progress& base = {},
              const std::function<std::string(std::size_t task)>& describe = {},
              const std::function<double(std::size_t task)>& seconds = {});

// runTasks, and then fold(i) for every i in increasing order, one call at a time, on whichever worker
// completed the prefix up to i: what fold adds up comes out bit-identical for any thread count and
// finishing order. work(i) keeps its result in a slot of the caller's that fold(i) consumes and frees;
// task i starts only once fewer than 2 x workers tasks before it wait to be folded, so at most that
// many slots are full at a time. Nothing more is folded after a failure or a cancel.
void runTasksInOrder(std::size_t n, int threads, const std::function<void(int worker, std::size_t task)>& work,
                     const std::function<void(std::size_t task)>& fold, const ProgressFn& progress,
                     const Progress& base = {}, const std::function<std::string(std::size_t task)>& describe = {},
                     const std::function<double(std::size_t task)>& seconds = {});

// work() on a worker thread while the calling thread calls progress (with `report`) every 50 ms: for
// a long step that is one piece (writing an export) but checks throwIfCancelled() as it goes, so a
// progress callback that returns false stops it mid-way. Throws what work throws, or Cancelled.
void runCancellable(const std::function<void()>& work, const ProgressFn& progress, const Progress& report = {});

// How many workers the runners use for n tasks and a thread budget (0 = every core).
int clipWorkers(std::size_t clips, int threads);

}  // namespace qs
