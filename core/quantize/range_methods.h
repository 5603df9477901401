// The names of the range methods that calibration offers, for the command line, the studio and the
// files that record them: weight ranges (minmax, mse, cosine), weight rounding (nearest, adaround,
// gptq) and activation ranges (minmax, percentile, mse). What each method does is documented with
// its calibration (weight_calibration.h, learned_rounding.h, activation_calibration.h); this file
// holds only the names, so option parsing needs no model.
#pragma once

#include <string>
#include <vector>

namespace qs {

enum class WeightRange { MinMax, Mse, Cosine };

// "minmax", "mse", "cosine"; parseWeightRange throws InputError listing the choices.
std::string weightRangeName(WeightRange method);
WeightRange parseWeightRange(const std::string& name);

// How weights are rounded onto the grid the range search chose: to the nearest point, or learned
// on the calibration audio (AdaRound, GPTQ).
enum class WeightRounding { Nearest, AdaRound, Gptq };

// "nearest", "adaround", "gptq"; parseWeightRounding throws InputError listing the choices.
std::string weightRoundingName(WeightRounding method);
WeightRounding parseWeightRounding(const std::string& name);

// The weight calibration the command line and the studio offer as one choice: a range search with
// nearest rounding ("minmax", "mse", "cosine"), or learned rounding after a range search ("adaround",
// "gptq"; the range is then `learnedRange`, mse unless told otherwise).
struct WeightMethod {
    WeightRange range = WeightRange::Mse;
    WeightRounding rounding = WeightRounding::Nearest;
};
std::vector<std::string> weightCalibrationNames();  // minmax, mse, cosine, adaround, gptq
WeightMethod parseWeightCalibration(const std::string& name, WeightRange learnedRange = WeightRange::Mse);
std::string weightCalibrationName(const WeightMethod& method);  // the rounding's name when learned

enum class ActivationRange { MinMax, Percentile, Mse };

// "minmax", "percentile", "mse"; parseActivationRange throws InputError listing the choices.
std::string activationRangeName(ActivationRange method);
ActivationRange parseActivationRange(const std::string& name);

}  // namespace qs
