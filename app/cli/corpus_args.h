// The audio options shared by the commands that read an audio folder for a model.
#pragma once

#include <string>

#include "app/cli/args.h"
#include "core/audio/audio_corpus.h"
#include "core/model/model_info.h"

namespace qs::cli {

// Scans dir for model (its sample rate and normalization), with --window-seconds, --raw-rate and
// --raw-channels from args (which the command must declare); keeps
// the --speaker selection and at most maxClips clips per speaker (0 = all).
AudioCorpus scanCorpus(const Args& args, const std::string& dir, const ModelInfo& model, int maxClips);

}  // namespace qs::cli
