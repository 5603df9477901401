// Learned weight rounding on the user's audio: after the range search has chosen every quantized
// layer's scales, AdaRound (core/quantize/adaround.h) or GPTQ (core/quantize/gptq.h) decides for
// each weight whether it rounds up or down, so as to reconstruct the layer's output on inputs sampled
// from the calibration clips. Every layer kind quantscope quantizes: Linear (nn.MultiheadAttention's
// in_proj included), Conv1d and Conv2d, the convolutions through their unfolded (im2col) inputs with
// their stride, padding, dilation and groups (core/quantize/layer_rows.h). The codes stay on the
// layer's grid (its bits, range and scales; GPTQ per group re-fits each group's scale on the updated
// weights), so the export's files agree bit for bit as with nearest rounding.
//
// Layer inputs: through the model's input sinks, at most rowsPerLayer(options) rows per layer (GPTQ
// 16,384, AdaRound 4,096 by default) spread over the clips, and at most options.sampleMb of samples
// held at once (several passes over the clips when a model needs more). Per worker, one piece at a
// time: its rows (GPTQ: one group's; AdaRound: subsampled to options.workingMb), GPTQ's H
// (≤ maxColumns² floats per chunk) or AdaRound's state (~6 × the weight).
//
// Independent mode (default): one float-model pass gives every layer's inputs (more when they do not
// fit in sampleMb, planned from one clip's rows per second); layers are then optimised in parallel,
// a layer's pieces (GPTQ: one per convolution group) shared over the workers. Sequential mode: layers in network order, each from the
// inputs the model gives with every earlier layer already quantized (its learned codes and the
// activation quantizers), as both papers do; layers that receive the same input (q, k, v) form one
// stage, and each stage costs a pass over the clips.
//
// Deterministic for any thread count: samples are folded in clip order, each piece is computed by
// one worker with one LibTorch thread and writes only its own part of the codes, and AdaRound's
// minibatch order is seeded per layer.
// Progress per layer (and inside AdaRound's and GPTQ's loops, so a cancel stops within a second).
#pragma once

#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/base/progress.h"
#include "core/model/speech_model.h"
#include "core/quantize/learned_rounding_options.h"
#include "core/quantize/weight_calibration.h"

namespace qs {

struct LearnedRoundingSummary {
    int clipsUsed = 0;
    std::vector<SkippedFile> skipped;  // calibration clips that could not be decoded
    int passes = 0;                    // passes over the calibration clips
    int layers = 0;                    // layers whose rounding was learned
    int keptNearest = 0;               // of those, layers where nearest rounding stood
    double seconds = 0.0;
};

// Re-rounds every encoding with layer >= 0 (encodings as calibrateWeights returns them, indexed by
// layer) with options.method; activations (may be empty) quantize layer inputs in sequential mode.
// `range` is the range search used for them (GPTQ's per-group re-fit uses it). Layers that cannot be
// unfolded, or that no clip reached, keep nearest rounding. Throws InputError (no decodable clip),
// ModelError, Cancelled (nothing changed then).
LearnedRoundingSummary learnRounding(const SpeechModel& model, std::vector<WeightEncoding>& encodings,
                                     const AudioCorpus& corpus, const std::vector<const Clip*>& clips,
                                     const std::vector<ActivationQuant>& activations,
                                     const WeightCalibrationOptions& range, const LearnedRoundingOptions& options,
                                     const ProgressFn& progress = {}, int threads = 0);

}  // namespace qs
