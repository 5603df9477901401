// reference.trn, float.trn and quantized.trn of an evaluation (trn_files.h).
#include "core/evaluation/trn_files.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/evaluation/error_rates.h"

namespace qs {

std::vector<std::string> trnIds(const Evaluation& e) {
    std::vector<std::string> speakers, ids;
    for (const ClipEvaluation& c : e.clips) {
        speakers.push_back(c.speaker);
        ids.push_back(c.id);
    }
    return trnIds(speakers, ids);
}

std::vector<std::string> trnIds(const std::vector<std::string>& speakers, const std::vector<std::string>& clipIds) {
    std::vector<std::string> ids;
    std::set<std::string> used;
    for (std::size_t i = 0; i < clipIds.size(); ++i) {
        const std::string& speaker = speakers.at(i);
        const std::string& clip = clipIds[i];
        std::string id = clip.rfind(speaker, 0) == 0 && !speaker.empty() ? clip : speaker + "-" + clip;
        for (char& ch : id)
            if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '(' || ch == ')') ch = '_';
        if (used.count(id)) {
            int k = 2;
            while (used.count(id + "#" + std::to_string(k))) ++k;
            id += "#" + std::to_string(k);
        }
        used.insert(id);
        ids.push_back(std::move(id));
    }
    return ids;
}

std::vector<std::size_t> trnClips(const std::vector<bool>& hasReference) {
    const bool any = std::find(hasReference.begin(), hasReference.end(), true) != hasReference.end();
    std::vector<std::size_t> kept;
    for (std::size_t i = 0; i < hasReference.size(); ++i)
        if (!any || hasReference[i]) kept.push_back(i);
    return kept;
}

std::string trnLine(const std::string& text, const std::string& id) {
    const std::string words = normalizeForScoring(text);
    return (words.empty() ? "" : words + " ") + "(" + id + ")\n";
}

TrnFiles writeTrnFiles(const std::string& dir, const Evaluation& e) {
    if (!e.transcripts)
        throw InputError("the models have no CTC labels (model.json \"labels\"), so there are no transcripts to write");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir)) throw InputError("cannot create the folder " + dir);

    std::vector<bool> hasReference;
    for (const ClipEvaluation& c : e.clips) hasReference.push_back(c.hasReference());
    const bool anyReference = std::find(hasReference.begin(), hasReference.end(), true) != hasReference.end();
    const std::vector<std::string> ids = trnIds(e);
    std::string reference, floatText, quantizedText;
    TrnFiles files;
    for (std::size_t i : trnClips(hasReference)) {
        const ClipEvaluation& c = e.clips[i];
        if (anyReference) reference += trnLine(c.reference, ids[i]);
        floatText += trnLine(c.floatTranscript, ids[i]);
        quantizedText += trnLine(c.quantizedTranscript, ids[i]);
        ++files.utterances;
    }
    const std::filesystem::path root(dir);
    files.floatHypotheses = (root / "float.trn").string();
    files.quantizedHypotheses = (root / "quantized.trn").string();
    writeFileAtomic(files.floatHypotheses, floatText);
    writeFileAtomic(files.quantizedHypotheses, quantizedText);
    if (anyReference) {
        files.reference = (root / "reference.trn").string();
        writeFileAtomic(files.reference, reference);
    }
    return files;
}

}  // namespace qs
