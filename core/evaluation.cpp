#include "core/evaluation.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "core/analysis.h"
#include "core/clip_runner.h"
#include "core/ctc.h"
#include "core/errors.h"
#include "core/json_io.h"

namespace qs {
namespace {

std::string joinLabels(const std::vector<std::string>& labels) {
    std::string s;
    for (std::size_t i = 0; i < labels.size(); ++i) s += (i ? ", \"" : "\"") + labels[i] + "\"";
    return labels.empty() ? std::string("none") : "[" + s + "]";
}

}  // namespace

void checkModelsMatch(const ModelInfo& f, const ModelInfo& q) {
    if (f.sampleRate != q.sampleRate)
        throw ModelError("the quantized model " + q.path + " expects " + std::to_string(q.sampleRate) +
                         " Hz audio but the float model " + f.path + " expects " +
                         std::to_string(f.sampleRate) + " Hz: they are not the same model");
    if (f.labels != q.labels)
        throw ModelError("the quantized model " + q.path + " has other labels (" + std::to_string(q.labels.size()) +
                         ": " + joinLabels(q.labels) + ") than the float model " + f.path + " (" +
                         std::to_string(f.labels.size()) + ": " + joinLabels(f.labels) + "): they are not the same model");
}

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

nlohmann::json modelJson(const ModelInfo& m) {
    return {{"path", m.path},
            {"total_params", m.totalParams},
            {"size_mb", m.sizeMb()},
            {"sample_rate", m.sampleRate},
            {"normalize", m.normalize},
            {"labels", m.labels}};
}

nlohmann::json rate(bool applies, const ErrorCounts& c) { return applies ? nlohmann::json(c.rate()) : nlohmann::json(); }

void putOutput(nlohmann::json& j, const OutputComparison& o) {
    j["sqnr_db"] = o.sqnrDb;
    j["kl"] = o.kl;
    j["l1"] = o.l1;
    j["l2"] = o.l2;
    j["cosine"] = o.cosine;
    j["max_abs_diff"] = o.maxAbsDiff;
}

nlohmann::json scoresJson(const EvaluationScores& s, bool transcripts) {
    nlohmann::json j;
    j["name"] = s.name;
    j["clips"] = s.clips;
    j["seconds"] = s.seconds;
    putOutput(j, s.output);
    j["wer_vs_float"] = rate(transcripts, s.werVsFloat);
    j["cer_vs_float"] = rate(transcripts, s.cerVsFloat);
    const bool refs = transcripts && s.referenceClips > 0;
    j["reference_clips"] = transcripts ? s.referenceClips : 0;
    j["wer_float"] = rate(refs, s.werFloat);
    j["cer_float"] = rate(refs, s.cerFloat);
    j["wer_quantized"] = rate(refs, s.werQuantized);
    j["cer_quantized"] = rate(refs, s.cerQuantized);
    return j;
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
    Progress base;
    base.total = clips.size();
    base.message = "evaluating";
    runClips(clips, options.threads, work, progress, base);

    // Sums in corpus order, whatever order the workers finished in, so results are reproducible.
    OutputComparer allComparer;
    result.all.name = kAllSpeakers;
    std::size_t i = 0;
    for (const Speaker& speaker : corpus.speakers()) {
        EvaluationScores s;
        s.name = speaker.name;
        OutputComparer comparer;
        for (std::size_t k = 0; k < speaker.clips.size(); ++k, ++i) {
            const ClipResult& r = results[i];
            if (!r.ok) continue;
            addClip(s, comparer, r);
            addClip(result.all, allComparer, r);
            result.clips.push_back(r.details);
        }
        if (s.clips == 0) continue;  // every clip of this speaker was skipped
        s.output = comparer.result();
        result.speakers.push_back(std::move(s));
    }
    result.all.output = allComparer.result();
    std::stable_sort(result.skipped.begin(), result.skipped.end(),
                     [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
    if (result.all.clips == 0)
        throw ModelError("no clip could be evaluated" +
                         (result.skipped.empty() ? std::string() : ": " + result.skipped.back().reason));
    result.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

nlohmann::json toJson(const Evaluation& e) {
    nlohmann::json j;
    j["float_model"] = modelJson(e.floatModel);
    j["quantized_model"] = modelJson(e.quantizedModel);
    j["audio"] = e.audioRoot;
    j["transcripts"] = e.transcripts;
    j["speakers"] = nlohmann::json::array();
    for (const EvaluationScores& s : e.speakers) j["speakers"].push_back(scoresJson(s, e.transcripts));
    j["all"] = scoresJson(e.all, e.transcripts);
    j["clips"] = nlohmann::json::array();
    for (const ClipEvaluation& c : e.clips) {
        nlohmann::json cj;
        cj["id"] = c.id;
        cj["path"] = c.path;
        cj["speaker"] = c.speaker;
        cj["seconds"] = c.seconds;
        putOutput(cj, c.output);
        const bool refs = e.transcripts && c.hasReference();
        cj["float_transcript"] = e.transcripts ? nlohmann::json(c.floatTranscript) : nlohmann::json();
        cj["quantized_transcript"] = e.transcripts ? nlohmann::json(c.quantizedTranscript) : nlohmann::json();
        cj["reference"] = c.hasReference() ? nlohmann::json(c.reference) : nlohmann::json();
        cj["wer_vs_float"] = rate(e.transcripts, wordErrors(c.floatTranscript, c.quantizedTranscript));
        cj["cer_vs_float"] = rate(e.transcripts, charErrors(c.floatTranscript, c.quantizedTranscript));
        cj["wer_float"] = rate(refs, wordErrors(c.reference, c.floatTranscript));
        cj["cer_float"] = rate(refs, charErrors(c.reference, c.floatTranscript));
        cj["wer_quantized"] = rate(refs, wordErrors(c.reference, c.quantizedTranscript));
        cj["cer_quantized"] = rate(refs, charErrors(c.reference, c.quantizedTranscript));
        j["clips"].push_back(std::move(cj));
    }
    j["skipped"] = nlohmann::json::array();
    for (const SkippedFile& s : e.skipped) j["skipped"].push_back({{"path", s.path}, {"reason", s.reason}});
    j["run"] = {{"threads", e.threads}, {"elapsed_seconds", e.elapsedSeconds}};
    return j;
}

void saveEvaluation(const std::string& path, const Evaluation& evaluation) {
    writeJsonAtomic(path, toJson(evaluation));
}

}  // namespace qs
