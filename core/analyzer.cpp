#include "core/analyzer.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "core/clip_runner.h"
#include "core/errors.h"

namespace qs {
namespace {

// One worker's accumulators: a LayerSink that adds every observed block to its layer's stats.
class StatsSink : public LayerSink {
public:
    explicit StatsSink(std::size_t layers) : stats(layers) {}
    void observe(int layer, const float* data, std::size_t outer, std::size_t channels, std::size_t inner) override {
        stats[std::size_t(layer)].add(data, outer, channels, inner);
    }
    std::vector<ActivationStats> stats;
};

std::vector<const Clip*> clipsOf(const Speaker& s) {
    std::vector<const Clip*> out;
    for (const Clip& c : s.clips) out.push_back(&c);
    return out;
}

std::size_t clipCount(const AudioCorpus& corpus) {
    std::size_t n = 0;
    for (const Speaker& s : corpus.speakers()) n += s.clips.size();
    return n;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Analysis analyze(const SpeechModel& model, const AudioCorpus& corpus, const AnalyzeOptions& options,
                 const ProgressFn& progress) {
    const auto start = std::chrono::steady_clock::now();
    const ModelInfo& info = model.info();
    const std::size_t nLayers = info.layers.size();

    Analysis result;
    result.model = info;
    result.audioRoot = corpus.root();
    result.skipped = corpus.skipped();
    result.threads = options.threads > 0 ? options.threads : hardwareThreads();
    result.layers.resize(nLayers);
    for (std::size_t i = 0; i < nLayers; ++i) result.layers[i].info = info.layers[i];

    std::vector<ActivationStats> all(nLayers);
    std::mutex skippedMutex;
    Progress base;
    base.total = clipCount(corpus);

    for (const Speaker& speaker : corpus.speakers()) {
        const std::vector<const Clip*> clips = clipsOf(speaker);
        const int workers = clipWorkers(clips.size(), options.threads);
        std::vector<StatsSink> sinks;
        sinks.reserve(std::size_t(workers));
        for (int w = 0; w < workers; ++w) sinks.emplace_back(nLayers);

        SpeakerSummary summary{speaker.name, 0, 0, 0.0};
        std::vector<std::string> files;
        std::mutex summaryMutex;
        auto work = [&](int worker, const Clip& clip) {
            // A clip the model fails on halfway must leave no trace: observe into a scratch sink
            // and merge it into the worker's accumulators only once the clip went through.
            StatsSink clipSink(nLayers);
            try {
                const std::vector<float> wave = corpus.load(clip);
                model.forwardObserved(wave, clipSink);
            } catch (const AudioError& e) {
                std::lock_guard<std::mutex> lock(skippedMutex);
                result.skipped.push_back({clip.path, e.what()});
                return;
            } catch (const ModelError& e) {
                std::lock_guard<std::mutex> lock(skippedMutex);
                result.skipped.push_back({clip.path, std::string("the model could not process this clip: ") + e.what()});
                return;
            }
            StatsSink& mine = sinks[std::size_t(worker)];
            for (std::size_t l = 0; l < nLayers; ++l) mine.stats[l].merge(clipSink.stats[l]);
            std::lock_guard<std::mutex> lock(summaryMutex);
            ++summary.clips;
            summary.seconds += clip.seconds;
            files.push_back(clip.path);
        };
        runClips(clips, options.threads, work, progress, base);
        base.done += clips.size();
        for (const Clip* c : clips) base.seconds += c->seconds;

        if (summary.clips == 0) continue;  // every clip of this speaker was skipped
        std::sort(files.begin(), files.end());
        summary.files = int(std::unique(files.begin(), files.end()) - files.begin());
        for (std::size_t l = 0; l < nLayers; ++l) {
            ActivationStats& speakerStats = sinks[0].stats[l];
            for (int w = 1; w < workers; ++w) speakerStats.merge(sinks[std::size_t(w)].stats[l]);
            result.layers[l].stats[speaker.name] = speakerStats.summary(options.histogramBins);
            all[l].merge(speakerStats);
        }
        result.speakers.push_back(summary);
        if (options.speakerFinished) {
            Analysis partial = result;
            for (std::size_t l = 0; l < nLayers; ++l)
                partial.layers[l].stats[kAllSpeakers] = all[l].summary(options.histogramBins);
            sortSkipped(partial.skipped);
            partial.elapsedSeconds = secondsSince(start);
            options.speakerFinished(partial);
        }
    }

    if (result.speakers.empty())
        throw ModelError("no clip could be analysed" +
                         (result.skipped.empty() ? std::string() : ": " + result.skipped.back().reason));
    sortSkipped(result.skipped);
    for (std::size_t l = 0; l < nLayers; ++l)
        result.layers[l].stats[kAllSpeakers] = all[l].summary(options.histogramBins);
    result.elapsedSeconds = secondsSince(start);
    return result;
}

void forwardOnly(const SpeechModel& model, const AudioCorpus& corpus, int threads) {
    for (const Speaker& speaker : corpus.speakers())
        runClips(clipsOf(speaker), threads, [&](int, const Clip& clip) { model.forward(corpus.load(clip)); }, {});
}

}  // namespace qs
