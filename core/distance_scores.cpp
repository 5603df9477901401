#include "core/distance_scores.h"

#include <algorithm>
#include <cmath>

#include "core/clip_runner.h"
#include "core/errors.h"
#include "core/quantizer.h"

namespace qs {
namespace {

// Running sums for one layer and one speaker; every score derives from them, so speakers add up to
// "all" exactly.
struct Sums {
    double kl = 0, rows = 0, l1 = 0, sq = 0, elements = 0, signal = 0, cosine = 0;
    int clips = 0;

    void add(const Sums& o) {
        kl += o.kl, rows += o.rows, l1 += o.l1, sq += o.sq, elements += o.elements, signal += o.signal;
        cosine += o.cosine, clips += o.clips;
    }

    DistanceScores scores(int bits) const {
        DistanceScores d;
        d.kl = rows > 0 ? kl / rows : 0;
        d.l1 = elements > 0 ? l1 / elements : 0;
        d.l2 = elements > 0 ? sq / elements : 0;
        d.cosine = clips > 0 ? cosine / clips : 0;
        // A quantization that changes nothing has no noise: cap at 300 dB rather than infinity.
        d.sqnrDb = sq > 0 ? std::min(300.0, 10.0 * std::log10(signal / sq)) : 300.0;
        d.clips = clips;
        d.bits = bits;
        return d;
    }
};

// Compares one clip's quantized output with its float output. Rows are the last dimension's
// vectors (frames × vocabulary for a CTC model): KL is taken over each row's softmax.
Sums compare(const ModelOutput& ref, const ModelOutput& q) {
    if (ref.values.size() != q.values.size() || ref.shape.empty())
        throw ModelError("the quantized model's output has another shape than the float model's");
    Sums s;
    const std::size_t width = std::size_t(ref.shape.back());
    const std::size_t rows = width ? ref.values.size() / width : 0;
    double dot = 0, nRef = 0, nQ = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        const float* p = &ref.values[r * width];
        const float* x = &q.values[r * width];
        double mp = -INFINITY, mq = -INFINITY;
        for (std::size_t i = 0; i < width; ++i) mp = std::max(mp, double(p[i])), mq = std::max(mq, double(x[i]));
        double zp = 0, zq = 0;
        for (std::size_t i = 0; i < width; ++i) zp += std::exp(p[i] - mp), zq += std::exp(x[i] - mq);
        const double lzp = mp + std::log(zp), lzq = mq + std::log(zq);
        double kl = 0;
        for (std::size_t i = 0; i < width; ++i) {
            const double lp = p[i] - lzp, lq = x[i] - lzq;
            kl += std::exp(lp) * (lp - lq);
            const double diff = double(p[i]) - double(x[i]);
            s.l1 += std::fabs(diff);
            s.sq += diff * diff;
            s.signal += double(p[i]) * double(p[i]);
            dot += double(p[i]) * double(x[i]);
            nRef += double(p[i]) * double(p[i]);
            nQ += double(x[i]) * double(x[i]);
        }
        s.kl += std::max(0.0, kl);
    }
    s.rows = double(rows);
    s.elements = double(ref.values.size());
    const double denom = std::sqrt(nRef) * std::sqrt(nQ);
    s.cosine = denom > 0 ? 1.0 - dot / denom : (nRef == nQ ? 0.0 : 1.0);
    s.clips = 1;
    return s;
}

}  // namespace

std::map<std::string, std::vector<DistanceScores>> distanceScores(const SpeechModel& model, const AudioCorpus& corpus,
                                                                  const DistanceOptions& options,
                                                                  const ProgressFn& progress) {
    const ModelInfo& info = model.info();
    const std::size_t nLayers = info.layers.size();

    // The clips, decoded once, with their float outputs.
    struct Item {
        std::string speaker;
        std::vector<float> wave;
        ModelOutput reference;
    };
    std::vector<const Clip*> clips;
    for (const Speaker& s : corpus.speakers()) {
        const std::size_t n = options.clipsPerSpeaker > 0 ? std::min<std::size_t>(s.clips.size(), std::size_t(options.clipsPerSpeaker))
                                                          : s.clips.size();
        for (std::size_t i = 0; i < n; ++i) clips.push_back(&s.clips[i]);
    }
    std::vector<Item> items(clips.size());
    std::vector<bool> usable(clips.size(), false);
    Progress base;
    base.total = nLayers + 1;
    base.message = "float outputs";
    report(progress, base);
    runTasks(clips.size(), options.threads, [&](int, std::size_t i) {
        try {
            items[i].speaker = clips[i]->speaker;
            items[i].wave = corpus.load(*clips[i]);
            items[i].reference = model.forward(items[i].wave);
            usable[i] = true;
        } catch (const AudioError&) {
        } catch (const ModelError&) {
        }
    }, {});
    std::vector<Item> ok;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (usable[i]) ok.push_back(std::move(items[i]));
    if (ok.empty()) throw ModelError("no clip could be used for the distance passes");

    // One task per layer: quantize its weight once, run every clip, compare.
    std::vector<std::map<std::string, Sums>> sums(nLayers);
    base.done = 1;
    runTasks(
        nLayers, options.threads,
        [&](int, std::size_t layer) {
            const std::vector<float> q =
                quantizeWeightSymmetric(model.layerWeight(int(layer)), info.layers[layer].outChannels(), options.bits);
            const std::vector<WeightOverride> overrides{{int(layer), &q}};
            std::map<std::string, Sums>& mine = sums[layer];
            for (const Item& item : ok) {
                const Sums s = compare(item.reference, model.forwardWithWeights(item.wave, overrides));
                mine[item.speaker].add(s);
                mine[kAllSpeakers].add(s);
            }
        },
        progress, base, [&](std::size_t layer) { return info.layers[layer].name; });

    std::map<std::string, std::vector<DistanceScores>> out;
    for (std::size_t l = 0; l < nLayers; ++l)
        for (const auto& [speaker, s] : sums[l]) {
            auto& v = out[speaker];
            v.resize(nLayers);
            v[l] = s.scores(options.bits);
        }
    return out;
}

void attachDistances(Analysis& analysis, const std::map<std::string, std::vector<DistanceScores>>& scores) {
    for (const auto& [speaker, perLayer] : scores) {
        if (perLayer.size() != analysis.layers.size())
            throw InputError("distance scores cover " + std::to_string(perLayer.size()) + " layers, the analysis " +
                             std::to_string(analysis.layers.size()));
        for (std::size_t l = 0; l < perLayer.size(); ++l) analysis.layers[l].distances[speaker] = perLayer[l];
    }
}

}  // namespace qs
