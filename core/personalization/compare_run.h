// The personalization matrix run (engine): analysis of the tune clips with per-profile statistics,
// the schemes, their calibration, and every scheme on every test clip. What it computes and shares
// is described in personalization.h.
#pragma once

#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/audio/clip_split.h"
#include "core/audio/speaker_profiles.h"
#include "core/base/progress.h"
#include "core/model/speech_model.h"
#include "core/personalization/personalization.h"

namespace qs {

// corpus: the folder as scanned for the model (every clip); split: its tune/test split (must be
// active); profiles: the profiles to compare (only their members' clips are used). Results do not
// depend on the thread count. progress is called on the calling thread; false cancels (Cancelled).
// Throws InputError (no split, a profile without tune or test clips, a budget the floor cannot
// meet), ModelError, Cancelled.
PersonalizationResult comparePersonalization(const SpeechModel& model, const AudioCorpus& corpus, const ClipSplit& split,
                                             const std::vector<Profile>& profiles, const CompareOptions& options,
                                             const ProgressFn& progress = {});

}  // namespace qs
