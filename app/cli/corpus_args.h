// The audio and memory options shared by the commands that read an audio folder for a model: windows,
// raw layouts, the memory budget, the tune/test split and speaker groups.
#pragma once

#include <cstdint>
#include <string>

#include "app/cli/args.h"
#include "core/audio/audio_corpus.h"
#include "core/audio/clip_split.h"
#include "core/audio/speaker_profiles.h"
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

// --test-fraction F or --split FILE (not both); no split when neither is given.
SplitSpec splitSpec(const Args& args);

// Speaker groups from --speaker-groups FILE (LibriSpeech SPEAKERS.TXT, Common Voice .tsv or
// speakers.csv), grouped by --group-by ATTR (default: the file's own: sex, gender, group), over
// the corpus's speakers. Empty without --speaker-groups.
std::vector<Profile> speakerGroups(const Args& args, const AudioCorpus& corpus);

// "split: 50% of each speaker's files for test (hash of file names): 150 tune, 150 test files"
std::string splitSummary(const ClipSplit& split);

}  // namespace qs::cli
