// Calibration and export of a quantized model: one folder with model.pt (plain TorchScript with the
// quantized weights and activation fake-quantization), weights.safetensors (integer codes packed at
// their bit widths), encodings.json (AIMET-style ranges and scales) and report.csv (the run's
// figures, as myQASR logs them). Written atomically: a failed or cancelled export leaves nothing, and
// a cancel request stops it within a second, also while it writes (core/base/cancel.h).
//
// Weights: symmetric, per output channel by default (per tensor and per group too), clipping range by
// minmax, mse or output-cosine search (core/quantize/weight_calibration.h), then rounded to the nearest
// grid point or, learned on the calibration clips, by AdaRound or GPTQ (core/quantize/learned_rounding.h). Activations on each quantized
// layer's input: asymmetric, range by minmax, percentile or mse search on the calibration clips, per
// tensor or, for layers whose input channels carry structured outliers, per embedding group
// (core/quantize/activation_calibration.h).
#pragma once

#include <string>
#include <vector>

#include "core/quantize/activation_calibration.h"
#include "core/allocation/allocation.h"
#include "core/stats/analysis.h"
#include "core/audio/audio_corpus.h"
#include "core/base/progress.h"
#include "core/export/onnx_export.h"
#include "core/model/speech_model.h"
#include "core/quantize/learned_rounding_options.h"
#include "core/quantize/weight_calibration.h"

namespace qs {

struct ExportOptions {
    int activationBits = 8;     // 0: weights only
    int calibrationClips = 8;   // per speaker, spread over its clips (pickCalibrationClips); 0: every clip
    int threads = 0;            // 0 = every core
    bool onnx = false;          // also model.onnx and model.encodings (core/export/onnx_export.h)
    std::int64_t maxMemory = 0; // bytes for the whole process (0: the default, core/base/system_memory.h)
    WeightCalibrationOptions weights;  // method, granularity, clip candidates (its threads: ignored)
    LearnedRoundingOptions rounding;   // nearest by default; adaround, gptq learn it on the calibration clips
    ActivationCalibrationOptions activations = defaultActivationCalibration();  // bits, threads: ignored

    // The export's activation default: the mse range search (never a larger estimated error than
    // minmax), PEG on outlier layers.
    static ActivationCalibrationOptions defaultActivationCalibration() {
        ActivationCalibrationOptions a;
        a.method = ActivationRange::Mse;
        return a;
    }
};

// What one layer is quantized with.
struct LayerEncoding {
    std::string name;
    int bits = 32;                     // 32: kept in float (also for allocations above 16 bits)
    std::vector<float> weightScales;   // per tensor / channel / group (channel-major); zero points 0
    Granularity granularity = Granularity::PerChannel;
    std::int64_t groupSize = 0;        // per_group only
    WeightRange weightMethod = WeightRange::MinMax;  // as used (cosine falls back to mse where it cannot run)
    std::vector<float> clipFactors;    // per scale: scale = factor × max|w| / qmax
    double weightMse = 0;              // mean squared weight error
    double outputCosine = -2;          // cosine calibration: float vs quantized layer output
    WeightRounding rounding = WeightRounding::Nearest;  // learned rounding: as used on this layer
    double outputError = -1, nearestOutputError = -1;  // learned rounding: relative layer output errors
    std::int64_t roundingRows = 0;
    bool keptNearest = false;          // learned rounding did worse here: nearest codes stand
    double roundingSeconds = 0;
    ActivationEncoding input;          // input.on: the layer's input is fake-quantized
};

struct ExportSummary {
    std::string dir;
    std::vector<LayerEncoding> layers;
    double sizeModelMb = 0;             // the size model's figure for these bits
    double packedMb = 0;                // weights.safetensors: codes and float tensors
    double overheadMb = 0;              // scales, zero points and header on top of that
    int calibrationClips = 0;
    int groupedLayers = 0;              // layers whose input is quantized per embedding group
    std::vector<SkippedFile> skipped;   // calibration clips that could not be decoded, by path
    std::vector<std::string> calibrationFiles;  // the audio files calibration read (absolute, sorted);
                                                // encodings.json lists them, evaluation leaves them out
    double calibrationSeconds = 0, exportSeconds = 0;
    OnnxSummary onnx;                   // written only with ExportOptions::onnx
    double roundingSeconds = 0;         // learned rounding (part of the calibration)
    int roundedLayers = 0, keptNearestLayers = 0, roundingPasses = 0;
};

// The calibration clips: from every speaker of corpus, perSpeaker clips spread evenly over its clips
// in order (clip floor(k·n / perSpeaker) for k = 0 … perSpeaker−1 of its n), so that a speaker whose
// recordings run from one session to another is sampled across them; every clip when perSpeaker is
// 0 or at least n.
std::vector<const Clip*> pickCalibrationClips(const AudioCorpus& corpus, int perSpeaker);

// Calibrates the weights and the activation ranges of each quantized layer's input on the clips,
// then writes the folder. corpus may be null when options.activationBits is 0 and the weight
// calibration needs no audio (minmax, mse with nearest rounding). Throws InputError / ModelError /
// Cancelled.
ExportSummary exportQuantizedModel(const SpeechModel& model, const Analysis& analysis, const Allocation& allocation,
                                   const AudioCorpus* corpus, const ExportOptions& options, const std::string& outDir,
                                   const ProgressFn& progress = {});

}  // namespace qs
