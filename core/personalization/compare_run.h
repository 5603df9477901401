// The personalization matrix run (engine): analysis of the tune clips with per-profile statistics,
// the schemes, their calibration, and every scheme on every test clip. What it computes and shares
// is described in personalization.h.
#pragma once

#include <functional>
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

// The machinery under the matrix, for any set of schemes (the scoring comparison uses it too): the
// tune analysis (with distance scores when `distances`), then makeSchemes fills r.schemes (bits,
// calibrationSet: a profile's index, or profiles.size() for every profile's tune clips) and any
// rows of its own; then shared calibration, the float outputs of every test clip once, and every
// distinct scheme (same bits and calibration clips) on every test clip into r.variants.
// schemeGuess sizes the progress bar until the schemes are known.
using SchemeMaker = std::function<void(const Analysis& tuneAnalysis, const SizeModel& size, PersonalizationResult& r)>;
PersonalizationResult runSchemes(const SpeechModel& model, const AudioCorpus& corpus, const ClipSplit& split,
                                 const std::vector<Profile>& profiles, const CompareOptions& options, bool distances,
                                 std::size_t schemeGuess, const SchemeMaker& makeSchemes, const ProgressFn& progress = {});

}  // namespace qs
