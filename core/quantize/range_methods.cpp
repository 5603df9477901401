// Names of the weight and activation range methods (range_methods.h).
#include "core/quantize/range_methods.h"

#include "core/base/errors.h"

namespace qs {

std::string weightRangeName(WeightRange method) {
    switch (method) {
    case WeightRange::MinMax: return "minmax";
    case WeightRange::Mse: return "mse";
    case WeightRange::Cosine: return "cosine";
    }
    return "minmax";
}

WeightRange parseWeightRange(const std::string& name) {
    if (name == "minmax") return WeightRange::MinMax;
    if (name == "mse") return WeightRange::Mse;
    if (name == "cosine") return WeightRange::Cosine;
    throw InputError("unknown weight calibration '" + name + "' (minmax, mse or cosine)");
}

std::string activationRangeName(ActivationRange method) {
    switch (method) {
    case ActivationRange::MinMax: return "minmax";
    case ActivationRange::Percentile: return "percentile";
    case ActivationRange::Mse: return "mse";
    }
    return "minmax";
}

ActivationRange parseActivationRange(const std::string& name) {
    if (name == "minmax") return ActivationRange::MinMax;
    if (name == "percentile") return ActivationRange::Percentile;
    if (name == "mse") return ActivationRange::Mse;
    throw InputError("unknown activation calibration '" + name + "': choose minmax, percentile or mse");
}

}  // namespace qs
