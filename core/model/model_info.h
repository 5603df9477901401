// What quantscope knows about a model, in plain C++: its quantizable layers and parameter counts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/base/memory_plan.h"

namespace qs {

// The sample rates a model (model.json) or an analysis may name.
inline constexpr int kMinSampleRate = 1000;
inline constexpr int kMaxSampleRate = 384000;

struct LayerInfo {
    std::string name;                  // parameter path without ".weight" (e.g. "encoder.layers.0.fc1")
    std::string kind;                  // "linear", "conv1d" or "conv2d"
    std::int64_t params = 0;           // weight element count
    std::vector<std::int64_t> shape;   // weight shape, output channels first
    std::int64_t outChannels() const { return shape.empty() ? 0 : shape[0]; }

    // Convolutions: how the kernel slides over the input, one entry per spatial dimension, as the
    // graph's constants say (padding 'same' resolved: padEnd may then exceed padBegin by one).
    // geometryKnown is false when they are not constants (the layer then keeps nearest rounding).
    std::vector<std::int64_t> stride, padBegin, padEnd, dilation;
    std::int64_t groups = 1;
    bool geometryKnown = false;
};

struct ModelInfo {
    std::string path;
    std::int64_t totalParams = 0;      // every parameter of the module tree
    int sampleRate = 16000;            // from model.json, default 16 kHz
    bool normalize = true;             // zero-mean unit-variance waveform, default on
    std::vector<std::string> labels;   // CTC vocabulary (blank first); empty when unknown
    std::vector<LayerInfo> layers;     // quantizable layers in network (graph) order
    ForwardMemory memory;              // how a forward pass's memory grows with the clip (probed at load)

    // The float model's size in MiB: every parameter at 32 bits.
    double sizeMb() const { return double(totalParams) * 4.0 / (1024.0 * 1024.0); }
};

// What one worker of any job holds besides its forward passes: up to three clips' statistics or
// calibration sinks in flight (a quantile sketch of ~128 KiB per layer, as activations typically
// fill it, and a few values per channel), and two copies of the largest layer weight (a distance
// pass quantizes one layer per worker).
inline double workerStateBytes(const ModelInfo& model) {
    double sink = 0, largest = 0;
    for (const LayerInfo& l : model.layers) {
        sink += 128.0 * 1024 + 16.0 * double(l.outChannels() + (l.shape.size() > 1 ? l.shape[1] : 0));
        largest = std::max(largest, double(l.params) * sizeof(float));
    }
    return 3 * sink + 2 * largest;
}

// A worker of a job that runs `model` once per clip.
inline WorkerMemory workerMemory(const ModelInfo& model) { return {{model.memory}, workerStateBytes(model)}; }

// How a user's audio must be read for this model: resampled to its rate, normalized as it expects.
inline CorpusOptions corpusOptionsFor(const ModelInfo& model) {
    CorpusOptions options;
    options.targetRate = model.sampleRate;
    options.normalize = model.normalize;
    return options;
}

}  // namespace qs
