// Activation quantizer calibration: an asymmetric quantizer for the input of every quantized layer,
// its clipping range chosen on the calibration clips by one of three methods, with per-embedding-group
// (PEG) quantization (Bondarenko et al., EMNLP 2021) for layers whose input channels carry structured
// outliers.
//
// Range methods (over the finite input values; NaN and ±Inf are ignored, as in analysis):
//   minmax      [min, max] of the values.
//   percentile  [the (100 − p)-th, the p-th percentile] of the signed values (p = `percentile`), read
//               from a quantile sketch (within 0.4% of the exact order statistic, see
//               core/stats/activation_stats.h; p = 100 gives the exact min and max).
//   mse         the range whose quantizer gives the smallest mean squared error Σ(x − q(x))² / n over
//               the values. Searched on the values' sketch (bins of relative width 2^-7, each bin's
//               count taken as spread uniformly over the bin clipped to [min, max]; the error inside a
//               bin is integrated exactly for the quantizer's grid and clamping): with
//               lo0 = min(min, 0), hi0 = max(max, 0) and the factors F = {0.01, 0.02, …, 1.00},
//               (1) the best [f·lo0, f·hi0] over f in F, then (2) alternately the best lower end
//               a·lo0 (upper end fixed) and the best upper end b·hi0 (lower end fixed) over a, b in F,
//               until neither changes (at most 4 rounds). Every candidate is evaluated as the
//               quantizer it becomes (scale and rounded zero point below). Ties keep the wider range,
//               and [lo0, hi0] is a candidate, so the estimated error is never above minmax's.
// Every range is then widened to include 0 and becomes, as PyTorch's MinMaxObserver derives it,
//   scale = (hi − lo) / (2^bits − 1)   (1 when that is not above 1e-12)
//   zeroPoint = clamp(nearbyint(−lo / scale), 0, 2^bits − 1),   qmin = 0, qmax = 2^bits − 1.
//
// PEG: each channel's range is r_c = max(hi_c, 0) − min(lo_c, 0) over the calibration values (the
// input's channel dimension: features of a linear layer, input channels of a convolution). A layer is
// an outlier layer when max r_c > outlierRatio × median r_c (the lower median; a zero median with a
// non-zero maximum counts too). Such a layer (every layer with groupsAllLayers) with at least two
// channels gets K = min(groups, channels) groups by range-based permutation: channels sorted by r_c
// ascending (ties by index) and cut into K contiguous runs, run g holding sorted positions
// [g·C/K, (g+1)·C/K). Each group has its own asymmetric quantizer whose range comes from the same
// method over the group's values (minmax: from the channels' extremes; percentile and mse need a
// second pass over the clips, run only when some layer is grouped). At run time the layer input is
// quantized per channel, every channel with its group's scale and zero point.
//
// Deterministic whatever the thread count: every forward pass runs on one LibTorch thread and the
// clips' values are folded in clip order (core/model/clip_runner.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/base/progress.h"
#include "core/model/speech_model.h"
#include "core/quantize/range_methods.h"

namespace qs {

struct ActivationCalibrationOptions {
    int bits = 8;                      // 2..16
    ActivationRange method = ActivationRange::MinMax;
    double percentile = 99.99;         // percentile method: p in [50, 100]
    int groups = 6;                    // PEG groups of an outlier layer; 0: never PEG
    double outlierRatio = 8.0;         // largest / median channel range above which a layer is grouped
    bool groupsAllLayers = false;      // PEG on every layer with at least two input channels
    int threads = 0;                   // 0 = every core
    std::int64_t maxMemory = 0;        // bytes for the whole process (0: the default, core/base/system_memory.h)
};

// One layer input's calibrated quantizer.
struct ActivationEncoding {
    int layer = -1;
    bool on = false;                   // false: layer not quantized, or no calibration value reached it
    int bits = 8;
    std::string method;                // "minmax", "percentile" or "mse"
    float observedMin = 0, observedMax = 0;  // extremes of the finite values seen
    float min = 0, max = 0;            // the per-tensor range used (0 included)
    float scale = 1;
    std::int64_t zeroPoint = 0;
    double mse = 0;                    // per-tensor quantizer's mean squared error, estimated on the sketch
    std::uint64_t count = 0;           // finite values seen

    // PEG. channels is the input's channel count; the ranges are the r_c above.
    std::size_t channels = 0;
    float maxChannelRange = 0, medianChannelRange = 0;
    bool outlier = false;              // max > outlierRatio × median
    int groups = 0;                    // 0: per tensor; else the groups below are what quant() applies
    std::vector<int> channelGroup;     // per channel: its group
    std::vector<float> groupMin, groupMax, groupScale;  // per group, ranges with 0 included
    std::vector<std::int64_t> groupZeroPoint;
    double groupMse = -1;              // PEG quantizer's estimated mean squared error (-1: not measured,
                                       // which is the case for minmax groups)

    std::int64_t qmin() const { return 0; }
    std::int64_t qmax() const { return (std::int64_t(1) << bits) - 1; }
    // The quantizer for SpeechModel::forwardWithWeights / exportQuantized: per tensor, or per channel
    // with every channel carrying its group's scale and zero point. Only meaningful when on.
    ActivationQuant quant() const;
};

// Calibrates the input quantizer of every layer l with quantizeLayer[l] (one flag per model layer)
// on the clips, run through the float model. Returns one encoding per model layer, in model order
// (on = false for the others and for layers no clip reached). Undecodable clips are skipped;
// *clipsUsed (when given) is the number of clips that ran, *skipped (when given) gets each skipped
// clip's file and reason, once. Throws InputError (bad options, no clip
// could be decoded), ModelError, Cancelled (progress returned false).
std::vector<ActivationEncoding> calibrateActivations(const SpeechModel& model, const AudioCorpus& corpus,
                                                     const std::vector<const Clip*>& clips,
                                                     const std::vector<bool>& quantizeLayer,
                                                     const ActivationCalibrationOptions& options,
                                                     const ProgressFn& progress = {}, int* clipsUsed = nullptr,
                                                     std::vector<SkippedFile>* skipped = nullptr);

// One layer input given as blocks in memory, laid out [outer][channels][inner] like LayerSink's
// (the same channel count in every block): the encoding calibrateActivations would give a layer
// that saw exactly these blocks. For tests and tools. Throws InputError on bad options or shapes.
struct InputBlock {
    const float* data = nullptr;
    std::size_t outer = 0, channels = 0, inner = 0;
};
ActivationEncoding calibrateInputBlocks(const std::vector<InputBlock>& blocks, const ActivationCalibrationOptions& options,
                                        int layer = 0);

}  // namespace qs
