// The options the comparison commands (compare, scoring) share: the budgets, the profiles, and how
// every compared scheme is built, calibrated and measured.
#pragma once

#include <string>
#include <vector>

#include "app/cli/args.h"
#include "core/allocation/size_model.h"
#include "core/audio/audio_corpus.h"
#include "core/audio/speaker_profiles.h"
#include "core/personalization/personalization.h"

namespace qs::cli {

// "--spread 1,2" -> {1, 2}: positive numbers separated by commas, else InputError naming the option.
std::vector<double> positiveNumbers(const Args& args, const std::string& name);

// The budgets in MB from --target-bits (average bits per weight) or --target-mb; exactly one must be
// given (InputError otherwise).
std::vector<double> budgetsMb(const Args& args, const SizeModel& size);

// Each speaker alone, or the groups of --speaker-groups; --profile (repeatable) narrows either to the
// named ones (InputError naming the available ones for an unknown name).
std::vector<Profile> chooseProfiles(const Args& args, const AudioCorpus& corpus);

// --threads, --min-bits, --distance-clips, --distance-bits, --calibration-clips, --activation-bits,
// --weight-calibration, --activation-calibration, --bootstrap and --confidence into o, checked.
void readSchemeOptions(const Args& args, CompareOptions& o);

}  // namespace qs::cli
