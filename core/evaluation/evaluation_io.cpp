// evaluation.json and the checks around it (evaluation.h): the models' metadata, per-speaker and
// per-clip measures as JSON, and whether two models can be compared at all. No model runs here.
#include "core/evaluation/evaluation.h"

#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/base/version.h"

namespace qs {
namespace {

std::string joinLabels(const std::vector<std::string>& labels) {
    std::string s;
    for (std::size_t i = 0; i < labels.size(); ++i) s += (i ? ", \"" : "\"") + labels[i] + "\"";
    return labels.empty() ? std::string("none") : "[" + s + "]";
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

nlohmann::json toJson(const Evaluation& e) {
    nlohmann::json j;
    j["float_model"] = modelJson(e.floatModel);
    j["quantized_model"] = modelJson(e.quantizedModel);
    j["audio"] = e.audioRoot;
    j["transcripts"] = e.transcripts;
    j["speakers"] = nlohmann::json::array();
    for (const EvaluationScores& s : e.speakers) j["speakers"].push_back(scoresJson(s, e.transcripts));
    j["all"] = scoresJson(e.all, e.transcripts);
    if (!e.profiles.empty()) {
        j["profiles"] = nlohmann::json::array();
        for (const EvaluationScores& s : e.profiles) j["profiles"].push_back(scoresJson(s, e.transcripts));
    }
    j["split"] = toJson(e.split);
    j["calibration_clips_left_out"] = e.calibrationClipsLeftOut;
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
    j["written_by"] = writtenByJson();
    return j;
}

void saveEvaluation(const std::string& path, const Evaluation& evaluation) {
    writeJsonAtomic(path, toJson(evaluation));
}

}  // namespace qs
