// Graph surgery: inlining forward, finding layer nodes and their weights, inserting observers and
// fake-quantize ops.
#include "core/model/torch_graph.h"

#include <torch/csrc/jit/passes/inliner.h>

#include <map>
#include <set>
#include <unordered_map>

#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/model/chunked_conv.h"

namespace qs::detail {
namespace {

using torch::jit::Block;
using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

thread_local LayerSink* tlSink = nullptr;
thread_local const std::vector<at::Tensor>* tlWeights = nullptr;
thread_local const std::vector<ActQuant>* tlActs = nullptr;
thread_local std::string tlQuantizerError;
thread_local BoundaryHook* tlBoundary = nullptr;

// Every layer boundary: a cancel request stops the pass here, and the memory probe cuts a stage.
void layerBoundary() {
    throwIfCancelled();
    if (BoundaryHook* hook = tlBoundary) hook->boundary();
}

// Hands x, laid out with channel dimension `axis`, to deliver(layer, data, outer, channels, inner).
template <typename Deliver>
void deliverBlock(const at::Tensor& x, int64_t layer, int64_t axis, Deliver deliver) {
    const at::Tensor c = x.scalar_type() == at::kFloat ? x.contiguous() : x.to(at::kFloat).contiguous();
    const int64_t dim = c.dim();
    const int64_t ax = axis < 0 ? axis + dim : axis;
    if (ax < 0 || ax >= dim) return;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < ax; ++i) outer *= c.size(i);
    for (int64_t i = ax + 1; i < dim; ++i) inner *= c.size(i);
    deliver(int(layer), c.data_ptr<float>(), std::size_t(outer), std::size_t(c.size(ax)), std::size_t(inner));
}

// The observer: hands a layer's output to this thread's sink and returns the tensor unchanged.
// axis is the channel dimension (1 for convolutions, -1 for linear layers).
at::Tensor observe(const at::Tensor& x, int64_t layer, int64_t axis) {
    layerBoundary();
    LayerSink* sink = tlSink;
    if (!sink || !x.defined() || x.dim() == 0) return x;
    deliverBlock(x, layer, axis, [sink](int l, const float* d, std::size_t o, std::size_t c, std::size_t i) {
        sink->observe(l, d, o, c, i);
    });
    return x;
}

// The weight a layer computes with: this thread's replacement when one is set for the layer (a
// quantized copy, say), else the module's own parameter.
at::Tensor weight(const at::Tensor& w, int64_t layer) {
    layerBoundary();
    const std::vector<at::Tensor>* table = tlWeights;
    if (!table || std::size_t(layer) >= table->size()) return w;
    const at::Tensor& replacement = (*table)[std::size_t(layer)];
    return replacement.defined() ? replacement : w;
}

std::string channelMismatch(const std::string& layer, int64_t scales, int64_t channels) {
    return "the activation quantizer of " + layer + " has " + std::to_string(scales) +
           " channel scales but the layer's input has " + std::to_string(channels) + " channels";
}

// A layer's input as the quantized model sees it: fake-quantized with this thread's parameters for
// the layer when it has any (the same ATen operator the exported model calls: per tensor, or per
// channel along `axis` made non-negative), else unchanged.
at::Tensor act(const at::Tensor& x, int64_t layer, int64_t axis) {
    LayerSink* sink = tlSink;
    if (sink && sink->wantsInputs() && x.defined() && x.dim() > 0) {
        const at::Tensor c = x.scalar_type() == at::kFloat ? x.contiguous() : x.to(at::kFloat).contiguous();
        sink->observeInputTensor(int(layer), c.data_ptr<float>(), c.sizes().vec(), int(axis));
    }
    const std::vector<ActQuant>* table = tlActs;
    if (!table || std::size_t(layer) >= table->size() || !(*table)[std::size_t(layer)].on) return x;
    const ActQuant& q = (*table)[std::size_t(layer)];
    if (!q.channelScale.defined()) return at::fake_quantize_per_tensor_affine(x, q.scale, q.zeroPoint, q.qmin, q.qmax);
    const int64_t ax = axis < 0 ? axis + x.dim() : axis;
    const int64_t channels = ax >= 0 && ax < x.dim() ? x.size(ax) : 0;
    if (channels != q.channelScale.numel()) {
        tlQuantizerError = channelMismatch(q.layerName, q.channelScale.numel(), channels);
        throw ModelError(tlQuantizerError);
    }
    return at::fake_quantize_per_channel_affine(x, q.channelScale, q.channelZeroPoint, ax, q.qmin, q.qmax);
}

// CONSERVATIVE alias analysis: the executor treats the nodes as having side effects, so no
// optimisation pass removes, hoists or merges them.
TORCH_LIBRARY(quantscope, m) {
    m.def(torch::schema("quantscope::observe(Tensor x, int layer, int axis) -> Tensor",
                        c10::AliasAnalysisKind::CONSERVATIVE),
          &observe);
    m.def(torch::schema("quantscope::weight(Tensor w, int layer) -> Tensor", c10::AliasAnalysisKind::CONSERVATIVE),
          &weight);
    m.def(torch::schema("quantscope::act(Tensor x, int layer, int axis) -> Tensor", c10::AliasAnalysisKind::CONSERVATIVE), &act);
}

// "a.b.weight" for a value produced by GetAttr[weight](GetAttr[b](GetAttr[a](self))); empty when
// the chain does not start at the graph's first input (self) or passes through anything else.
std::string attributePath(Value* v, Value* self) {
    std::vector<std::string> parts;
    while (v != self) {
        Node* n = v->node();
        if (n->kind() != c10::prim::GetAttr) return {};
        parts.push_back(n->s(c10::attr::name));
        v = n->input(0);
    }
    std::string path;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) path += (path.empty() ? "" : ".") + *it;
    return path;
}

bool isConvolution(const Node* n) {
    return n->kind() == c10::aten::_convolution || n->kind() == c10::aten::conv1d ||
           n->kind() == c10::aten::conv2d;
}

bool isTransposedConvolution(const Node* n) {
    if (n->kind() != c10::aten::_convolution) return false;
    auto transposed = torch::jit::toIValue(n->input(6));
    return !transposed || !transposed->isBool() || transposed->toBool();
}

struct LayerSite {
    Node* node;
    int layer;
    int axis;
};

// The input channels a layer site expects: a linear weight's second dimension, a convolution
// weight's second dimension times its (constant) groups; 0 when the groups are not a constant.
int64_t inputChannels(const LayerSite& site, const at::Tensor& w) {
    if (site.axis < 0) return w.size(1);
    const std::size_t groupsInput = site.node->kind() == c10::aten::_convolution ? 8 : 6;
    if (site.node->inputs().size() <= groupsInput) return 0;
    auto groups = torch::jit::toIValue(site.node->input(groupsInput));
    return groups && groups->isInt() ? w.size(1) * groups->toInt() : 0;
}

class Finder {
public:
    Finder(Value* self, const std::map<std::string, at::Tensor>& params) : self_(self), params_(params) {}

    void visit(Block* block) {
        for (Node* n : block->nodes()) {
            for (Block* b : n->blocks()) visit(b);
            const bool linear = n->kind() == c10::aten::linear;
            if (!linear && !(isConvolution(n) && !isTransposedConvolution(n))) continue;
            const std::string path = attributePath(n->input(1), self_);
            auto param = params_.find(path);
            if (param == params_.end()) continue;  // weight computed at run time: not a layer
            const at::Tensor& w = param->second;
            std::string kind = "linear";
            if (!linear) {
                if (w.dim() == 3) kind = "conv1d";
                else if (w.dim() == 4) kind = "conv2d";
                else continue;
            } else if (w.dim() != 2) {
                continue;
            }
            const int layer = layerIndex(path, kind, w);
            if (linear) layers[std::size_t(layer)].geometryKnown = true;
            else if (layers[std::size_t(layer)].stride.empty()) readGeometry(n, w, layers[std::size_t(layer)]);
            sites.push_back({n, layer, linear ? -1 : 1});
        }
    }

    std::vector<LayerSite> sites;
    std::vector<LayerInfo> layers;
    std::vector<at::Tensor> weights;

private:
    // Stride, padding, dilation and groups of a convolution node whose arguments are constants:
    // aten::_convolution(x, w, b, stride, padding, dilation, transposed, output_padding, groups, ...)
    // or aten::conv1d/conv2d(x, w, b, stride, padding (a list, or "same"/"valid"), dilation, groups).
    static void readGeometry(Node* n, const at::Tensor& w, LayerInfo& info) {
        const std::size_t spatial = std::size_t(w.dim() - 2);
        const bool full = n->kind() == c10::aten::_convolution;
        const std::size_t groupsAt = full ? 8 : 6;
        if (n->inputs().size() <= groupsAt) return;
        auto list = [&](std::size_t i, std::vector<std::int64_t>& out) {
            Value* value = n->input(i);
            out.clear();
            if (auto v = torch::jit::toIValue(value); v && v->isIntList()) {
                out = v->toIntVector();
            } else if (value->node()->kind() == c10::prim::ListConstruct) {  // traced: a list of constants
                for (Value* item : value->node()->inputs()) {
                    auto v = torch::jit::toIValue(item);
                    if (!v || !v->isInt()) return false;
                    out.push_back(v->toInt());
                }
            } else {
                return false;
            }
            if (out.size() == 1 && spatial > 1) out.assign(spatial, out[0]);
            return out.size() == spatial;
        };
        auto groups = torch::jit::toIValue(n->input(groupsAt));
        if (!groups || !groups->isInt() || !list(3, info.stride) || !list(5, info.dilation)) return;
        info.groups = groups->toInt();
        auto padding = torch::jit::toIValue(n->input(4));
        if (padding && padding->isString()) {  // conv1d/conv2d(..., str padding, ...)
            info.padBegin.assign(spatial, 0);
            info.padEnd.assign(spatial, 0);
            if (padding->toStringRef() == "same")
                for (std::size_t d = 0; d < spatial; ++d) {
                    const std::int64_t total = info.dilation[d] * (w.size(int64_t(d) + 2) - 1);
                    info.padBegin[d] = total / 2;
                    info.padEnd[d] = total - total / 2;
                }
            else if (padding->toStringRef() != "valid")
                return;
        } else if (list(4, info.padBegin)) {
            info.padEnd = info.padBegin;
        } else {
            return;
        }
        info.geometryKnown = info.groups >= 1;
    }

    int layerIndex(const std::string& path, const std::string& kind, const at::Tensor& w) {
        auto it = index_.find(path);
        if (it != index_.end()) return it->second;
        LayerInfo info;
        const std::string suffix = ".weight";
        const bool strip = path.size() > suffix.size() &&
                           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
        info.name = strip ? path.substr(0, path.size() - suffix.size()) : path;
        info.kind = kind;
        info.params = w.numel();
        info.shape = w.sizes().vec();
        layers.push_back(info);
        weights.push_back(w);
        return index_[path] = int(layers.size()) - 1;
    }

    Value* self_;
    const std::map<std::string, at::Tensor>& params_;
    std::unordered_map<std::string, int> index_;
};


// The inlined copy of module's forward graph and the layers in it.
struct FoundLayers {
    std::shared_ptr<Graph> graph;
    std::vector<LayerSite> sites;
    std::vector<LayerInfo> layers;
    std::vector<at::Tensor> weights;
};

FoundLayers findLayers(const torch::jit::Module& module) {
    auto method = module.find_method("forward");
    if (!method) throw ModelError("the TorchScript module has no forward method");
    std::shared_ptr<Graph> graph = method->graph()->copy();
    torch::jit::Inline(*graph);

    std::map<std::string, at::Tensor> params;
    for (const auto& p : module.named_parameters(/*recurse=*/true)) params[p.name] = p.value;

    Finder finder(graph->inputs().at(0), params);
    finder.visit(graph->block());
    return {graph, finder.sites, finder.layers, finder.weights};
}

}  // namespace

InstrumentedGraph instrumentForward(const torch::jit::Module& module) {
    FoundLayers found = findLayers(module);
    std::shared_ptr<Graph> graph = found.graph;
    // Long 1-D convolutions run in pieces, a cancel check between pieces (chunked_conv.h).
    for (LayerSite& site : found.sites)
        if (found.layers[std::size_t(site.layer)].kind == "conv1d") site.node = chunkConvolution(*graph, site.node);

    const c10::Symbol observeOp = c10::Symbol::fromQualString("quantscope::observe");
    const c10::Symbol weightOp = c10::Symbol::fromQualString("quantscope::weight");
    const c10::Symbol actOp = c10::Symbol::fromQualString("quantscope::act");
    for (const LayerSite& site : found.sites) {
        {
            torch::jit::WithInsertPoint guard(site.node);
            Value* layer = graph->insertConstant(int64_t(site.layer));
            Node* w = graph->insertNode(graph->create(weightOp, {site.node->input(1), layer}));
            w->output()->setType(site.node->input(1)->type());
            site.node->replaceInput(1, w->output());
            Value* axis = graph->insertConstant(int64_t(site.axis));
            Node* a = graph->insertNode(graph->create(actOp, {site.node->input(0), layer, axis}));
            a->output()->setType(site.node->input(0)->type());
            site.node->replaceInput(0, a->output());
        }
        Value* out = site.node->output(0);
        torch::jit::WithInsertPoint guard(site.node->next());
        Value* layer = graph->insertConstant(int64_t(site.layer));
        Value* axis = graph->insertConstant(int64_t(site.axis));
        Node* obs = graph->insertNode(graph->create(observeOp, {out, layer, axis}));
        obs->output()->setType(out->type());
        out->replaceAllUsesAfterNodeWith(obs, obs->output());
    }
    graph->lint();
    return {graph, found.layers, found.weights};
}

namespace {

// The ONNX variant of a per-tensor activation quantizer of qmax < 255: x clamped to the float range of
// its grid, [(0 − zp) × scale, (qmax − zp) × scale], before an 8-bit quantizer of the same scale and
// zero point. Throws InputError for a range torch's exporter cannot take (wider than 8 bits).
Value* clampForOnnx(Graph& g, Value* x, const ActQuant& q, const LayerInfo& layer) {
    if (q.qmin != 0 || q.qmax > 255)
        throw InputError("the input quantizer of " + layer.name + " has the range [" + std::to_string(q.qmin) + ", " +
                         std::to_string(q.qmax) + "]; ONNX export takes activation quantizers of 2 to 8 bits");
    if (q.qmax == 255 || q.channelScale.defined()) return x;  // channelQuantForOnnx clamps per channel
    const double lo = double(float(0 - q.zeroPoint) * q.scale), hi = double(float(q.qmax - q.zeroPoint) * q.scale);
    return g.insert(c10::aten::clamp, {x, lo, hi});
}

// A per-channel activation quantizer as ONNX gets it: x · (1 / s_c), clamped to [qmin − z_c, qmax − z_c],
// rounded half to even, times s_c. Bit for bit at::fake_quantize_per_channel_affine (which computes
// clamp(nearbyint(x · (1 / s_c)) + z_c, qmin, qmax) − z_c, times s_c; the bounds are integers, so
// clamping before rounding is the same), and no QuantizeLinear/DequantizeLinear pair: ONNX Runtime
// 1.30 fuses a per-channel pair feeding MatMul into MatMulIntegerToFloat, which then refuses to run
// ("input a zero point must be a scalar or 1D tensor of size 1"). Vectors are shaped to broadcast
// along the channel dimension (the last for linear layers, 1 for convolutions).
Value* channelQuantForOnnx(Graph& g, Value* x, const ActQuant& q, const LayerSite& site, const LayerInfo& layer) {
    std::vector<int64_t> shape{q.channelScale.numel()};
    if (site.axis >= 0) shape.resize(layer.kind == "conv2d" ? 3 : 2, 1);
    const at::Tensor zp = q.channelZeroPoint.to(at::kFloat).reshape(shape);
    const at::Tensor scale = q.channelScale.reshape(shape);
    const at::Tensor inv = at::reciprocal(scale);  // 1.0f / s, as the ATen kernel computes it
    Value* v = g.insert(c10::aten::mul, {x, g.insertConstant(inv)});
    v = g.insert(c10::aten::clamp, {v, g.insertConstant(double(q.qmin) - zp), g.insertConstant(double(q.qmax) - zp)});
    v = g.insert(c10::aten::round, {v});
    return g.insert(c10::aten::mul, {v, g.insertConstant(scale)});
}

}  // namespace

std::vector<at::Tensor> rewriteForExport(torch::jit::Module& module, const std::vector<ActQuant>& acts,
                                         const std::vector<WeightTag>* weightTags) {
    FoundLayers found = findLayers(module);
    if (acts.size() != found.layers.size() || (weightTags && weightTags->size() != found.layers.size()))
        throw ModelError("the model file's layers changed since it was loaded");
    Graph& g = *found.graph;
    for (const LayerSite& site : found.sites) {
        const WeightTag* tag = weightTags ? &(*weightTags)[std::size_t(site.layer)] : nullptr;
        if (tag && tag->on) {
            torch::jit::WithInsertPoint guard(site.node);
            Value* w = site.node->input(1);
            Value* fw = tag->scales.numel() == 1
                            ? g.insert(c10::aten::fake_quantize_per_tensor_affine,
                                       {w, double(tag->scales.item<float>()), int64_t(0), int64_t(-128), int64_t(127)})
                            : g.insert(c10::aten::fake_quantize_per_channel_affine,
                                       {w, g.insertConstant(tag->scales),
                                        g.insertConstant(at::zeros({tag->scales.numel()}, at::kInt)), int64_t(0),
                                        int64_t(-128), int64_t(127)});
            site.node->replaceInput(1, fw);
        }
        const ActQuant& q = acts[std::size_t(site.layer)];
        if (!q.on) continue;
        torch::jit::WithInsertPoint guard(site.node);
        Value* x = site.node->input(0);
        if (weightTags) {
            x = clampForOnnx(g, x, q, found.layers[std::size_t(site.layer)]);
            if (q.channelScale.defined()) {  // per channel as plain arithmetic (see the header)
                site.node->replaceInput(0, channelQuantForOnnx(g, x, q, site, found.layers[std::size_t(site.layer)]));
                continue;
            }
        }
        const std::int64_t qmax = weightTags ? 255 : q.qmax;
        Value* fq = nullptr;
        if (!q.channelScale.defined()) {
            fq = g.insert(c10::aten::fake_quantize_per_tensor_affine, {x, double(q.scale), q.zeroPoint, q.qmin, qmax});
        } else {
            const int64_t channels = inputChannels(site, found.weights[std::size_t(site.layer)]);
            if (channels != 0 && channels != q.channelScale.numel())
                throw ModelError(channelMismatch(found.layers[std::size_t(site.layer)].name, q.channelScale.numel(), channels));
            Value* axis = site.axis >= 0 ? g.insertConstant(int64_t(site.axis))
                                         : g.insert(c10::aten::sub, {g.insert(c10::aten::dim, {x}), int64_t(1)});
            fq = g.insert(c10::aten::fake_quantize_per_channel_affine,
                          {x, g.insertConstant(q.channelScale), g.insertConstant(q.channelZeroPoint), axis, q.qmin,
                           qmax});
        }
        site.node->replaceInput(0, fq);
    }
    found.graph->lint();

    // Swap the class's forward for the rewritten graph, as LibTorch's freezing pass swaps methods.
    // The schema goes along: a function made from a graph alone has no argument defaults, and a
    // forward(x, lengths: Optional[Tensor] = None) would then demand lengths.
    torch::jit::Function& old = module.get_method("forward").function();
    const c10::QualifiedName name = old.qualname();
    const c10::FunctionSchema schema = old.getSchema();
    auto cu = module._ivalue()->compilation_unit();
    module.type()->unsafeRemoveMethod("forward");
    cu->unsafeRemoveMethod(name);
    torch::jit::Function* fn = cu->create_function(name, found.graph);
    fn->setSchema(schema);
    module.type()->addMethod(fn);
    return found.weights;
}

std::string takeQuantizerError() {
    std::string m;
    m.swap(tlQuantizerError);
    return m;
}

ThreadSinkScope::ThreadSinkScope(LayerSink* sink) : previous_(tlSink) { tlSink = sink; }
ThreadSinkScope::~ThreadSinkScope() { tlSink = previous_; }

ThreadBoundaryScope::ThreadBoundaryScope(BoundaryHook* hook) : previous_(tlBoundary) { tlBoundary = hook; }
ThreadBoundaryScope::~ThreadBoundaryScope() { tlBoundary = previous_; }

ThreadWeightsScope::ThreadWeightsScope(const std::vector<at::Tensor>* weights) : previous_(tlWeights) {
    tlWeights = weights;
}
ThreadWeightsScope::~ThreadWeightsScope() { tlWeights = previous_; }

ThreadActsScope::ThreadActsScope(const std::vector<ActQuant>* acts) : previous_(tlActs) { tlActs = acts; }
ThreadActsScope::~ThreadActsScope() { tlActs = previous_; }

}  // namespace qs::detail
