// The scoring comparison run (engine): per profile, the tune analysis (with distance scores when a
// rule needs them), each rule's allocation at each budget and the random baseline, calibrated the
// same way on the profile's tune clips and evaluated on its test clips, on the personalization
// matrix's machinery (runSchemes): allocations that coincide are calibrated and evaluated once, the
// float outputs computed once per test clip. What it gives out is described in scoring.h.
#pragma once

#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/audio/clip_split.h"
#include "core/audio/speaker_profiles.h"
#include "core/base/progress.h"
#include "core/model/speech_model.h"
#include "core/scoring/scoring.h"

namespace qs {

// profiles: each is compared on its own (its tune clips for the analysis and the calibration, its
// test clips for the measures). Results do not depend on the thread count. progress is called on
// the calling thread; false cancels (Cancelled). Throws InputError (no split, no rule, a profile
// without tune or test clips), BudgetError (a budget the floor cannot meet), ModelError, Cancelled.
ScoringResult compareScoring(const SpeechModel& model, const AudioCorpus& corpus, const ClipSplit& split,
                             const std::vector<Profile>& profiles, const ScoringOptions& options,
                             const ProgressFn& progress = {});

}  // namespace qs
