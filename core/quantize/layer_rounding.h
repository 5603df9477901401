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

// The convolution groups a layer's input rows come in (layer_rows.h): the layer's groups; 1 for a
// linear layer.
inline std::int64_t rowGroups(const LayerInfo& layer) { return layer.kind == "linear" ? 1 : layer.groups; }

// Re-rounds encoding e (nearest codes on their grid, as calibrateWeight gives them) of weight w
// (row-major in layer.shape) on rows: one [n, row length] tensor per convolution group (one for a
// linear layer), the rows weight rows of group g multiply (layer_rows.h). Sets e's codes, its scales
// and clip factors (GPTQ per group re-fits them with `range`), mse and the rounding fields; with
// options.keepBetter, nearest codes stay where the learned ones give a larger output error on the
// rows. tick(fraction of the layer done) is called inside the optimisation and may throw Cancelled.
void roundLayer(const LayerInfo& layer, const std::vector<float>& w, WeightEncoding& e, const std::vector<at::Tensor>& rows,
                WeightRounding method, const WeightCalibrationOptions& range, const LearnedRoundingOptions& options,
                std::uint64_t seed, const std::function<void(double)>& tick = {});

// The same in pieces that may run on different workers at once, so that one wide layer does not keep
// the others waiting: GPTQ has one piece per convolution group (one for a linear layer), AdaRound one
// piece over every group. Construct, run every piece once (any order, concurrently for different k),
// then finish once.
class LayerRounding {
public:
    LayerRounding(const LayerInfo& layer, std::vector<float> w, const WeightEncoding& e, WeightRounding method,
                  const WeightCalibrationOptions& range, const LearnedRoundingOptions& options, std::uint64_t seed);
    static std::size_t pieces(const LayerInfo& layer, WeightRounding method);
    std::size_t pieces() const { return pieces(layer_, method_); }
    // The group whose rows piece k takes, or -1 when it takes every group's (in group order).
    std::int64_t groupOf(std::size_t k) const;
    // Runs piece k on the rows groupOf(k) names; tick(fraction of this piece) may throw Cancelled.
    void run(std::size_t k, const std::vector<at::Tensor>& rows, const std::function<void(double)>& tick = {});
    // After every piece: writes the result into e (as roundLayer does). rowsOf(g) gives group g's rows.
    void finish(WeightEncoding& e, const std::function<at::Tensor(std::int64_t)>& rowsOf);

private:
    const LayerInfo& layer_;
    std::vector<float> w_;
    ScaleLayout layout_;
    QuantizedCodes learned_;
    WeightRounding method_;
    const WeightCalibrationOptions& range_;
    const LearnedRoundingOptions& options_;
    std::uint64_t seed_;
    std::vector<double> seconds_;      // per piece
    std::vector<std::int64_t> used_;   // rows each piece learned on
};

// ‖X(W − Ŵ)ᵀ‖² / ‖XWᵀ‖² summed over the groups' rows, Ŵ the weight the codes give (0 when XWᵀ = 0).
double outputError(const LayerInfo& layer, const std::vector<float>& w, const QuantizedCodes& codes,
                   const std::vector<at::Tensor>& rows);

}  // namespace qs::detail
