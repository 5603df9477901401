// SpeechModel: loading TorchScript with model.json, the probe pass, and the plain, observed and
// overridden forward passes.
#include "core/model/speech_model.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/script.h>
#include <caffe2/serialize/file_adapter.h>
#include <ATen/Parallel.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unistd.h>
#include <thread>
#include <unordered_map>

#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/model/model_metadata.h"
#include "core/model/forward_memory.h"
#include "core/model/model_file.h"
#include "core/model/torch_graph.h"

namespace qs {
namespace {

// The first line of a LibTorch error, which is the readable part (the rest is a C++ backtrace).
std::string firstLine(const std::string& what) {
    std::string s = what.substr(0, what.find('\n'));
    const std::string noise = "Exception raised from";
    if (auto pos = s.find(noise); pos != std::string::npos) s = s.substr(0, pos);
    while (!s.empty() && (s.back() == ' ' || s.back() == '.')) s.pop_back();
    return s;
}

// Finds the most specific message in a TorchScript interpreter error: the line after the last
// "RuntimeError:" or similar marker, which names what the operator expected.
std::string modelErrorMessage(const std::string& what) {
    std::string best;
    std::size_t pos = 0;
    while ((pos = what.find("Error: ", pos)) != std::string::npos) {
        pos += 7;
        best = what.substr(pos, what.find('\n', pos) - pos);
    }
    return best.empty() ? firstLine(what) : best;
}

ModelOutput toOutput(const c10::IValue& out) {
    at::Tensor t;
    if (out.isTensor()) t = out.toTensor();
    else if (out.isTuple() && !out.toTupleRef().elements().empty() && out.toTupleRef().elements()[0].isTensor())
        t = out.toTupleRef().elements()[0].toTensor();
    else
        throw ModelError("the model's forward returned " + out.tagKind() +
                         "; expected a Tensor or a tuple whose first element is a Tensor");
    t = t.detach().to(at::kFloat).contiguous();
    ModelOutput o;
    o.shape = t.sizes().vec();
    o.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    return o;
}

// Remaps the graph's layer indices to execution order before passing blocks on.
class RemappingSink : public LayerSink {
public:
    RemappingSink(LayerSink& target, const std::vector<int>& order) : target_(target), order_(order) {}
    void observe(int layer, const float* data, std::size_t outer, std::size_t channels, std::size_t inner) override {
        target_.observe(order_[std::size_t(layer)], data, outer, channels, inner);
    }
    bool wantsInputs() const override { return target_.wantsInputs(); }
    void observeInput(int layer, const float* data, std::size_t outer, std::size_t channels, std::size_t inner) override {
        target_.observeInput(order_[std::size_t(layer)], data, outer, channels, inner);
    }
    void observeInputTensor(int layer, const float* data, const std::vector<std::int64_t>& shape, int axis) override {
        target_.observeInputTensor(order_[std::size_t(layer)], data, shape, axis);
    }

private:
    LayerSink& target_;
    const std::vector<int>& order_;
};

// Records the order in which layers first produce output.
class FirstSeenSink : public LayerSink {
public:
    explicit FirstSeenSink(std::size_t layers) : seen_(layers, false) {}
    void observe(int layer, const float*, std::size_t, std::size_t, std::size_t) override {
        if (!seen_[std::size_t(layer)]) {
            seen_[std::size_t(layer)] = true;
            order.push_back(layer);
        }
    }
    std::vector<int> order;

private:
    std::vector<bool> seen_;
};

}  // namespace

struct SpeechModel::Impl {
    torch::jit::Module module;
    std::unique_ptr<torch::jit::GraphFunction> observed;  // the instrumented forward
    std::vector<c10::IValue> defaults;                    // defaults for forward's trailing arguments
    std::vector<int> graphToInfo;                         // graph layer index -> info.layers index
    std::vector<at::Tensor> weights;                      // per info layer: the weight parameter
    ModelInfo info;
    std::string metadata;  // model.json as read

    std::vector<int> infoToGraph() const;
    void checkOverride(const WeightOverride& o) const;
    // exportQuantized / exportOnnxSource: the rewritten module written atomically to path.
    void save(const std::string& path, const std::vector<WeightOverride>& overrides,
              const std::vector<ActivationQuant>& activations, const std::string& extraMetadataJson,
              const std::vector<detail::WeightTag>* tags) const;

    std::vector<c10::IValue> stack(const std::vector<float>& wave) const {
        at::Tensor x = torch::from_blob(const_cast<float*>(wave.data()), {1, int64_t(wave.size())}, at::kFloat);
        std::vector<c10::IValue> s{module._ivalue(), x.clone()};
        s.insert(s.end(), defaults.begin(), defaults.end());
        return s;
    }

    // One pass through the instrumented graph (observers report to this thread's sink, if any).
    ModelOutput run(const std::vector<float>& wave) const {
        torch::NoGradGuard noGrad;
        detail::takeQuantizerError();  // forget any earlier pass's
        try {
            std::vector<c10::IValue> s = stack(wave);
            observed->run(s);
            return toOutput(s.back());
        } catch (const Error&) {
            throw;
        } catch (const std::exception& e) {  // c10::Error, or JITException from script code
            // A layer boundary saw a cancel request (torch_graph.h); the interpreter rethrew it as its own.
            if (cancelRequested()) throw Cancelled();
            if (std::string q = detail::takeQuantizerError(); !q.empty()) throw ModelError(q);
            throw ModelError("the model rejected a [1, " + std::to_string(wave.size()) +
                             "] float waveform: " + modelErrorMessage(e.what()));
        }
    }
};

SpeechModel SpeechModel::load(const std::string& path) {
    // Debian's LibTorch 1.13 profiling executor breaks some scripted models from their second call on
    // (DESIGN.md); the legacy executor runs them correctly.
    torch::jit::getProfilingMode() = false;

    auto impl = std::make_shared<Impl>();
    impl->info.path = path;
    torch::jit::ExtraFilesMap extra{{"model.json", ""}};
    try {
        impl->module = detail::loadTorchScript(std::make_shared<caffe2::serialize::FileAdapter>(path), extra);
    } catch (const Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        throw ModelError(path + " is not a TorchScript model (" + firstLine(e.what()) + ")");
    }
    impl->module.eval();
    applyModelMetadata(path, extra["model.json"], impl->info);

    for (const auto& p : impl->module.parameters(/*recurse=*/true)) impl->info.totalParams += p.numel();

    auto method = impl->module.find_method("forward");
    if (!method) throw ModelError(path + " has no forward method");
    const auto& args = method->function().getSchema().arguments();
    // args[0] is self, args[1] the waveform; anything after must have a default.
    if (args.size() < 2) throw ModelError(path + ": forward takes no input; expected a [1, samples] waveform");
    for (std::size_t i = 2; i < args.size(); ++i) {
        if (!args[i].default_value())
            throw ModelError(path + ": forward needs argument '" + args[i].name() +
                             "' besides the waveform; only a [1, samples] waveform can be given");
        impl->defaults.push_back(*args[i].default_value());
    }

    detail::InstrumentedGraph ig = detail::instrumentForward(impl->module);
    if (ig.layers.empty())
        throw ModelError(path + " has no quantizable layers (Linear, Conv1d or Conv2d weights that are module parameters)");
    impl->observed = std::make_unique<torch::jit::GraphFunction>("forward_observed", ig.graph, nullptr);

    // One second of quiet noise checks that forward accepts a waveform and returns a tensor, and
    // gives the order in which layers run: "network order" for everything downstream. Layers the
    // probe did not reach keep their graph order after the others.
    impl->metadata = extra["model.json"];
    const std::vector<float> probe = detail::probeWave(std::size_t(impl->info.sampleRate));
    FirstSeenSink firstSeen(ig.layers.size());
    try {
        detail::ThreadSinkScope scope(&firstSeen);
        impl->run(probe);
    } catch (const ModelError& e) {
        throw ModelError(path + ": " + e.what());
    }
    std::vector<int> order = firstSeen.order;
    for (int i = 0; i < int(ig.layers.size()); ++i)
        if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
    impl->graphToInfo.assign(order.size(), 0);
    for (std::size_t pos = 0; pos < order.size(); ++pos) {
        impl->graphToInfo[std::size_t(order[pos])] = int(pos);
        impl->info.layers.push_back(ig.layers[std::size_t(order[pos])]);
        impl->weights.push_back(ig.weights[std::size_t(order[pos])]);
    }

    // How the pass's memory grows with the clip's length, for the jobs' memory plans.
    const Impl& ready = *impl;
    try {
        impl->info.memory = detail::measureForwardMemory(impl->info.sampleRate, [&](const std::vector<float>& w, LayerSink& s) {
            detail::ThreadSinkScope scope(&s);
            return ready.run(w).values.size();
        });
    } catch (const ModelError& e) {
        throw ModelError(path + ": " + e.what());
    }
    return SpeechModel(std::move(impl));
}

SpeechModel::SpeechModel(std::shared_ptr<Impl> impl) : d(std::move(impl)), info_(&d->info) {}
SpeechModel::SpeechModel(SpeechModel&&) noexcept = default;
SpeechModel& SpeechModel::operator=(SpeechModel&&) noexcept = default;
SpeechModel::~SpeechModel() = default;


// Through the instrumented graph with no sink: the same operators, and its layer boundaries are where a
// cancel request stops the pass.
ModelOutput SpeechModel::forward(const std::vector<float>& wave) const { return d->run(wave); }

ModelOutput SpeechModel::forwardObserved(const std::vector<float>& wave, LayerSink& sink) const {
    RemappingSink remap(sink, d->graphToInfo);
    detail::ThreadSinkScope scope(&remap);
    return d->run(wave);
}

namespace {

// Per graph layer: the activation quantizers given per info layer.
std::vector<detail::ActQuant> actTable(const std::vector<ActivationQuant>& activations,
                                       const std::vector<int>& infoToGraph, const ModelInfo& info) {
    std::vector<detail::ActQuant> table(infoToGraph.size());
    for (const ActivationQuant& a : activations) {
        if (a.layer < 0 || std::size_t(a.layer) >= infoToGraph.size())
            throw InputError("activation quantizer for unknown layer " + std::to_string(a.layer));
        if (!(a.scale > 0.0f) || a.qmin >= a.qmax || a.zeroPoint < a.qmin || a.zeroPoint > a.qmax)
            throw InputError("activation quantizer for layer " + std::to_string(a.layer) +
                             " needs scale > 0 and qmin <= zero point <= qmax");
        const std::string& name = info.layers[std::size_t(a.layer)].name;
        detail::ActQuant q{true, a.scale, a.zeroPoint, a.qmin, a.qmax, {}, {}, name};
        if (!a.channelScales.empty() || !a.channelZeroPoints.empty()) {
            if (a.channelScales.size() != a.channelZeroPoints.size())
                throw InputError("the activation quantizer of " + name + " has " + std::to_string(a.channelScales.size()) +
                                 " channel scales but " + std::to_string(a.channelZeroPoints.size()) + " zero points");
            // int32 zero points: what at::fake_quantize_per_channel_affine accepts; qmin..qmax fit.
            if (a.qmin < INT32_MIN || a.qmax > INT32_MAX)
                throw InputError("the activation quantizer of " + name + " has a range wider than 32 bits");
            const int64_t n = int64_t(a.channelScales.size());
            q.channelScale = at::empty({n}, at::kFloat);
            q.channelZeroPoint = at::empty({n}, at::kInt);
            for (int64_t c = 0; c < n; ++c) {
                const float sc = a.channelScales[std::size_t(c)];
                const std::int64_t zp = a.channelZeroPoints[std::size_t(c)];
                if (!(sc > 0.0f) || !std::isfinite(sc) || zp < a.qmin || zp > a.qmax)
                    throw InputError("the activation quantizer of " + name + " needs every channel scale > 0 and "
                                     "qmin <= zero point <= qmax (channel " + std::to_string(c) + ")");
                q.channelScale.data_ptr<float>()[c] = sc;
                q.channelZeroPoint.data_ptr<int32_t>()[c] = int32_t(zp);
            }
        }
        table[std::size_t(infoToGraph[std::size_t(a.layer)])] = std::move(q);
    }
    return table;
}

}  // namespace

std::vector<int> SpeechModel::Impl::infoToGraph() const {
    std::vector<int> out(graphToInfo.size());
    for (std::size_t g = 0; g < graphToInfo.size(); ++g) out[std::size_t(graphToInfo[g])] = int(g);
    return out;
}

void SpeechModel::Impl::checkOverride(const WeightOverride& o) const {
    if (o.layer < 0 || std::size_t(o.layer) >= weights.size() || !o.values)
        throw InputError("weight override for unknown layer " + std::to_string(o.layer));
    if (int64_t(o.values->size()) != weights[std::size_t(o.layer)].numel())
        throw InputError("weight override for " + info.layers[std::size_t(o.layer)].name + " has " +
                         std::to_string(o.values->size()) + " values, the layer has " +
                         std::to_string(weights[std::size_t(o.layer)].numel()));
}

ModelOutput SpeechModel::forwardWithWeights(const std::vector<float>& wave, const std::vector<WeightOverride>& overrides,
                                            LayerSink* sink, const std::vector<ActivationQuant>& activations) const {
    // The graph's weight nodes are indexed in graph order; info order maps through graphToInfo.
    const std::vector<int> infoToGraph = d->infoToGraph();
    std::vector<at::Tensor> table(d->graphToInfo.size());
    for (const WeightOverride& o : overrides) {
        d->checkOverride(o);
        const at::Tensor& w = d->weights[std::size_t(o.layer)];
        table[std::size_t(infoToGraph[std::size_t(o.layer)])] =
            torch::from_blob(const_cast<float*>(o.values->data()), w.sizes(), at::kFloat);
    }
    const std::vector<detail::ActQuant> acts = actTable(activations, infoToGraph, d->info);
    detail::ThreadWeightsScope weights(&table);
    detail::ThreadActsScope actScope(&acts);
    if (!sink) return d->run(wave);
    RemappingSink remap(*sink, d->graphToInfo);
    detail::ThreadSinkScope scope(&remap);
    return d->run(wave);
}

void SpeechModel::exportQuantized(const std::string& path, const std::vector<WeightOverride>& overrides,
                                  const std::vector<ActivationQuant>& activations,
                                  const std::string& extraMetadataJson) const {
    d->save(path, overrides, activations, extraMetadataJson, nullptr);
}

void SpeechModel::exportOnnxSource(const std::string& path, const std::vector<WeightOverride>& overrides,
                                   const std::vector<ActivationQuant>& activations,
                                   const std::vector<WeightTag>& tags) const {
    const std::vector<int> infoToGraph = d->infoToGraph();
    std::vector<detail::WeightTag> table(infoToGraph.size());
    for (const WeightTag& t : tags) {
        if (t.layer < 0 || std::size_t(t.layer) >= infoToGraph.size() || t.scales.empty())
            throw InputError("weight tag for unknown layer " + std::to_string(t.layer));
        detail::WeightTag& w = table[std::size_t(infoToGraph[std::size_t(t.layer)])];
        w.on = true;
        w.scales = torch::from_blob(const_cast<float*>(t.scales.data()), {int64_t(t.scales.size())}, at::kFloat).clone();
    }
    d->save(path, overrides, activations, "{}", &table);
}

void SpeechModel::Impl::save(const std::string& path, const std::vector<WeightOverride>& overrides,
                             const std::vector<ActivationQuant>& activations, const std::string& extraMetadataJson,
                             const std::vector<detail::WeightTag>* tags) const {
    const Impl* d = this;
    for (const WeightOverride& o : overrides) d->checkOverride(o);
    const std::vector<int> infoToGraph = d->infoToGraph();
    const std::vector<detail::ActQuant> acts = actTable(activations, infoToGraph, d->info);

    nlohmann::json meta = d->metadata.empty() ? nlohmann::json::object() : nlohmann::json::parse(d->metadata);
    try {
        meta.update(nlohmann::json::parse(extraMetadataJson));
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("export metadata is not valid JSON: ") + e.what());
    }

    torch::jit::Module m;
    try {
        torch::jit::ExtraFilesMap none;
        m = detail::loadTorchScript(std::make_shared<caffe2::serialize::FileAdapter>(d->info.path), none);
    } catch (const Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        throw ModelError(d->info.path + " can no longer be read (" + firstLine(e.what()) + ")");
    }
    m.eval();
    throwIfCancelled();
    const std::vector<at::Tensor> params = detail::rewriteForExport(m, acts, tags);
    {
        torch::NoGradGuard noGrad;
        for (const WeightOverride& o : overrides) {
            throwIfCancelled();
            at::Tensor p = params[std::size_t(infoToGraph[std::size_t(o.layer)])];
            p.copy_(torch::from_blob(const_cast<float*>(o.values->data()), p.sizes(), at::kFloat));
        }
    }
    throwIfCancelled();
    // Serialized in memory and written by writeFileAtomic, whose message says why a write failed
    // (LibTorch's own writer says only that it did). The archive writer hands over a record (a
    // tensor's bytes) at a time; once a cancel is requested the rest is no longer copied, but every
    // record is still acknowledged in full: a short write makes the writer's destructor throw, which
    // ends the process.
    std::string bytes;
    std::error_code sizeError;
    const auto modelBytes = std::filesystem::file_size(d->info.path, sizeError);
    if (!sizeError) bytes.reserve(std::size_t(modelBytes) + (std::size_t(1) << 20));
    bool stopped = false;
    const auto append = [&](const void* data, std::size_t n) -> std::size_t {
        stopped = stopped || cancelRequested();
        if (!stopped) bytes.append(static_cast<const char*>(data), n);
        return n;
    };
    try {
        torch::jit::ExportModule(m, append, {{"model.json", meta.dump()}}, /*bytecode_format=*/false);
    } catch (const std::exception& e) {
        throw InputError("cannot write " + path + " (" + firstLine(e.what()) + ")");
    }
    if (stopped) throw Cancelled();
    writeFileAtomic(path, bytes);
}

std::vector<ModelParameter> SpeechModel::parameters() const {
    std::vector<ModelParameter> out;
    for (const auto& p : d->module.named_parameters(/*recurse=*/true)) {
        throwIfCancelled();  // a copy of every parameter: hundreds of MB for a large model
        const at::Tensor t = p.value.detach().to(at::kFloat).contiguous();
        ModelParameter mp{p.name, t.sizes().vec(), {t.data_ptr<float>(), t.data_ptr<float>() + t.numel()}, -1};
        for (std::size_t l = 0; l < d->weights.size(); ++l)
            if (d->weights[l].unsafeGetTensorImpl() == p.value.unsafeGetTensorImpl()) mp.layer = int(l);
        out.push_back(std::move(mp));
    }
    return out;
}

std::vector<float> SpeechModel::layerWeight(int layer) const {
    if (layer < 0 || std::size_t(layer) >= d->weights.size())
        throw InputError("no layer " + std::to_string(layer));
    const at::Tensor w = d->weights[std::size_t(layer)].detach().to(at::kFloat).contiguous();
    return std::vector<float>(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
}

void setComputeThreads(int threads) { at::set_num_threads(threads > 0 ? threads : hardwareThreads()); }

int hardwareThreads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n ? int(n) : 1;
}

}  // namespace qs
