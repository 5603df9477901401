// How long learned rounding takes, estimated before it runs (for progress units and the studio's
// export dialog): a cost model of AdaRound's iterations and GPTQ's Hessians and factorisations, in
// seconds of one core of the machine it was measured on (README, "Learned rounding"). Plain C++.
#pragma once

#include <cstdint>
#include <vector>

#include "core/model/model_info.h"
#include "core/quantize/learned_rounding_options.h"

namespace qs {

// Whether learned rounding can work on this layer: linear, or conv1d/conv2d with known geometry.
bool roundable(const LayerInfo& layer);

// An upper bound of the bytes the input samples of one layer take for rowsPerClip rows on each of
// `clips` clips (conv2d: the padded input width is not known before a pass; `width` estimates it).
double sampleBytes(const LayerInfo& layer, std::int64_t rowsPerClip, std::size_t clips, std::int64_t width = 80);

// Seconds one core takes to round this layer with `method` from `rows` input rows (output
// positions); 0 for nearest rounding or a layer learned rounding cannot handle.
double roundingCost(const LayerInfo& layer, WeightRounding method, const LearnedRoundingOptions& options,
                    std::int64_t rows);

// Seconds for every layer whose bits are 2..16, on `threads` workers (0 = every core), plus
// `passSeconds` for each pass over the calibration clips (independent mode: one per sampleMb of
// samples; sequential: one per stage). rowsPerClip[l]: the rows layer l's input offers per clip (the
// analysis knows them: its output positions); missing or 0 assumes the requested share, which
// overestimates GPTQ's 16,384 rows on short clips many times over.
double estimateRoundingSeconds(const std::vector<LayerInfo>& layers, const std::vector<int>& bits,
                               const LearnedRoundingOptions& options, int calibrationClips, int threads,
                               double passSeconds, const std::vector<double>& rowsPerClip = {});

}  // namespace qs
