// evaluate(): the float and the quantized model on the same clips, in parallel, with per-speaker sums
// folded in corpus order so the result does not depend on the thread count.
#include "core/evaluation/evaluation.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "core/base/errors.h"
#include "core/base/memory_plan.h"
#include "core/base/system_memory.h"
#include "core/evaluation/ctc.h"
#include "core/model/clip_runner.h"
#include "core/stats/analysis.h"

namespace qs {
namespace {

// One clip's results while the workers run: everything the per-speaker sums need.
struct ClipResult {
    bool ok = false;
    OutputComparer comparer;
    ClipEvaluation details;
    ErrorCounts werVsFloat, cerVsFloat, werFloat, cerFloat, werQuantized, cerQuantized;
};

void addClip(EvaluationScores& s, OutputComparer& comparer, const ClipResult& r) {
    ++s.clips;
    s.seconds += r.details.seconds;
    comparer.add(r.comparer);
    s.werVsFloat += r.werVsFloat;
    s.cerVsFloat += r.cerVsFloat;
    if (r.details.hasReference()) {
        ++s.referenceClips;
        s.werFloat += r.werFloat;
        s.cerFloat += r.cerFloat;
        s.werQuantized += r.werQuantized;
        s.cerQuantized += r.cerQuantized;
    }
}
}  // namespace

Evaluation evaluate(const SpeechModel& floatModel, const SpeechModel& quantized, const AudioCorpus& corpus,
                    const EvaluateOptions& options, const ProgressFn& progress) {
    const auto start = std::chrono::steady_clock::now();
    const ModelInfo& info = floatModel.info();
    checkModelsMatch(info, quantized.info());
    if (corpus.options().targetRate != info.sampleRate)
        throw InputError("the audio was read at " + std::to_string(corpus.options().targetRate) +
                         " Hz but the models expect " + std::to_string(info.sampleRate) + " Hz");

    Evaluation result;
    result.floatModel = info;
    result.quantizedModel = quantized.info();
    result.audioRoot = corpus.root();
    result.transcripts = !info.labels.empty();
    result.threads = options.threads > 0 ? options.threads : hardwareThreads();
    result.skipped = corpus.skipped();

    std::vector<const Clip*> clips;
    for (const Speaker& s : corpus.speakers())
        for (const Clip& c : s.clips) clips.push_back(&c);
    std::vector<ClipResult> results(clips.size());
    std::unordered_map<const Clip*, std::size_t> slot;  // runClips hands out clips; find their result by address
    for (std::size_t k = 0; k < clips.size(); ++k) slot[clips[k]] = k;
    std::mutex skippedMutex;
    auto skip = [&](const Clip& clip, const std::string& reason) {
        std::lock_guard<std::mutex> lock(skippedMutex);
        result.skipped.push_back({clip.path, reason});
    };

    auto work = [&](int, const Clip& clip) {
        ClipResult& r = results[slot.at(&clip)];
        std::vector<float> wave;
        ModelOutput f, q;
        try {
            wave = corpus.load(clip);
        } catch (const AudioError& e) {
            skip(clip, e.what());
            return;
        }
        try {
            f = floatModel.forward(wave);
        } catch (const ModelError& e) {
            skip(clip, std::string("the float model could not process this clip: ") + e.what());
            return;
        }
        try {
            q = quantized.forward(wave);
        } catch (const ModelError& e) {
            skip(clip, std::string("the quantized model could not process this clip: ") + e.what());
            return;
        }
        // A shape mismatch is the models' fault, not the clip's: it stops the run (ModelError).
        r.comparer.add(f, q);
        ClipEvaluation& d = r.details;
        d.id = clip.id;
        d.path = clip.path;
        d.speaker = clip.speaker;
        d.seconds = clip.seconds;
        d.output = r.comparer.result();
        d.reference = clip.transcript;
        if (result.transcripts) {
            try {
                d.floatTranscript = greedyCtcDecode(f, info.labels);
                d.quantizedTranscript = greedyCtcDecode(q, info.labels);
            } catch (const InputError& e) {
                throw ModelError("the model's output does not fit its labels: " + std::string(e.what()));
            }
            r.werVsFloat = wordErrors(d.floatTranscript, d.quantizedTranscript);
            r.cerVsFloat = charErrors(d.floatTranscript, d.quantizedTranscript);
            if (d.hasReference()) {
                r.werFloat = wordErrors(d.reference, d.floatTranscript);
                r.cerFloat = charErrors(d.reference, d.floatTranscript);
                r.werQuantized = wordErrors(d.reference, d.quantizedTranscript);
                r.cerQuantized = charErrors(d.reference, d.quantizedTranscript);
            }
        }
        r.ok = true;
    };
    // A worker runs both models on its clip, one after the other, and keeps both outputs.
    double longest = 0;
    for (const Clip* c : clips) longest = std::max(longest, c->seconds);
    const WorkerMemory perWorker{{info.memory, quantized.info().memory}, workerStateBytes(info)};
    const MemoryPlan plan = planWorkers(perWorker, resolveMemoryBudget(options.maxMemory), longest, options.threads,
                                        clips.size(), "the evaluation");
    Progress base;
    base.total = clips.size();
    base.message = "evaluating";
    runClips(clips, plan.workers, work, progress, base);

    // Sums in corpus order, whatever order the workers finished in, so results are reproducible.
    OutputComparer allComparer;
    result.all.name = kAllSpeakers;
    std::vector<EvaluationScores> groups(options.profiles.size());
    std::vector<OutputComparer> groupComparers(options.profiles.size());
    std::size_t i = 0;
    for (const Speaker& speaker : corpus.speakers()) {
        EvaluationScores s;
        s.name = speaker.name;
        OutputComparer comparer;
        std::vector<std::size_t> inGroups;
        for (std::size_t g = 0; g < options.profiles.size(); ++g) {
            const std::vector<std::string>& members = options.profiles[g].speakers;
            if (std::find(members.begin(), members.end(), speaker.name) != members.end()) inGroups.push_back(g);
        }
        for (std::size_t k = 0; k < speaker.clips.size(); ++k, ++i) {
            const ClipResult& r = results[i];
            if (!r.ok) continue;
            addClip(s, comparer, r);
            addClip(result.all, allComparer, r);
            for (std::size_t g : inGroups) addClip(groups[g], groupComparers[g], r);
            result.clips.push_back(r.details);
        }
        if (s.clips == 0) continue;  // every clip of this speaker was skipped
        s.output = comparer.result();
        result.speakers.push_back(std::move(s));
    }
    result.all.output = allComparer.result();
    for (std::size_t g = 0; g < groups.size(); ++g) {
        if (groups[g].clips == 0) continue;
        groups[g].name = options.profiles[g].name;
        groups[g].output = groupComparers[g].result();
        result.profiles.push_back(std::move(groups[g]));
    }
    std::stable_sort(result.skipped.begin(), result.skipped.end(),
                     [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
    if (result.all.clips == 0)
        throw ModelError("no clip could be evaluated" +
                         (result.skipped.empty() ? std::string() : ": " + result.skipped.back().reason));
    result.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace qs
