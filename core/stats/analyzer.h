// Streams a corpus through an instrumented model and accumulates per-layer activation statistics,
// per speaker and over all speakers. Memory stays bounded: a few clips' accumulators in flight, the
// current speaker's and the running total; a speaker's accumulators are summarised and freed when it
// is done. The result is bit-identical for any thread count (clip_runner.h says how).
#pragma once

#include <cstdint>
#include <functional>

#include "core/stats/analysis.h"
#include "core/audio/audio_corpus.h"
#include "core/base/progress.h"
#include "core/model/speech_model.h"

namespace qs {

struct AnalyzeOptions {
    int threads = 0;        // cores to use in all (0 = every core)
    // Memory budget for the whole process in bytes (0: the default, core/base/system_memory.h). Fewer
    // workers run when the clips need it; MemoryError when not even one fits the longest clip.
    std::int64_t maxMemory = 0;
    int histogramBins = 128;
    // Optional: called on a worker thread, one call at a time and in speaker order, each time a
    // speaker's clips are all done, with the
    // analysis so far: the finished speakers' statistics, "all" pooled over them, the files skipped
    // so far and the time spent. Not called for a speaker whose every clip was skipped. The final
    // result is what the last call saw (elapsed time apart).
    std::function<void(const Analysis& partial)> speakerFinished;
    // Speaker groups: each gets statistics pooled over its members' clips, stored under its name
    // like "all" (a partial analysis holds a group once all its members are done). Members the
    // corpus does not hold are ignored; a group none of whose members was analysed is left out.
    // A group named like its only member is that speaker. Names: checkProfileNames.
    std::vector<Profile> profiles;
};

// Runs every clip of corpus (already selected and limited) through model. Clips that cannot be
// decoded or that the model rejects are listed in the result's skipped files with the reason.
// progress is called on the calling thread; returning false stops the run (throws Cancelled).
// Throws ModelError when no clip at all could be analysed.
Analysis analyze(const SpeechModel& model, const AudioCorpus& corpus, const AnalyzeOptions& options = {},
                 const ProgressFn& progress = {});

// The plain forward passes the analysis makes, with the same threads and clip order but no
// observers: the baseline the analysis overhead is measured against (bench/).
void forwardOnly(const SpeechModel& model, const AudioCorpus& corpus, int threads);

}  // namespace qs
