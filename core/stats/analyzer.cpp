// analyze(): every clip through the instrumented model, statistics folded per speaker in corpus order.
#include "core/stats/analyzer.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "core/model/clip_runner.h"
#include "core/base/errors.h"
#include "core/base/memory_plan.h"
#include "core/base/system_memory.h"

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

    // Every clip of every speaker in one run, so a speaker with fewer clips than cores does not
    // leave cores idle. Each clip observes into a sink of its own; fold() adds the sinks to their
    // speaker's accumulators in corpus order, and closes a speaker after its last clip.
    std::vector<const Clip*> clips;
    std::vector<std::size_t> speakerOf;
    for (std::size_t s = 0; s < corpus.speakers().size(); ++s)
        for (const Clip& c : corpus.speakers()[s].clips) clips.push_back(&c), speakerOf.push_back(s);
    std::vector<std::unique_ptr<StatsSink>> perClip(clips.size());
    std::vector<std::string> failed(clips.size());  // why clip i was skipped; empty if it went through

    auto work = [&](int, std::size_t i) {
        // A clip the model fails on halfway must leave no trace: its sink is dropped.
        auto sink = std::make_unique<StatsSink>(nLayers);
        try {
            model.forwardObserved(corpus.load(*clips[i]), *sink);
        } catch (const AudioError& e) {
            failed[i] = e.what();
            return;
        } catch (const ModelError& e) {
            failed[i] = std::string("the model could not process this clip: ") + e.what();
            return;
        }
        perClip[i] = std::move(sink);
    };

    // Speaker groups: which groups each corpus speaker belongs to, and the last member in corpus
    // order (a partial analysis shows a group once that one is done).
    std::vector<std::string> corpusSpeakers;
    for (const Speaker& s : corpus.speakers()) corpusSpeakers.push_back(s.name);
    checkProfileNames(options.profiles, corpusSpeakers);
    const std::size_t nProfiles = options.profiles.size();
    std::vector<std::vector<std::size_t>> groupsOf(corpus.speakers().size());
    std::vector<std::size_t> lastMember(nProfiles, 0);
    std::vector<bool> isSelf(nProfiles, false);  // named like its only member: that speaker's stats
    for (std::size_t p = 0; p < nProfiles; ++p) {
        const Profile& profile = options.profiles[p];
        isSelf[p] = profile.speakers.size() == 1 && profile.speakers.front() == profile.name;
        for (std::size_t s = 0; s < corpusSpeakers.size(); ++s)
            if (std::find(profile.speakers.begin(), profile.speakers.end(), corpusSpeakers[s]) != profile.speakers.end()) {
                groupsOf[s].push_back(p);
                lastMember[p] = s;
            }
    }
    std::vector<std::vector<ActivationStats>> groupStats(nProfiles);
    std::vector<ProfileSummary> groups(nProfiles);
    auto groupSummaries = [&](Analysis& into, std::size_t upToSpeaker) {
        into.profiles.clear();
        for (std::size_t p = 0; p < nProfiles; ++p) {
            if (groups[p].clips == 0 || lastMember[p] > upToSpeaker) continue;
            ProfileSummary g = groups[p];
            g.name = options.profiles[p].name;
            into.profiles.push_back(g);
            if (isSelf[p]) continue;
            for (std::size_t l = 0; l < nLayers; ++l)
                into.layers[l].stats[g.name] = groupStats[p][l].summary(options.histogramBins);
        }
    };

    std::vector<ActivationStats> all(nLayers);
    StatsSink speakerStats(nLayers);
    SpeakerSummary summary;
    std::vector<std::string> files;
    auto fold = [&](std::size_t i) {
        const Clip& clip = *clips[i];
        if (perClip[i]) {
            for (std::size_t l = 0; l < nLayers; ++l) speakerStats.stats[l].merge(perClip[i]->stats[l]);
            perClip[i].reset();
            ++summary.clips;
            summary.seconds += clip.seconds;
            files.push_back(clip.path);
        } else {
            result.skipped.push_back({clip.path, failed[i]});
        }
        const bool lastOfSpeaker = i + 1 == clips.size() || speakerOf[i + 1] != speakerOf[i];
        if (!lastOfSpeaker) return;
        if (summary.clips > 0) {  // else every clip of this speaker was skipped
            summary.name = corpus.speakers()[speakerOf[i]].name;
            std::sort(files.begin(), files.end());
            summary.files = int(std::unique(files.begin(), files.end()) - files.begin());
            for (std::size_t l = 0; l < nLayers; ++l) {
                result.layers[l].stats[summary.name] = speakerStats.stats[l].summary(options.histogramBins);
                all[l].merge(speakerStats.stats[l]);
            }
            for (std::size_t p : groupsOf[speakerOf[i]]) {
                groups[p].speakers.push_back(summary.name);
                groups[p].clips += summary.clips;
                groups[p].seconds += summary.seconds;
                if (isSelf[p]) continue;
                if (groupStats[p].empty()) groupStats[p].resize(nLayers);
                for (std::size_t l = 0; l < nLayers; ++l) groupStats[p][l].merge(speakerStats.stats[l]);
            }
            result.speakers.push_back(summary);
            if (options.speakerFinished) {
                Analysis partial = result;
                for (std::size_t l = 0; l < nLayers; ++l)
                    partial.layers[l].stats[kAllSpeakers] = all[l].summary(options.histogramBins);
                groupSummaries(partial, speakerOf[i]);
                sortSkipped(partial.skipped);
                partial.elapsedSeconds = secondsSince(start);
                options.speakerFinished(partial);
            }
        }
        speakerStats = StatsSink(nLayers);
        summary = SpeakerSummary{};
        files.clear();
    };
    double longest = 0;
    for (const Clip* c : clips) longest = std::max(longest, c->seconds);
    const MemoryPlan plan = planWorkers(workerMemory(info), resolveMemoryBudget(options.maxMemory), longest,
                                        options.threads, clips.size(), "the analysis");
    result.workers = clipWorkers(clips.size(), plan.workers);
    Progress base;
    base.total = clips.size();
    runTasksInOrder(clips.size(), plan.workers, work, fold, progress, base,
                    [&](std::size_t i) { return clips[i]->speaker + ": " + clips[i]->id; },
                    [&](std::size_t i) { return clips[i]->seconds; });

    if (result.speakers.empty())
        throw ModelError("no clip could be analysed" +
                         (result.skipped.empty() ? std::string() : ": " + result.skipped.back().reason));
    sortSkipped(result.skipped);
    for (std::size_t l = 0; l < nLayers; ++l)
        result.layers[l].stats[kAllSpeakers] = all[l].summary(options.histogramBins);
    groupSummaries(result, corpusSpeakers.size());
    result.elapsedSeconds = secondsSince(start);
    return result;
}

void forwardOnly(const SpeechModel& model, const AudioCorpus& corpus, int threads) {
    for (const Speaker& speaker : corpus.speakers())
        runClips(clipsOf(speaker), threads, [&](int, const Clip& clip) { model.forward(corpus.load(clip)); }, {});
}

}  // namespace qs
