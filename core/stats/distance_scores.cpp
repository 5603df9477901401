// Distance passes: each layer alone quantized, the model output compared with full precision over
// the clips.
#include "core/stats/distance_scores.h"

#include <algorithm>
#include <cmath>

#include "core/model/clip_runner.h"
#include "core/base/errors.h"
#include "core/base/memory_plan.h"
#include "core/base/system_memory.h"
#include "core/evaluation/output_compare.h"
#include "core/quantize/quantizer.h"

namespace qs {
namespace {

DistanceScores toScores(const OutputComparison& c, int bits) {
    DistanceScores d;
    d.kl = c.kl;
    d.l1 = c.l1;
    d.l2 = c.l2;
    d.cosine = c.cosine;
    d.sqnrDb = c.sqnrDb;
    d.clips = c.clips;
    d.bits = bits;
    return d;
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
    // The clips' waveforms and float outputs stay in memory for every layer's pass.
    double longest = 0, kept = 0;
    for (const Clip* c : clips) {
        longest = std::max(longest, c->seconds);
        kept += c->seconds * (double(info.sampleRate) * sizeof(float) + info.memory.outputBytesPerSecond);
    }
    const MemoryPlan plan = planWorkers(workerMemory(info), resolveMemoryBudget(options.maxMemory), longest,
                                        options.threads, std::max(clips.size(), nLayers), "the distance passes", kept);
    Progress base;
    base.total = nLayers + 1;
    base.message = "float outputs";
    report(progress, base);
    runTasks(clips.size(), plan.workers, [&](int, std::size_t i) {
        try {
            items[i].speaker = clips[i]->speaker;
            items[i].wave = corpus.load(*clips[i]);
            items[i].reference = model.forward(items[i].wave);
            usable[i] = true;
        } catch (const AudioError&) {
        } catch (const ModelError&) {
        }
    }, [&](const Progress&) { return !progress || progress(base); });
    std::vector<Item> ok;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (usable[i]) ok.push_back(std::move(items[i]));
    if (ok.empty()) throw ModelError("no clip could be used for the distance passes");

    // One task per layer: quantize its weight once, run every clip, compare.
    std::vector<std::map<std::string, OutputComparer>> sums(nLayers);
    base.done = 1;
    runTasks(
        nLayers, plan.workers,
        [&](int, std::size_t layer) {
            const std::vector<float> q =
                quantizeWeightSymmetric(model.layerWeight(int(layer)), info.layers[layer].outChannels(), options.bits);
            const std::vector<WeightOverride> overrides{{int(layer), &q}};
            std::map<std::string, OutputComparer>& mine = sums[layer];
            for (const Item& item : ok) {
                OutputComparer one;
                one.add(item.reference, model.forwardWithWeights(item.wave, overrides));
                mine[item.speaker].add(one);
                mine[kAllSpeakers].add(one);
            }
            // Groups: their members' sums, merged in member order.
            for (const Profile& p : options.profiles) {
                if (mine.count(p.name)) continue;  // named like its only member
                OutputComparer group;
                bool any = false;
                for (const std::string& member : p.speakers) {
                    auto it = mine.find(member);
                    if (it == mine.end()) continue;
                    group.add(it->second);
                    any = true;
                }
                if (any) mine[p.name] = group;
            }
        },
        progress, base, [&](std::size_t layer) { return info.layers[layer].name; });

    std::map<std::string, std::vector<DistanceScores>> out;
    for (std::size_t l = 0; l < nLayers; ++l)
        for (const auto& [speaker, s] : sums[l]) {
            auto& v = out[speaker];
            v.resize(nLayers);
            v[l] = toScores(s.result(), options.bits);
        }
    return out;
}

}  // namespace qs
