// One layer's learned rounding from its input rows: feeds AdaRound or GPTQ the weight, its grid and
// the rows, and writes the codes back into the layer's encoding. Internal to core (qs_engine); the
// model walk is core/quantize/learned_rounding.h. Testable on one layer with synthetic rows.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/model/model_info.h"
#include "core/quantize/learned_rounding_options.h"
#include "core/quantize/weight_calibration.h"

namespace qs::detail {

// Re-rounds encoding e (nearest codes on their grid, as calibrateWeight gives them) of weight w
// (row-major in layer.shape) on rows: one [n, row length] tensor per convolution group (one for a
// linear layer), the rows weight rows of group g multiply (layer_rows.h). Sets e's codes, its scales
// and clip factors (GPTQ per group re-fits them with `range`), mse and the rounding fields; with
// options.keepBetter, nearest codes stay where the learned ones give a larger output error on the
// rows. tick(fraction of the layer done) is called inside the optimisation and may throw Cancelled.
void roundLayer(const LayerInfo& layer, const std::vector<float>& w, WeightEncoding& e, const std::vector<at::Tensor>& rows,
                WeightRounding method, const WeightCalibrationOptions& range, const LearnedRoundingOptions& options,
                std::uint64_t seed, const std::function<void(double)>& tick = {});

// ‖X(W − Ŵ)ᵀ‖² / ‖XWᵀ‖² summed over the groups' rows, Ŵ the weight the codes give (0 when XWᵀ = 0).
double outputError(const LayerInfo& layer, const std::vector<float>& w, const QuantizedCodes& codes,
                   const std::vector<at::Tensor>& rows);

}  // namespace qs::detail
