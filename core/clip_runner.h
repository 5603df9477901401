// Runs a piece of work over clips on worker threads while the calling thread reports progress and
// watches for cancellation. Shared by analysis, plain forward passes and, later, evaluation.
#pragma once

#include <functional>
#include <vector>

#include "core/audio_corpus.h"
#include "core/progress.h"

namespace qs {

// work(worker, clip) runs on one of `workers` threads (0-based index, so per-worker state needs no
// lock). Each worker gets threads / workers LibTorch threads. progress is called on the calling
// thread, at least after every clip; when it returns false the remaining clips are not started,
// running ones finish, and Cancelled is thrown. The first exception thrown by work stops the run
// and is rethrown here. done/seconds in the reported Progress start from `base`.
void runClips(const std::vector<const Clip*>& clips, int threads,
              const std::function<void(int worker, const Clip& clip)>& work, const ProgressFn& progress,
              const Progress& base = {});

// The same for any n independent tasks: work(worker, i) for i in [0, n); describe(i) names task i
// in the reported Progress message (may be null).
void runTasks(std::size_t n, int threads, const std::function<void(int worker, std::size_t task)>& work,
              const ProgressFn& progress, const Progress& base = {},
              const std::function<std::string(std::size_t task)>& describe = {},
              const std::function<double(std::size_t task)>& seconds = {});

// How many workers runClips uses for n clips and a thread budget (0 = every core).
int clipWorkers(std::size_t clips, int threads);

}  // namespace qs
