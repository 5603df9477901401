// Internal to core/model: measuring how a forward pass's memory grows with the length of its input
// (the figures ForwardMemory holds, core/base/memory_plan.h), by probe passes when a model loads.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "core/base/memory_plan.h"
#include "core/model/speech_model.h"

namespace qs::detail {

// pass(wave, sink) runs one instrumented forward pass over wave with sink observing every layer's
// input and output on the calling thread, and returns the output's element count.
using ProbePass = std::function<std::size_t(const std::vector<float>& wave, LayerSink& sink)>;

// Runs pass over quiet noise of 24000, 32000 and 48000 samples (1.5, 2 and 3 s at 16 kHz) on the
// calling thread with one LibTorch thread, counting the bytes LibTorch's CPU allocator holds (c10's
// memory reporting, the profiler's hook) between consecutive layer boundaries, and fits each stage's
// peak with a line or, when it curves, a + b·s + c·s² through the three. A probe predicted above
// 1 GiB (or a quarter of the memory available) is left out; the stages are then fitted with a + c·s²
// (c·s² from a single probe), which overestimates any linear growth. A model whose passes cut into a
// different number of stages at different lengths is fitted on its whole-pass peaks.
ForwardMemory measureForwardMemory(int sampleRate, const ProbePass& pass);

// The probe's waveform: n samples of quiet deterministic noise (the load's first probe uses it too).
std::vector<float> probeWave(std::size_t n);

}  // namespace qs::detail
