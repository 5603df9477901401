// Activation calibration: values and channel ranges per layer input over the clips, range methods,
// PEG groups.
#include "core/quantize/activation_calibration.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <numeric>

#include "core/quantize/activation_range_search.h"
#include "core/stats/activation_stats.h"
#include "core/model/clip_runner.h"
#include "core/base/number_text.h"
#include "core/base/errors.h"
#include "core/base/memory_plan.h"
#include "core/base/system_memory.h"

namespace qs {
namespace {

using detail::AsymmetricQuantizer;

std::string channelText(std::size_t n) { return std::to_string(n) + (n == 1 ? " channel" : " channels"); }

// Pass 1, one layer: a sketch of the values and each channel's extremes (finite values only).
struct LayerValues {
    ActivationStats values;
    std::vector<float> lo, hi;

    void add(const float* d, std::size_t outer, std::size_t channels, std::size_t inner) {
        if (channels == 0) return;
        if (lo.empty()) {
            lo.assign(channels, INFINITY);
            hi.assign(channels, -INFINITY);
        } else if (channels != lo.size()) {
            throw InputError("a layer input has " + channelText(channels) + " where earlier inputs had " +
                             channelText(lo.size()));
        }
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t c = 0; c < channels; ++c) {
                const float* x = d + (o * channels + c) * inner;
                float l = lo[c], h = hi[c];
                for (std::size_t i = 0; i < inner; ++i)
                    if (std::isfinite(x[i])) l = std::min(l, x[i]), h = std::max(h, x[i]);
                lo[c] = l, hi[c] = h;
            }
        values.add(d, outer, channels, inner);
    }

    void merge(const LayerValues& o) {
        if (o.lo.empty()) return;
        if (lo.empty()) lo = o.lo, hi = o.hi;
        for (std::size_t c = 0; c < lo.size(); ++c) lo[c] = std::min(lo[c], o.lo[c]), hi[c] = std::max(hi[c], o.hi[c]);
        values.merge(o.values);
    }
};

// Pass 2, one grouped layer: a sketch per group.
struct GroupValues {
    std::vector<int> channelGroup;
    std::vector<ActivationStats> values;
    std::vector<std::vector<float>> scratch;

    GroupValues(std::vector<int> groupOf, int groups)
        : channelGroup(std::move(groupOf)), values(std::size_t(groups)), scratch(std::size_t(groups)) {}

    void add(const float* d, std::size_t outer, std::size_t channels, std::size_t inner) {
        if (channels != channelGroup.size())
            throw InputError("a layer input has " + channelText(channels) + " where earlier inputs had " +
                             channelText(channelGroup.size()));
        for (auto& s : scratch) s.clear();
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t c = 0; c < channels; ++c) {
                const float* x = d + (o * channels + c) * inner;
                std::vector<float>& s = scratch[std::size_t(channelGroup[c])];
                s.insert(s.end(), x, x + inner);
            }
        for (std::size_t g = 0; g < values.size(); ++g)
            if (!scratch[g].empty()) values[g].add(scratch[g].data(), scratch[g].size(), 1, 1);
    }

    void merge(const GroupValues& o) {
        for (std::size_t g = 0; g < values.size(); ++g) values[g].merge(o.values[g]);
    }
};

// The quantizer the method gives values whose sketch is s and distribution d (made from s).
AsymmetricQuantizer rangeOf(const ActivationStats& s, const detail::ValueDistribution& d,
                            const ActivationCalibrationOptions& o) {
    if (o.method == ActivationRange::Percentile) return detail::percentileRange(s, o.percentile, o.bits);
    if (o.method == ActivationRange::Mse) return detail::mseRange(d, o.bits);
    return detail::asymmetricQuantizer(d.min(), d.max(), o.bits);  // the exact extremes
}

// The per-tensor quantizer and the PEG decision and grouping from pass 1. Groups are given their
// quantizers here for minmax; other methods fill them from pass 2 (finishGroups).
ActivationEncoding finishTensor(int layer, const LayerValues& v, const ActivationCalibrationOptions& o) {
    ActivationEncoding e;
    e.layer = layer;
    e.bits = o.bits;
    e.method = activationRangeName(o.method);
    e.count = v.values.count();
    if (e.count == 0) return e;
    e.on = true;
    e.observedMin = *std::min_element(v.lo.begin(), v.lo.end());
    e.observedMax = *std::max_element(v.hi.begin(), v.hi.end());
    const detail::ValueDistribution dist(v.values, o.bits);
    const AsymmetricQuantizer q = rangeOf(v.values, dist, o);
    e.min = q.lo, e.max = q.hi, e.scale = q.scale, e.zeroPoint = q.zeroPoint;
    e.mse = dist.mse(q.scale, q.zeroPoint, e.qmax());

    const std::size_t n = v.lo.size();
    e.channels = n;
    std::vector<float> range(n);
    for (std::size_t c = 0; c < n; ++c)
        range[c] = v.lo[c] <= v.hi[c] ? std::max(v.hi[c], 0.0f) - std::min(v.lo[c], 0.0f) : 0.0f;
    std::vector<float> sorted = range;
    std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t((n - 1) / 2), sorted.end());
    e.medianChannelRange = sorted[(n - 1) / 2];
    e.maxChannelRange = *std::max_element(range.begin(), range.end());
    e.outlier = double(e.maxChannelRange) > o.outlierRatio * double(e.medianChannelRange);
    if (o.groups <= 0 || n < 2 || !(e.outlier || o.groupsAllLayers)) return e;

    // Range-based permutation: channels by ascending range, cut into K contiguous runs.
    const std::size_t k = std::min<std::size_t>(std::size_t(o.groups), n);
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return range[a] < range[b]; });
    e.groups = int(k);
    e.channelGroup.assign(n, 0);
    for (std::size_t g = 0; g < k; ++g)
        for (std::size_t pos = g * n / k; pos < (g + 1) * n / k; ++pos) e.channelGroup[order[pos]] = int(g);
    e.groupMin.assign(k, INFINITY);
    e.groupMax.assign(k, -INFINITY);
    for (std::size_t c = 0; c < n; ++c) {
        const std::size_t g = std::size_t(e.channelGroup[c]);
        e.groupMin[g] = std::min(e.groupMin[g], v.lo[c]);
        e.groupMax[g] = std::max(e.groupMax[g], v.hi[c]);
    }
    e.groupScale.assign(k, 1.0f);
    e.groupZeroPoint.assign(k, 0);
    for (std::size_t g = 0; g < k; ++g) {
        const AsymmetricQuantizer gq = detail::asymmetricQuantizer(e.groupMin[g], e.groupMax[g], o.bits);
        e.groupMin[g] = gq.lo, e.groupMax[g] = gq.hi, e.groupScale[g] = gq.scale, e.groupZeroPoint[g] = gq.zeroPoint;
    }
    return e;
}

bool needsGroupPass(const ActivationEncoding& e, const ActivationCalibrationOptions& o) {
    return e.groups > 0 && o.method != ActivationRange::MinMax;
}

void finishGroups(ActivationEncoding& e, const GroupValues& v, const ActivationCalibrationOptions& o) {
    double sum = 0.0, count = 0.0;
    for (std::size_t g = 0; g < v.values.size(); ++g) {
        const detail::ValueDistribution d(v.values[g], o.bits);
        const AsymmetricQuantizer q = rangeOf(v.values[g], d, o);
        e.groupMin[g] = q.lo, e.groupMax[g] = q.hi, e.groupScale[g] = q.scale, e.groupZeroPoint[g] = q.zeroPoint;
        sum += double(d.count()) * d.mse(q.scale, q.zeroPoint, e.qmax());
        count += double(d.count());
    }
    e.groupMse = count > 0 ? sum / count : 0.0;
}

void checkOptions(const ActivationCalibrationOptions& o) {
    if (o.bits < 2 || o.bits > 16) throw InputError("activation bits must be 2..16, not " + std::to_string(o.bits));
    if (!(o.percentile >= 50.0 && o.percentile <= 100.0))
        throw InputError("the activation percentile must be in [50, 100], not " + numberText(o.percentile));
    if (o.groups < 0) throw InputError("the number of activation groups must be 0 (off) or more");
    if (!(o.outlierRatio >= 1.0) || !std::isfinite(o.outlierRatio))
        throw InputError("the outlier ratio must be a finite number >= 1");
}

// A sink for pass 1 (groups empty) or pass 2 (values of the grouped layers only).
class CalibrationSink : public LayerSink {
public:
    std::vector<std::unique_ptr<LayerValues>> layers;   // pass 1, per model layer (null: not wanted)
    std::vector<std::unique_ptr<GroupValues>> groups;   // pass 2, per model layer (null: not grouped)

    void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
    bool wantsInputs() const override { return true; }
    void observeInput(int layer, const float* d, std::size_t o, std::size_t c, std::size_t i) override {
        const std::size_t l = std::size_t(layer);
        if (l < layers.size() && layers[l]) layers[l]->add(d, o, c, i);
        if (l < groups.size() && groups[l]) groups[l]->add(d, o, c, i);
    }
    void merge(const CalibrationSink& other) {
        for (std::size_t l = 0; l < layers.size(); ++l)
            if (layers[l]) layers[l]->merge(*other.layers[l]);
        for (std::size_t l = 0; l < groups.size(); ++l)
            if (groups[l]) groups[l]->merge(*other.groups[l]);
    }
};

// Runs the float model on the clips, each into a fresh sink from makeSink(), and folds the sinks
// into `into` in clip order (so the ranges do not depend on the thread count); returns how many
// clips decoded and lists the others in *skipped when given.
int runPass(const SpeechModel& model, const AudioCorpus& corpus, const std::vector<const Clip*>& clips,
            CalibrationSink& into, const std::function<CalibrationSink()>& makeSink, int threads,
            const ProgressFn& progress, const std::string& what, std::vector<SkippedFile>* skipped) {
    int used = 0;
    std::vector<std::unique_ptr<CalibrationSink>> perClip(clips.size());
    std::vector<std::string> failed(clips.size());
    runTasksInOrder(clips.size(), threads, [&](int, std::size_t i) {
        try {
            auto sink = std::make_unique<CalibrationSink>(makeSink());
            model.forwardObserved(corpus.load(*clips[i]), *sink);
            perClip[i] = std::move(sink);
        } catch (const AudioError& e) {
            failed[i] = e.what();
        }
    }, [&](std::size_t i) {
        if (!perClip[i]) {
            if (skipped) skipped->push_back({clips[i]->path, failed[i]});
            return;
        }
        into.merge(*perClip[i]);
        perClip[i].reset();
        ++used;
    }, progress, Progress{0, clips.size(), 0, what},
    [&](std::size_t i) { return clips[i]->speaker + ": " + clips[i]->id; },
    [&](std::size_t i) { return clips[i]->seconds; });
    if (skipped) sortSkipped(*skipped);
    return used;
}

}  // namespace

ActivationQuant ActivationEncoding::quant() const {
    ActivationQuant q{layer, scale, zeroPoint, qmin(), qmax()};
    if (groups > 0) {
        q.channelScales.resize(channelGroup.size());
        q.channelZeroPoints.resize(channelGroup.size());
        for (std::size_t c = 0; c < channelGroup.size(); ++c) {
            q.channelScales[c] = groupScale[std::size_t(channelGroup[c])];
            q.channelZeroPoints[c] = groupZeroPoint[std::size_t(channelGroup[c])];
        }
    }
    return q;
}

std::vector<ActivationEncoding> calibrateActivations(const SpeechModel& model, const AudioCorpus& corpus,
                                                     const std::vector<const Clip*>& clips,
                                                     const std::vector<bool>& quantizeLayer,
                                                     const ActivationCalibrationOptions& options,
                                                     const ProgressFn& progress, int* clipsUsed,
                                                     std::vector<SkippedFile>* skipped) {
    checkOptions(options);
    const std::vector<LayerInfo>& info = model.info().layers;
    if (quantizeLayer.size() != info.size())
        throw InputError("activation calibration got " + std::to_string(quantizeLayer.size()) +
                         " layer flags for a model of " + std::to_string(info.size()) + " layers");

    // Pass 1: every wanted layer's values and channel extremes.
    auto pass1Sink = [&] {
        CalibrationSink s;
        for (std::size_t l = 0; l < info.size(); ++l)
            s.layers.push_back(quantizeLayer[l] ? std::make_unique<LayerValues>() : nullptr);
        return s;
    };
    double longest = 0;
    for (const Clip* c : clips) longest = std::max(longest, c->seconds);
    const int workers = planWorkers(workerMemory(model.info()), resolveMemoryBudget(options.maxMemory), longest,
                                    options.threads, clips.size(), "the activation calibration")
                            .workers;
    CalibrationSink total = pass1Sink();
    const int used = runPass(model, corpus, clips, total, pass1Sink, workers, progress, "activation calibration", skipped);
    if (clipsUsed) *clipsUsed = used;
    if (used == 0) throw InputError("no calibration clip could be decoded");

    std::vector<ActivationEncoding> out(info.size());
    runTasks(info.size(), options.threads, [&](int, std::size_t l) {
        if (total.layers[l]) out[l] = finishTensor(int(l), *total.layers[l], options);
        else out[l].layer = int(l), out[l].bits = options.bits, out[l].method = activationRangeName(options.method);
    }, progress, Progress{0, info.size(), 0, "activation ranges"}, [&](std::size_t l) { return info[l].name; });

    // Pass 2, when percentile or mse ranges are wanted for the groups of grouped layers.
    bool second = false;
    for (const ActivationEncoding& e : out) second = second || needsGroupPass(e, options);
    if (!second) return out;
    auto pass2Sink = [&] {
        CalibrationSink s;
        for (const ActivationEncoding& e : out)
            s.groups.push_back(needsGroupPass(e, options) ? std::make_unique<GroupValues>(e.channelGroup, e.groups) : nullptr);
        return s;
    };
    total = pass2Sink();
    runPass(model, corpus, clips, total, pass2Sink, workers, progress, "activation group calibration", nullptr);
    runTasks(info.size(), options.threads, [&](int, std::size_t l) {
        if (total.groups[l]) finishGroups(out[l], *total.groups[l], options);
    }, progress, Progress{0, info.size(), 0, "activation group ranges"}, [&](std::size_t l) { return info[l].name; });
    return out;
}

ActivationEncoding calibrateInputBlocks(const std::vector<InputBlock>& blocks, const ActivationCalibrationOptions& options,
                                        int layer) {
    checkOptions(options);
    LayerValues values;
    for (const InputBlock& b : blocks) {
        if (!b.data && b.outer * b.channels * b.inner > 0) throw InputError("an input block has no data");
        values.add(b.data, b.outer, b.channels, b.inner);
    }
    ActivationEncoding e = finishTensor(layer, values, options);
    if (!needsGroupPass(e, options)) return e;
    GroupValues groups(e.channelGroup, e.groups);
    for (const InputBlock& b : blocks) groups.add(b.data, b.outer, b.channels, b.inner);
    finishGroups(e, groups, options);
    return e;
}

}  // namespace qs
