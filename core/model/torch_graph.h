// Internal to core/: graph surgery on TorchScript modules. Includes LibTorch; never include this
// from a header that Qt code sees.
#pragma once

#include <torch/script.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/model_info.h"
#include "core/model/speech_model.h"

namespace qs::detail {

struct InstrumentedGraph {
    std::shared_ptr<torch::jit::Graph> graph;  // inlined forward with observer nodes inserted
    std::vector<LayerInfo> layers;             // in order of first appearance in the graph
    std::vector<at::Tensor> weights;           // the layers' weight parameters, same order
};

// Copies module's forward graph, inlines every call, finds aten::linear / aten::_convolution /
// aten::conv1d / aten::conv2d nodes whose weight is a module parameter (resolved through its chain
// of prim::GetAttr nodes), and inserts after each a quantscope::observe node carrying the layer's
// index, and before each a quantscope::weight node through which the weight passes, so a thread can
// substitute its own weights (see ThreadWeightsScope). Nodes inside prim::If / prim::Loop blocks are included; a weight used at several places is
// one layer. Both nodes check this thread's cancel flags (core/base/cancel.h) and throw Cancelled
// when one is set, so a pass stops at its next layer boundary; long 1-D convolution layers become
// quantscope::conv1d_chunked, which checks between pieces (chunked_conv.h).
InstrumentedGraph instrumentForward(const torch::jit::Module& module);

// While alive, observer nodes executed on this thread report to sink; outside any scope they only
// pass their input on. Scopes restore the previous sink, so they nest.
class ThreadSinkScope {
public:
    explicit ThreadSinkScope(LayerSink* sink);
    ~ThreadSinkScope();
    ThreadSinkScope(const ThreadSinkScope&) = delete;
    ThreadSinkScope& operator=(const ThreadSinkScope&) = delete;

private:
    LayerSink* previous_;
};

// Told of every layer boundary of an instrumented pass on this thread: before each layer computes
// (its weight node) and after it has (its observer). The memory probe cuts passes into stages there.
class BoundaryHook {
public:
    virtual ~BoundaryHook() = default;
    virtual void boundary() = 0;
};

// While alive, layer boundaries on this thread call hook->boundary(). Restores the previous hook.
class ThreadBoundaryScope {
public:
    explicit ThreadBoundaryScope(BoundaryHook* hook);
    ~ThreadBoundaryScope();
    ThreadBoundaryScope(const ThreadBoundaryScope&) = delete;
    ThreadBoundaryScope& operator=(const ThreadBoundaryScope&) = delete;

private:
    BoundaryHook* previous_;
};

// Activation fake-quantization of one layer's input: per tensor, affine, or per channel along the
// input's channel dimension when channelScale is defined (float, one per channel) with
// channelZeroPoint (int32, as at::fake_quantize_per_channel_affine requires).
struct ActQuant {
    bool on = false;
    float scale = 1.0f;
    std::int64_t zeroPoint = 0;
    std::int64_t qmin = 0;
    std::int64_t qmax = 255;
    at::Tensor channelScale;
    at::Tensor channelZeroPoint;
    std::string layerName;  // for error messages
};

// The message of the last quantizer error raised on this thread inside a forward pass (a per-channel
// quantizer whose size does not match its layer's input), cleared by the call; empty when none.
// The TorchScript interpreter rethrows errors from operators as plain runtime errors, so the
// caller recovers the readable sentence here.
std::string takeQuantizerError();

// While alive, layer g's input is fake-quantized with (*acts)[g] wherever it is on.
class ThreadActsScope {
public:
    explicit ThreadActsScope(const std::vector<ActQuant>* acts);
    ~ThreadActsScope();
    ThreadActsScope(const ThreadActsScope&) = delete;
    ThreadActsScope& operator=(const ThreadActsScope&) = delete;

private:
    const std::vector<ActQuant>* previous_;
};

// For the model handed to torch.onnx.export (SpeechModel::exportOnnxSource): layer g's weight passes
// through aten::fake_quantize_per_channel_affine(w, scales, 0, 0, -128, 127) (per_tensor_affine when
// scales has one element); the weight already lies on that grid, so this only marks it.
struct WeightTag {
    bool on = false;
    at::Tensor scales;  // float [output channels], or [1]
};

// Rewrites module's forward for a self-contained quantized model: the graph inlined, with
// aten::fake_quantize_per_tensor_affine before each layer whose acts entry (graph order) is on, or
// aten::fake_quantize_per_channel_affine with constant scale and zero-point tensors for per-channel
// entries (the axis of a linear layer's input is aten::dim(x) - 1, since its rank is not fixed).
// Throws ModelError naming the layer when a per-channel entry's size differs from the layer's input
// channels (linear: the weight's second dimension; convolution: that times its groups).
// Returns the layers' weight parameters (graph order), which the caller overwrites in place with
// the quantized values. Only standard ATen operators remain, so stock PyTorch loads the result.
// With weightTags (graph order) the result is the ONNX exporter's variant: tagged weights are
// fake-quantized as WeightTag says; per-tensor activation quantizers narrower than 8 bits become a
// clamp to their float range followed by an 8-bit (0, 255) quantizer with the same scale and zero
// point (the same values: torch 1.13's exporter accepts only 8-bit ranges); per-channel ones become
// the same arithmetic in plain operators (mul, clamp, round, mul: see torch_graph.cpp for why). Wider
// than 8 bits throws InputError.
std::vector<at::Tensor> rewriteForExport(torch::jit::Module& module, const std::vector<ActQuant>& acts,
                                         const std::vector<WeightTag>* weightTags = nullptr);

// While alive, layer g of the instrumented graph computes with (*weights)[g] instead of its own
// parameter wherever that tensor is defined. Restores the previous table on exit.
class ThreadWeightsScope {
public:
    explicit ThreadWeightsScope(const std::vector<at::Tensor>* weights);
    ~ThreadWeightsScope();
    ThreadWeightsScope(const ThreadWeightsScope&) = delete;
    ThreadWeightsScope& operator=(const ThreadWeightsScope&) = delete;

private:
    const std::vector<at::Tensor>* previous_;
};

}  // namespace qs::detail
