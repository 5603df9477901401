// Distance sensitivities: for each quantizable layer, quantize that layer's weights alone (symmetric
// per output channel, 8 bits by default) and measure how far the model output moves from the float
// output on the user's clips: KL of the softmax outputs, L1, L2, cosine distance and SQNR. One pass
// per layer per clip, so it costs (layers + 1) forward passes per clip: run it on a few clips.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/stats/analysis.h"
#include "core/audio/audio_corpus.h"
#include "core/base/progress.h"
#include "core/model/speech_model.h"

namespace qs {

struct DistanceOptions {
    int bits = 8;
    int clipsPerSpeaker = 4;  // the first n clips of each speaker (0 = all)
    int threads = 0;          // 0 = every core
    // Speaker groups: each also gets scores over its members' clips (named like its only member:
    // that speaker's scores).
    std::vector<Profile> profiles;
    std::int64_t maxMemory = 0;  // bytes for the whole process (0: the default, core/base/system_memory.h)
};

// Speaker name (and "all", and each profile) -> per-layer distance scores, in the model's layer order. Layers' passes
// are independent and run on worker threads; progress counts layers; false cancels (Cancelled).
// Clips that fail to decode are left out; ModelError when no clip can be used.
std::map<std::string, std::vector<DistanceScores>> distanceScores(const SpeechModel& model, const AudioCorpus& corpus,
                                                                  const DistanceOptions& options = {},
                                                                  const ProgressFn& progress = {});

}  // namespace qs
