// Weight calibration: minmax, per-group MSE and output-cosine range searches, per
// tensor/channel/group.
#include "core/quantize/weight_calibration.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/model/clip_runner.h"
#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/base/memory_plan.h"
#include "core/base/system_memory.h"
#include "core/quantize/layer_input_samples.h"

namespace qs {
namespace {

// A scale group: elements [begin, begin + size) of the flattened weight.
struct Span {
    std::size_t begin = 0, size = 0;
};

// The scale groups of a weight in channel-major order, as quantizeCodes lays out its scales.
std::vector<Span> scaleGroups(std::size_t count, const std::vector<std::int64_t>& shape, Granularity g,
                              std::int64_t groupSize) {
    if (shape.empty() || shape[0] <= 0 || count % std::size_t(shape[0]) != 0)
        throw InputError("a weight of " + std::to_string(count) + " values does not split into output channels");
    if (g == Granularity::PerTensor) return {{0, count}};
    const std::size_t rows = std::size_t(shape[0]), row = count / rows;
    const std::size_t step = g == Granularity::PerGroup ? std::size_t(groupSize) : row;
    if (g == Granularity::PerGroup && groupSize <= 0) throw InputError("the weight group size must be positive");
    std::vector<Span> spans;
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t b = 0; b < row; b += step) spans.push_back({r * row + b, std::min(step, row - b)});
    return spans;
}

float absMax(const float* w, std::size_t n) {
    float m = 0.0f;
    for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(w[i]));
    return m;
}

// Σ (w − q(w))² for one group at one scale, with core/quantize/quantizer.h's arithmetic (zero point 0).
double squaredError(const float* w, std::size_t n, float scale, IntRange r) {
    const float inv = 1.0f / scale;
    const float lo = float(r.qmin), hi = float(r.qmax);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const float q = std::min(std::max(std::nearbyint(w[i] * inv), lo), hi);
        const float e = w[i] - q * scale;
        sum += double(e) * double(e);
    }
    return sum;
}

// The candidate factor with the least squared error for one group; ties keep the larger.
float mseFactor(const float* w, std::size_t n, float maximum, int bits, IntRange r, const std::vector<double>& candidates) {
    double best = INFINITY;
    float factor = 1.0f;
    for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {  // descending: ties keep the larger
        throwIfCancelled();
        const double e = squaredError(w, n, clippedScale(maximum, *it, bits), r);
        if (e < best) best = e, factor = float(*it);
    }
    return factor;
}

// The encoding for given per-group factors: scales, codes and the resulting error.
WeightEncoding encode(const std::vector<float>& w, const std::vector<std::int64_t>& shape, int bits,
                      const WeightCalibrationOptions& o, const std::vector<Span>& spans,
                      const std::vector<float>& maxima, std::vector<float> factors, WeightRange method) {
    const IntRange r = signedRange(bits);
    std::vector<float> scales(spans.size());
    double sse = 0.0;
    for (std::size_t g = 0; g < spans.size(); ++g) {
        scales[g] = clippedScale(maxima[g], factors[g], bits);
        sse += squaredError(w.data() + spans[g].begin, spans[g].size, scales[g], r);
    }
    WeightEncoding e;
    e.method = method;
    e.codes = quantizeCodes(w, shape, bits, r, o.granularity, o.groupSize, scales,
                            std::vector<std::int64_t>(scales.size(), 0));
    e.clipFactors = std::move(factors);
    e.mse = w.empty() ? 0.0 : sse / double(w.size());
    return e;
}

void checkOptions(const WeightCalibrationOptions& o) {
    if (o.candidates < 1) throw InputError("the clip search needs at least one candidate");
    if (!(o.minFactor > 0.0) || !(o.maxFactor >= o.minFactor))
        throw InputError("clip factors must satisfy 0 < min <= max");
}

std::vector<float> groupMaxima(const std::vector<float>& w, const std::vector<Span>& spans) {
    std::vector<float> m(spans.size());
    for (std::size_t g = 0; g < spans.size(); ++g) m[g] = absMax(w.data() + spans[g].begin, spans[g].size);
    return m;
}

// One factor for the whole layer, maximizing the output cosine on the probe's samples.
WeightEncoding cosineSearch(const std::vector<float>& w, const std::vector<std::int64_t>& shape, int bits,
                            const WeightCalibrationOptions& o, detail::LayerOutputProbe& probe) {
    const std::vector<Span> spans = scaleGroups(w.size(), shape, o.granularity, o.groupSize);
    const std::vector<float> maxima = groupMaxima(w, spans);
    probe.setReference(w);
    const std::vector<double> candidates = clipCandidates(o);
    double best = -2.0, bestFactor = 1.0;
    for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {  // descending: ties keep the larger
        throwIfCancelled();
        const WeightEncoding e = encode(w, shape, bits, o, spans, maxima, std::vector<float>(spans.size(), float(*it)),
                                        WeightRange::Cosine);
        const double c = probe.cosine(dequantize({"", shape, {}, e.codes}));
        if (c > best) best = c, bestFactor = *it;
    }
    WeightEncoding e = encode(w, shape, bits, o, spans, maxima, std::vector<float>(spans.size(), float(bestFactor)),
                              WeightRange::Cosine);
    e.outputCosine = best;
    e.sampleRows = int(probe.positions());
    return e;
}

}  // namespace

std::vector<double> clipCandidates(const WeightCalibrationOptions& o) {
    checkOptions(o);
    std::vector<double> c;
    for (int i = 0; i < o.candidates; ++i)
        c.push_back(o.candidates == 1 ? o.maxFactor
                                      : o.minFactor + (o.maxFactor - o.minFactor) * double(i) / double(o.candidates - 1));
    c.push_back(1.0);
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
    return c;
}

float clippedScale(float absMax, double factor, int bits) {
    const float s = float(double(absMax) * factor / double(signedRange(bits).qmax));
    return s > 0.0f ? s : 1.0f;
}

WeightEncoding calibrateWeight(const std::vector<float>& w, const std::vector<std::int64_t>& shape, int bits,
                               const WeightCalibrationOptions& o) {
    checkOptions(o);
    const IntRange r = signedRange(bits);
    const std::vector<Span> spans = scaleGroups(w.size(), shape, o.granularity, o.groupSize);
    const std::vector<float> maxima = groupMaxima(w, spans);
    if (o.method == WeightRange::MinMax)
        return encode(w, shape, bits, o, spans, maxima, std::vector<float>(spans.size(), 1.0f), WeightRange::MinMax);

    const std::vector<double> candidates = clipCandidates(o);
    std::vector<float> factors(spans.size(), 1.0f);
    for (std::size_t g = 0; g < spans.size(); ++g) factors[g] = mseFactor(w.data() + spans[g].begin, spans[g].size, maxima[g], bits, r, candidates);
    return encode(w, shape, bits, o, spans, maxima, std::move(factors), WeightRange::Mse);
}

float searchGroupScale(const float* w, std::size_t n, int bits, const WeightCalibrationOptions& o, float* factor) {
    const float m = absMax(w, n);
    const float f = o.method == WeightRange::MinMax ? 1.0f : mseFactor(w, n, m, bits, signedRange(bits), clipCandidates(o));
    if (factor) *factor = f;
    return clippedScale(m, f, bits);
}

std::vector<WeightEncoding> calibrateWeights(const SpeechModel& model, const std::vector<int>& bits,
                                             const AudioCorpus* corpus, const std::vector<const Clip*>& clips,
                                             const WeightCalibrationOptions& o, const ProgressFn& progress,
                                             int* clipsUsed, std::vector<SkippedFile>* skipped) {
    checkOptions(o);
    const ModelInfo& info = model.info();
    if (bits.size() != info.layers.size()) throw InputError("the bit allocation does not match the model's layers");
    std::vector<bool> quantized(info.layers.size());
    for (std::size_t l = 0; l < bits.size(); ++l) quantized[l] = bits[l] >= 2 && bits[l] <= 16;

    // Cosine: sample every quantized linear/conv1d layer's input on the clips first.
    std::vector<std::vector<detail::InputSample>> samples(info.layers.size());
    int used = 0;
    if (o.method == WeightRange::Cosine) {
        if (!corpus || clips.empty()) throw InputError("the cosine weight calibration needs calibration audio");
        const int perClip = std::max(1, int((std::size_t(o.sampleRows) + clips.size() - 1) / clips.size()));
        double longest = 0;
        for (const Clip* c : clips) longest = std::max(longest, c->seconds);
        const int workers = planWorkers(workerMemory(info), resolveMemoryBudget(o.maxMemory), longest, o.threads,
                                        clips.size(), "the cosine weight calibration")
                                .workers;
        std::vector<detail::InputSampler> sinks;
        for (int w = 0; w < clipWorkers(clips.size(), workers); ++w) sinks.emplace_back(info, quantized, perClip);
        std::mutex mutex;
        runTasks(clips.size(), workers, [&](int worker, std::size_t i) {
            detail::InputSampler& sink = sinks[std::size_t(worker)];
            sink.clip = int(i);
            try {
                model.forwardObserved(corpus->load(*clips[i]), sink);
                std::lock_guard<std::mutex> lock(mutex);
                ++used;
            } catch (const AudioError& e) {
                std::lock_guard<std::mutex> lock(mutex);
                if (skipped) skipped->push_back({clips[i]->path, e.what()});
            }
        }, progress, Progress{0, clips.size(), 0, "sampling layer inputs"},
        [&](std::size_t i) { return "sampling layer inputs: " + clips[i]->speaker + ": " + clips[i]->id; });
        if (skipped) sortSkipped(*skipped);
        if (used == 0) throw InputError("no calibration clip could be decoded");
        std::map<std::pair<int, int>, detail::InputSample> all;  // ordered by (layer, clip)
        for (detail::InputSampler& s : sinks) all.merge(s.samples);
        for (auto& [key, sample] : all) samples[std::size_t(key.first)].push_back(std::move(sample));
    }
    if (clipsUsed) *clipsUsed = used;

    const std::vector<ModelParameter> params = model.parameters();
    std::vector<const ModelParameter*> weights(info.layers.size(), nullptr);
    for (const ModelParameter& p : params)
        if (p.layer >= 0 && !weights[std::size_t(p.layer)]) weights[std::size_t(p.layer)] = &p;
    std::vector<std::size_t> todo;
    for (std::size_t l = 0; l < info.layers.size(); ++l)
        if (quantized[l] && weights[l]) todo.push_back(l);

    std::vector<WeightEncoding> out(info.layers.size());
    runTasks(todo.size(), o.threads, [&](int, std::size_t t) {
        const std::size_t l = todo[t];
        const ModelParameter& p = *weights[l];
        const LayerInfo& layer = info.layers[l];
        WeightEncoding e;
        if (o.method == WeightRange::Cosine && !samples[l].empty() && (layer.kind == "linear" || layer.kind == "conv1d")) {
            detail::LayerOutputProbe probe(layer.kind, p.shape, std::move(samples[l]));
            e = cosineSearch(p.values, p.shape, bits[l], o, probe);
        } else {
            e = calibrateWeight(p.values, p.shape, bits[l], o);
        }
        e.layer = int(l);
        out[l] = std::move(e);
    }, progress, Progress{0, todo.size(), 0, "calibrating weights"},
    [&](std::size_t t) { return "calibrating weights: " + info.layers[todo[t]].name; });
    return out;
}

}  // namespace qs
