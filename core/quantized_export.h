// Calibration and export of a quantized model: one folder with model.pt (plain TorchScript with the
// quantized weights and activation fake-quantization), weights.safetensors (integer codes packed at
// their bit widths), encodings.json (AIMET-style ranges and scales) and report.csv (the run's
// figures, as myQASR logs them). Written atomically: a failed or cancelled export leaves nothing.
//
// Calibration here is min-max: weights symmetric per output channel (scale = max|w_c| / qmax),
// activations on each quantized layer's input asymmetric per tensor from the min/max seen on the
// calibration clips (zero always representable, as PyTorch's MinMaxObserver does).
#pragma once

#include <string>
#include <vector>

#include "core/allocation.h"
#include "core/analysis.h"
#include "core/audio_corpus.h"
#include "core/progress.h"
#include "core/speech_model.h"

namespace qs {

struct ExportOptions {
    int activationBits = 8;     // 0: weights only
    int calibrationClips = 8;   // per speaker
    int threads = 0;            // 0 = every core
};

// What one layer is quantized with.
struct LayerEncoding {
    std::string name;
    int bits = 32;                     // 32: kept in float (also for allocations above 16 bits)
    std::vector<float> weightScales;   // per output channel; zero points are 0 (symmetric)
    bool quantizeInput = false;
    int inputBits = 8;
    float inputMin = 0, inputMax = 0;  // observed range of the input
    float inputScale = 1;
    std::int64_t inputZeroPoint = 0;
};

struct ExportSummary {
    std::string dir;
    std::vector<LayerEncoding> layers;
    double sizeModelMb = 0;             // the size model's figure for these bits
    double packedMb = 0;                // weights.safetensors: codes and float tensors
    double overheadMb = 0;              // scales, zero points and header on top of that
    int calibrationClips = 0;
    double calibrationSeconds = 0, exportSeconds = 0;
};

// Min-max activation ranges of each quantized layer's input over the clips; then writes the folder.
// corpus may be null when options.activationBits is 0. Throws InputError / ModelError / Cancelled.
ExportSummary exportQuantizedModel(const SpeechModel& model, const Analysis& analysis, const Allocation& allocation,
                                   const AudioCorpus* corpus, const ExportOptions& options, const std::string& outDir,
                                   const ProgressFn& progress = {});

}  // namespace qs
