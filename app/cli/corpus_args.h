// The audio and memory options shared by the commands that read an audio folder for a model.
#pragma once

#include <cstdint>
#include <string>

#include "app/cli/args.h"
#include "core/audio/audio_corpus.h"
#include "core/base/memory_plan.h"
#include "core/model/model_info.h"

namespace qs::cli {

// --max-memory (which the command must declare) in bytes for the whole process, or the default
// budget (core/base/system_memory.h) resolved now, so every step of the command plans with the same.
std::int64_t memoryBudget(const Args& args);

// Scans dir for model (its sample rate and normalization), with --window-seconds (default 30), --raw-rate
// and --raw-channels from args when given; keeps the --speaker selection and at most maxClips clips
// per speaker (0 = all). The window is shortened as far as needed for one worker of the command's jobs
// (`worker`) to fit the budget, and a line on stderr ("VERB: ...") says so when that cuts a recording
// shorter than asked; MemoryError when not even a short window fits.
AudioCorpus scanCorpus(const Args& args, const std::string& dir, const ModelInfo& model, int maxClips,
                       const WorkerMemory& worker, std::int64_t budget, const std::string& verb);

}  // namespace qs::cli
