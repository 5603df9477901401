// The model walk of learned rounding: sampling passes over the calibration clips (bounded memory),
// independent or sequential stages, layers in parallel, progress and cancel.
#include "core/quantize/learned_rounding.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>

#include "core/base/errors.h"
#include "core/model/clip_runner.h"
#include "core/quantize/layer_rounding.h"
#include "core/quantize/layer_rows.h"
#include "core/quantize/rounding_estimate.h"

namespace qs {
namespace {

using detail::LayerInputSample;

constexpr std::size_t kStageLookahead = 8;  // sequential: later layers checked for the same input

// Per layer, its samples in clip order.
using Samples = std::vector<std::vector<LayerInputSample>>;

class Walk {
public:
    Walk(const SpeechModel& model, std::vector<WeightEncoding>& encodings, const AudioCorpus& corpus,
         const std::vector<const Clip*>& clips, const std::vector<ActivationQuant>& activations,
         const WeightCalibrationOptions& range, const LearnedRoundingOptions& o, const ProgressFn& progress, int threads)
        : model_(model), info_(model.info()), encodings_(encodings), corpus_(corpus), clips_(clips),
          activations_(activations), range_(range), o_(o), progress_(progress), threads_(threads) {
        perClip_ = int((rowsPerLayer(o) + int(clips.size()) - 1) / std::max<int>(1, int(clips.size())));
        for (std::size_t l = 0; l < encodings.size() && l < info_.layers.size(); ++l)
            if (encodings[l].layer >= 0 && roundable(info_.layers[l])) todo_.push_back(l);
        cost_.assign(info_.layers.size(), 0.0);
        for (std::size_t l : todo_) total_ += cost_[l] = roundingCost(info_.layers[l], o.method, o, rowsPerLayer(o));
    }

    LearnedRoundingSummary run() {
        const auto start = std::chrono::steady_clock::now();
        if (clips_.empty()) throw InputError("learned rounding needs calibration audio");
        std::vector<WeightEncoding> work = encodings_;  // the caller's stay untouched until the end
        if (o_.sequential) sequential(work);
        else independent(work);
        if (summary_.clipsUsed == 0 && !todo_.empty()) throw InputError("no calibration clip could be decoded");
        for (std::size_t l : todo_) {
            summary_.layers += work[l].rounding != WeightRounding::Nearest;
            summary_.keptNearest += work[l].keptNearest;
        }
        encodings_ = std::move(work);
        summary_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return summary_;
    }

private:
    // Rows each layer's input offers per second of audio, from one clip's forward pass (shapes only);
    // 0 where unknown. Clips shorter than perClip_ rows give all they have, so planning with perClip_
    // alone would overestimate a long default (GPTQ's) many times over.
    std::vector<double> rowsPerSecond() {
        std::vector<double> out(info_.layers.size(), 0.0);
        for (const Clip* c : clips_) {
            if (!(c->seconds > 0.0)) continue;
            detail::RowCounter counter(info_);
            try {
                model_.forwardObserved(corpus_.load(*c), counter);
            } catch (const AudioError&) {
                continue;  // listed as skipped by the sampling pass
            }
            for (const auto& [layer, rows] : counter.rows) out[std::size_t(layer)] = double(rows) / c->seconds;
            break;
        }
        return out;
    }

    // Every layer from the float model's inputs: passes of layers whose samples fit in sampleMb.
    void independent(std::vector<WeightEncoding>& work) {
        std::vector<std::vector<std::size_t>> passes;
        const std::vector<double> perSecond = rowsPerSecond();
        double bytes = 0.0;
        for (std::size_t l : todo_) {
            double b = 0.0;
            for (const Clip* c : clips_) {  // 5% and one row more than the probe clip's rate, for rounding
                const double offered = perSecond[l] > 0.0 ? std::ceil(perSecond[l] * c->seconds * 1.05) + 1.0 : double(perClip_);
                b += sampleBytes(info_.layers[l], std::min<std::int64_t>(perClip_, std::int64_t(offered)), 1);
            }
            if (passes.empty() || bytes + b > o_.sampleMb * 1048576.0) passes.emplace_back(), bytes = 0.0;
            passes.back().push_back(l);
            bytes += b;
        }
        for (const std::vector<std::size_t>& layers : passes) {
            Samples samples = sample(layers, {}, false);
            optimise(layers, samples, work);
        }
    }

    // Network order; each stage from the inputs of the model quantized up to it.
    void sequential(std::vector<WeightEncoding>& work) {
        std::vector<std::vector<float>> weights(info_.layers.size());  // dequantized codes of finished layers
        std::vector<WeightOverride> overrides;
        auto finish = [&](std::size_t l) {
            weights[l] = dequantizeCodes(info_.layers[l].name, info_.layers[l].shape, work[l].codes);
            overrides.push_back({int(l), &weights[l]});
        };
        std::vector<bool> done(info_.layers.size(), false);
        for (std::size_t l = 0; l < info_.layers.size(); ++l)  // quantized layers that are not learned: as they are
            if (work[l].layer >= 0 && std::find(todo_.begin(), todo_.end(), l) == todo_.end()) finish(l), done[l] = true;
        for (std::size_t next = 0; next < todo_.size();) {
            const std::size_t first = todo_[next];
            std::vector<std::size_t> candidates{first};
            for (std::size_t k = next + 1; k < todo_.size() && k <= next + kStageLookahead; ++k)
                if (sameInput(info_.layers[todo_[k]], info_.layers[first])) candidates.push_back(todo_[k]);
            Samples samples = sample(candidates, overrides, true);
            std::vector<std::size_t> stage{first};
            for (std::size_t k = 1; k < candidates.size(); ++k)
                if (identical(samples[candidates[k]], samples[first])) stage.push_back(candidates[k]);
            optimise(stage, samples, work);
            for (std::size_t l : stage) finish(l), done[l] = true;
            while (next < todo_.size() && done[todo_[next]]) ++next;
        }
    }

    static bool sameInput(const LayerInfo& a, const LayerInfo& b) {
        return a.kind == b.kind && a.shape.size() == b.shape.size() && a.shape[1] == b.shape[1] &&
               (a.kind == "linear" || (a.groups == b.groups && a.shape == b.shape && a.stride == b.stride &&
                                       a.padBegin == b.padBegin && a.padEnd == b.padEnd && a.dilation == b.dilation));
    }

    static bool identical(const std::vector<LayerInputSample>& a, const std::vector<LayerInputSample>& b) {
        if (a.size() != b.size() || a.empty()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a[i].shape != b[i].shape ||
                std::memcmp(a[i].values.data(), b[i].values.data(), a[i].values.size() * sizeof(float)) != 0)
                return false;
        return true;
    }

    // One pass over the clips, sampling the given layers' inputs: from the float model, or from the
    // quantized one (these weights replaced, the activation quantizers on).
    Samples sample(const std::vector<std::size_t>& layers, const std::vector<WeightOverride>& overrides, bool quantized) {
        std::vector<bool> wanted(info_.layers.size(), false);
        for (std::size_t l : layers) wanted[l] = true;
        Samples out(info_.layers.size());
        std::vector<std::unique_ptr<detail::RowSampler>> perClip(clips_.size());
        std::vector<std::string> failed(clips_.size());
        int used = 0;
        std::vector<SkippedFile> skipped;
        ++summary_.passes;
        const std::string what = "learned rounding: sampling layer inputs" +
                                 (o_.sequential ? " for " + info_.layers[layers.front()].name : std::string());
        runTasksInOrder(clips_.size(), threads_, [&](int, std::size_t i) {
            auto sink = std::make_unique<detail::RowSampler>(info_, wanted, perClip_);
            try {
                const std::vector<float> wave = corpus_.load(*clips_[i]);
                if (!quantized) model_.forwardObserved(wave, *sink);
                else model_.forwardWithWeights(wave, overrides, sink.get(), activations_);
                perClip[i] = std::move(sink);
            } catch (const AudioError& e) {
                failed[i] = e.what();
            }
        }, [&](std::size_t i) {
            if (!perClip[i]) {
                skipped.push_back({clips_[i]->path, failed[i]});
                return;
            }
            for (auto& [layer, s] : perClip[i]->samples) out[std::size_t(layer)].push_back(std::move(s));
            perClip[i].reset();
            ++used;
        }, watch(what), Progress{}, [&](std::size_t i) { return what + ": " + clips_[i]->speaker + ": " + clips_[i]->id; });
        if (summary_.passes == 1) {
            sortSkipped(skipped);
            summary_.skipped = std::move(skipped);
            summary_.clipsUsed = used;
        }
        return out;
    }

    // One layer's rounding while its pieces run: created by its first piece, finished and freed by
    // its last, so only the layers being worked on hold their weight.
    struct Active {
        std::mutex mutex;
        std::unique_ptr<detail::LayerRounding> rounding;
        std::vector<const LayerInputSample*> mine;
        std::size_t left = 0;
    };

    // Rounds the given layers from their samples: their pieces (layer_rounding.h) in layer order over
    // the workers, so that a grouped convolution's groups are shared out rather than left to one.
    void optimise(const std::vector<std::size_t>& layers, const Samples& samples, std::vector<WeightEncoding>& work) {
        std::vector<std::pair<std::size_t, std::size_t>> tasks;  // (index into layers, piece)
        std::vector<Active> active(layers.size());
        for (std::size_t t = 0; t < layers.size(); ++t) {
            const std::size_t n = samples[layers[t]].empty() ? 0 : detail::LayerRounding::pieces(info_.layers[layers[t]], o_.method);
            active[t].left = n;
            if (n == 0) add(cost_[layers[t]]);  // no clip gave it inputs: it keeps nearest rounding
            for (std::size_t k = 0; k < n; ++k) tasks.emplace_back(t, k);
        }
        std::vector<std::string> running;
        runTasks(tasks.size(), threads_, [&](int, std::size_t i) {
            const auto [t, k] = tasks[i];
            const std::size_t l = layers[t];
            const LayerInfo& layer = info_.layers[l];
            Active& a = active[t];
            {
                std::lock_guard<std::mutex> lock(a.mutex);
                if (!a.rounding) {
                    for (const LayerInputSample& s : samples[l]) a.mine.push_back(&s);
                    a.rounding = std::make_unique<detail::LayerRounding>(layer, model_.layerWeight(int(l)), work[l], o_.method,
                                                                         range_, o_, std::uint64_t(l));
                }
            }
            {
                std::lock_guard<std::mutex> lock(progressMutex_);
                running.push_back(layer.name);
                current_ = describe(running);
            }
            const double share = cost_[l] / double(a.rounding->pieces());
            double credited = 0.0;
            auto tick = [&](double fraction) {
                if (stop_) throw Cancelled();
                const double now = share * std::min(1.0, fraction);
                add(now - credited);
                credited = now;
            };
            auto rowsOf = [&](std::int64_t g) { return detail::layerRows(layer, a.mine, g); };
            std::vector<at::Tensor> rows;  // the piece's group, or every group
            if (const std::int64_t g = a.rounding->groupOf(k); g >= 0) rows.push_back(rowsOf(g));
            else for (std::int64_t g = 0; g < detail::rowGroups(layer); ++g) rows.push_back(rowsOf(g));
            a.rounding->run(k, rows, tick);
            rows.clear();
            bool last = false;
            {
                std::lock_guard<std::mutex> lock(a.mutex);
                last = --a.left == 0;
            }
            if (last) {  // every piece has run: the output errors, the encoding, and the memory back
                a.rounding->finish(work[l], rowsOf);
                a.rounding.reset();
                a.mine.clear();
            }
            std::lock_guard<std::mutex> lock(progressMutex_);
            done_ += share - credited;
            running.erase(std::find(running.begin(), running.end(), layer.name));
            current_ = describe(running);
        }, watch("learned rounding"));
    }

    std::string describe(const std::vector<std::string>& running) const {
        std::string names;
        for (std::size_t i = 0; i < running.size(); ++i)  // a layer whose pieces run side by side once
            if (std::find(running.begin(), running.begin() + std::ptrdiff_t(i), running[i]) == running.begin() + std::ptrdiff_t(i))
                names += (names.empty() ? "" : ", ") + running[i];
        return weightRoundingName(o_.method) + ": " + (names.empty() ? std::string("layers") : names);
    }

    void add(double units) {
        std::lock_guard<std::mutex> lock(progressMutex_);
        done_ += units;
    }

    // The caller's callback, reporting the fraction of all layers' work done (so the estimate of the
    // time left spans the whole rounding) and raising the stop flag the loops check.
    ProgressFn watch(const std::string& phase) {
        return [this, phase](const Progress& p) {
            Progress q;
            q.total = 1000000;
            {
                std::lock_guard<std::mutex> lock(progressMutex_);
                q.done = std::size_t(total_ > 0.0 ? std::min(1.0, done_ / total_) * double(q.total) : 0.0);
                q.message = phase == "learned rounding" ? current_ : p.message;
            }
            const bool go = !progress_ || progress_(q);
            if (!go) stop_ = true;
            return go && !stop_;
        };
    }

    const SpeechModel& model_;
    const ModelInfo& info_;
    std::vector<WeightEncoding>& encodings_;
    const AudioCorpus& corpus_;
    const std::vector<const Clip*>& clips_;
    const std::vector<ActivationQuant>& activations_;
    const WeightCalibrationOptions& range_;
    const LearnedRoundingOptions& o_;
    const ProgressFn& progress_;
    int threads_;
    int perClip_ = 1;
    std::vector<std::size_t> todo_;
    std::vector<double> cost_;
    double total_ = 0.0, done_ = 0.0;
    std::mutex progressMutex_;
    std::string current_;
    std::atomic<bool> stop_{false};
    LearnedRoundingSummary summary_;
};

}  // namespace

LearnedRoundingSummary learnRounding(const SpeechModel& model, std::vector<WeightEncoding>& encodings,
                                     const AudioCorpus& corpus, const std::vector<const Clip*>& clips,
                                     const std::vector<ActivationQuant>& activations,
                                     const WeightCalibrationOptions& range, const LearnedRoundingOptions& options,
                                     const ProgressFn& progress, int threads) {
    if (options.method == WeightRounding::Nearest) return {};
    if (encodings.size() != model.info().layers.size())
        throw InputError("learned rounding got " + std::to_string(encodings.size()) + " encodings for " +
                         std::to_string(model.info().layers.size()) + " layers");
    if (options.sampleRows < 0 || !(options.sampleMb > 0.0) || !(options.workingMb > 0.0))
        throw InputError("learned rounding needs at least one sampled row and some memory for it");
    if (options.adaround.iterations < 0 || options.adaround.batchRows < 1)
        throw InputError("AdaRound needs 0 or more iterations and at least one row per minibatch");
    return Walk(model, encodings, corpus, clips, activations, range, options, progress, threads).run();
}

}  // namespace qs
