// Internal to core/model: 1-D convolutions computed in pieces along time, checking for cancel
// requests between pieces, so that no single operator of an instrumented pass runs for long.
//
// A wav2vec2-base front end's second convolution costs ~37 G multiply-adds on a 30 s window: as one
// LibTorch operator it runs ~0.7 s on a quiet core (seconds on a busy one) with no way to stop it.
// In the instrumented graph, every 1-D convolution layer whose output costs more than
// kChunkedConvMinMacs multiply-adds is computed as consecutive runs of output frames of at most
// kChunkMacs each (wav2vec2-base's second convolution: 1365 frames, 36 runs on 30 s): input frames sliced (zero padding added at the two ends only), the same
// convolution on each slice, results written into one output. The pieces compute the same sums; the
// operator LibTorch picks for a piece may round the last bit differently from the whole (oneDNN
// blocks by shape), so results depend on the pieces, which depend on shapes alone: never on
// threads, timing or machine load. Exported models keep the plain operator.
#pragma once

#include <torch/script.h>

#include <cstdint>

namespace qs::detail {

constexpr std::int64_t kChunkMacs = std::int64_t(1) << 30;  // ~20 ms on one quiet core
constexpr std::int64_t kChunkedConvMinMacs = kChunkMacs;      // a convolution that fits one piece runs whole

// Replaces node (aten::conv1d with int[] arguments, or a 1-D non-transposed aten::_convolution) by
// quantscope::conv1d_chunked with the same inputs and output. Returns the new node, or node itself
// when its form is not one of those.
torch::jit::Node* chunkConvolution(torch::jit::Graph& graph, torch::jit::Node* node);

// The operator itself, for tests: what aten::conv1d(x, w, b, stride, padding, dilation, groups)
// computes, in pieces of at most maxMacs multiply-adds when the whole costs more than minMacs.
at::Tensor conv1dChunked(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                         at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups,
                         int64_t maxMacs = kChunkMacs, int64_t minMacs = kChunkedConvMinMacs);

}  // namespace qs::detail
