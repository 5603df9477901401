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

std::string weightRoundingName(WeightRounding method) {
    switch (method) {
    case WeightRounding::Nearest: return "nearest";
    case WeightRounding::AdaRound: return "adaround";
    case WeightRounding::Gptq: return "gptq";
    }
    return "nearest";
}

WeightRounding parseWeightRounding(const std::string& name) {
    if (name == "nearest") return WeightRounding::Nearest;
    if (name == "adaround") return WeightRounding::AdaRound;
    if (name == "gptq") return WeightRounding::Gptq;
    throw InputError("unknown weight rounding '" + name + "' (nearest, adaround or gptq)");
}

std::vector<std::string> weightCalibrationNames() { return {"minmax", "mse", "cosine", "adaround", "gptq"}; }

WeightMethod parseWeightCalibration(const std::string& name, WeightRange learnedRange) {
    if (name == "adaround") return {learnedRange, WeightRounding::AdaRound};
    if (name == "gptq") return {learnedRange, WeightRounding::Gptq};
    if (name == "minmax" || name == "mse" || name == "cosine") return {parseWeightRange(name), WeightRounding::Nearest};
    throw InputError("unknown weight calibration '" + name + "' (minmax, mse, cosine, adaround or gptq)");
}

std::string weightCalibrationName(const WeightMethod& method) {
    return method.rounding == WeightRounding::Nearest ? weightRangeName(method.range) : weightRoundingName(method.rounding);
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
