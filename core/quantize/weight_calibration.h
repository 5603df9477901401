// Weight quantizer calibration: symmetric integer codes per tensor, per output channel or per group
// of consecutive weights in a channel, with the clipping range chosen by one of three methods.
//
//   minmax  scale = max|w| / qmax over each scale group: nothing is clipped.
//   mse     each scale group independently takes the clip factor f, from `candidates` values evenly
//           spaced over [minFactor, maxFactor] plus 1.0 itself, whose scale f × max|w| / qmax gives the
//           smallest squared error Σ(w − q(w))². Including 1.0 means it is never worse than minmax.
//   cosine  one factor f per layer, from the same candidates, that maximizes the cosine similarity
//           between the layer's output with float and with quantized weights, computed on layer
//           inputs sampled from the calibration clips (the bias is left out: it is not quantized).
//           Linear layers use sampled input rows; conv1d layers sampled input segments (stride 1,
//           no padding). conv2d layers, and layers no clip reached, fall back to mse (the encoding
//           says so).
// The searches check for cancel requests (core/base/cancel.h) at every candidate.
// Ties keep the larger factor. Quantization arithmetic is core/quantize/quantizer.h's, bit-exact with
// LibTorch's fake-quantize operators; zero points are 0 (symmetric).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/export/packed_weights.h"
#include "core/base/progress.h"
#include "core/model/speech_model.h"
#include "core/quantize/range_methods.h"

namespace qs {

struct WeightCalibrationOptions {
    WeightRange method = WeightRange::Mse;
    Granularity granularity = Granularity::PerChannel;
    std::int64_t groupSize = 128;   // per_group: consecutive weights of one output channel
    int candidates = 100;           // clip factors evenly spaced over [minFactor, maxFactor] (plus 1.0)
    double minFactor = 0.01;
    double maxFactor = 1.2;
    int sampleRows = 256;           // cosine: input rows (linear) / output positions (conv1d) per layer
    int threads = 0;                // 0 = every core
    std::int64_t maxMemory = 0;     // bytes for the whole process (0: the default, core/base/system_memory.h)
};

// One layer's calibrated weight quantizer.
struct WeightEncoding {
    int layer = -1;
    WeightRange method = WeightRange::MinMax;  // what was used (cosine may have fallen back to mse)
    QuantizedCodes codes;                      // codes, scales and (zero) zero points
    std::vector<float> clipFactors;            // per scale group (minmax: all 1; cosine: all equal)
    double mse = 0.0;                          // mean squared weight error
    double outputCosine = -2.0;                // cosine: float vs quantized layer output on the samples
    int sampleRows = 0;                        // cosine: rows / output positions it was measured on
    // Learned rounding (core/quantize/learned_rounding.h): what rounded the codes, and the layer's
    // output error ‖X(W − Ŵ)ᵀ‖² / ‖XWᵀ‖² on the sampled input rows with these codes and with nearest
    // rounding (-1 when not measured).
    WeightRounding rounding = WeightRounding::Nearest;
    double outputError = -1.0, nearestOutputError = -1.0;
    std::int64_t roundingRows = 0;             // input rows (output positions) it was learned on
    bool keptNearest = false;                  // learned rounding was worse there, so nearest stands
    double roundingSeconds = 0.0;
};

// The clip factors a search tries, ascending, 1.0 included. Throws InputError on bad options.
std::vector<double> clipCandidates(const WeightCalibrationOptions& options);

// Scale of a symmetric quantizer for a group whose largest magnitude is absMax, clipped at factor:
// float(absMax × factor / qmax), or 1 for an all-zero group (its codes are all 0).
float clippedScale(float absMax, double factor, int bits);

// The scale one scale group of n weights gets from the range search (minmax, or mse; cosine,
// which needs layer outputs, searches as mse here), with its clip factor in *factor when given.
float searchGroupScale(const float* w, std::size_t n, int bits, const WeightCalibrationOptions& options,
                       float* factor = nullptr);

// Calibrates one weight (row-major, output channel first) with minmax or mse; cosine needs layer
// inputs, so here it is treated as mse. bits in 2..16. Throws InputError on a bad shape or options.
WeightEncoding calibrateWeight(const std::vector<float>& w, const std::vector<std::int64_t>& shape, int bits,
                               const WeightCalibrationOptions& options);

// Calibrates every layer whose bits[l] is in 2..16 (others get an encoding with layer -1). Cosine
// first runs the float model on clips to sample layer inputs; minmax and mse need no audio (corpus
// may then be null). Layers are calibrated in parallel. Undecodable clips are skipped; *clipsUsed
// (when given) is the number of clips that ran, *skipped (when given) gets each one's file and reason. Throws InputError (no decodable clip for cosine),
// ModelError, Cancelled.
std::vector<WeightEncoding> calibrateWeights(const SpeechModel& model, const std::vector<int>& bits,
                                             const AudioCorpus* corpus, const std::vector<const Clip*>& clips,
                                             const WeightCalibrationOptions& options,
                                             const ProgressFn& progress = {}, int* clipsUsed = nullptr,
                                             std::vector<SkippedFile>* skipped = nullptr);

}  // namespace qs
