// The names of the range methods that calibration offers, for the command line, the studio and the
// files that record them: weight ranges (minmax, mse, cosine) and activation ranges (minmax,
// percentile, mse). What each method does is documented with its calibration (weight_calibration.h,
// activation_calibration.h); this file holds only the names, so option parsing needs no model.
#pragma once

#include <string>

namespace qs {

enum class WeightRange { MinMax, Mse, Cosine };

// "minmax", "mse", "cosine"; parseWeightRange throws InputError listing the choices.
std::string weightRangeName(WeightRange method);
WeightRange parseWeightRange(const std::string& name);

enum class ActivationRange { MinMax, Percentile, Mse };

// "minmax", "percentile", "mse"; parseActivationRange throws InputError listing the choices.
std::string activationRangeName(ActivationRange method);
ActivationRange parseActivationRange(const std::string& name);

}  // namespace qs
