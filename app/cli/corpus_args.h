// The audio options shared by the commands that read an audio folder for a model: windows, raw
// layouts, the tune/test split and speaker groups.
#pragma once

#include <string>

#include "app/cli/args.h"
#include "core/audio/audio_corpus.h"
#include "core/audio/clip_split.h"
#include "core/audio/speaker_profiles.h"
#include "core/model/model_info.h"

namespace qs::cli {

// Scans dir for model (its sample rate and normalization), with --window-seconds, --raw-rate and
// --raw-channels from args (which the command must declare); keeps
// the --speaker selection and at most maxClips clips per speaker (0 = all).
AudioCorpus scanCorpus(const Args& args, const std::string& dir, const ModelInfo& model, int maxClips);

// --test-fraction F or --split FILE (not both); no split when neither is given.
SplitSpec splitSpec(const Args& args);

// Speaker groups from --speaker-groups FILE (LibriSpeech SPEAKERS.TXT, Common Voice .tsv or
// speakers.csv), grouped by --group-by ATTR (default: the file's own: sex, gender, group), over
// the corpus's speakers. Empty without --speaker-groups.
std::vector<Profile> speakerGroups(const Args& args, const AudioCorpus& corpus);

// "split: 50% of each speaker's files for test (hash of file names): 150 tune, 150 test files"
std::string splitSummary(const ClipSplit& split);

}  // namespace qs::cli
