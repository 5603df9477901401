// Options of learned weight rounding (core/quantize/learned_rounding.h): AdaRound's and GPTQ's
// hyper-parameters and how layer inputs are sampled. Plain C++, so the command line and the studio
// can hold them without LibTorch.
#pragma once

#include <cstdint>

#include "core/quantize/range_methods.h"

namespace qs {

// AdaRound, with AIMET's defaults except the iterations (core/quantize/adaround.h). The default of
// 100 iterations per layer comes from the quality/time curve measured on the demo (README, "Learned
// rounding"): held-out WER got worse with more iterations (300, 1000), 100 was within noise of nearest.
struct AdaRoundOptions {
    int iterations = 100;         // per layer; 0 = nearest rounding
    int batchRows = 256;          // input rows per minibatch (all rows when fewer)
    double regularization = 0.01; // λ
    double betaStart = 20.0, betaEnd = 2.0;
    double warmStart = 0.2;       // fraction of the iterations without the rounding term
    double learningRate = 1e-3;   // Adam, on V only
    std::uint64_t seed = 0;       // of the minibatch order (the driver adds the layer index)
};

// GPTQ (core/quantize/gptq.h).
struct GptqOptions {
    double dampening = 0.01;      // of the mean diagonal of H, raised tenfold while H is not positive definite
    int blockSize = 128;          // columns per lazy-update block
    bool actOrder = true;         // columns by decreasing H_jj
    int maxColumns = 2048;        // longer weight rows are solved in independent chunks of this many
                                  // columns (a block-diagonal H): bounds the d³ factorisations
};

struct LearnedRoundingOptions {
    WeightRounding method = WeightRounding::Nearest;
    bool sequential = false;      // inputs from the model with every earlier layer already quantized
    // Layer inputs, sampled on the calibration clips: at most sampleRows rows (output positions of a
    // convolution) per layer, spread evenly over the clips (0: the method's default, rowsPerLayer);
    // at most sampleMb of samples held at once (a model whose samples need more is sampled in several
    // passes over the clips).
    int sampleRows = 0;
    double sampleMb = 512.0;
    // AdaRound's working set per worker: a layer's unfolded rows beyond this are subsampled evenly.
    double workingMb = 256.0;
    // Keep nearest rounding for a layer where the learned rounding's output error on the sampled rows
    // is larger (the encoding says so).
    bool keepBetter = true;
    AdaRoundOptions adaround;
    GptqOptions gptq;
};

// The rows per layer options ask for. GPTQ's default is 4× AdaRound's: its H = 2XXᵀ/n must be
// estimated well over rows of thousands of columns (the paper uses 128 × 2048 tokens), and held-out
// WER on the demo improved with it (README, "Learned rounding"); AdaRound sees 256-row minibatches.
constexpr int kAdaRoundRows = 4096, kGptqRows = 16384;
inline int rowsPerLayer(const LearnedRoundingOptions& o) {
    return o.sampleRows > 0 ? o.sampleRows : o.method == WeightRounding::Gptq ? kGptqRows : kAdaRoundRows;
}

}  // namespace qs
