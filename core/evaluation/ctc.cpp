// Greedy CTC decoding of a model output with its labels.
#include "core/evaluation/ctc.h"

#include "core/base/errors.h"
#include "core/model/speech_model.h"

namespace qs {
namespace {

bool isSeparator(const std::string& label) {
    if (label == "|") return true;
    if (label.empty()) return false;
    for (const char c : label)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
    return true;
}

// "<unk>", "<s>", "</s>", "<pad>": vocabulary bookkeeping, not text.
bool isSpecialToken(const std::string& label) {
    return label.size() >= 3 && label.front() == '<' && label.back() == '>';
}

}  // namespace

std::vector<int> greedyCtcPath(const float* logits, std::size_t frames, std::size_t vocabulary) {
    std::vector<int> path;
    if (vocabulary == 0) return path;
    int previous = -1;
    for (std::size_t t = 0; t < frames; ++t) {
        const float* row = logits + t * vocabulary;
        int best = 0;
        for (std::size_t v = 1; v < vocabulary; ++v)
            if (row[v] > row[best]) best = int(v);
        // A label counts once per run of frames; a blank ends the run, so "a _ a" keeps both a's.
        if (best != previous && best != kCtcBlank) path.push_back(best);
        previous = best;
    }
    return path;
}

std::string ctcText(const std::vector<int>& path, const std::vector<std::string>& labels) {
    std::string raw;
    for (const int index : path) {
        if (index < 0 || std::size_t(index) >= labels.size())
            throw InputError("CTC label index " + std::to_string(index) + " is outside the vocabulary of " +
                             std::to_string(labels.size()) + " labels");
        const std::string& label = labels[std::size_t(index)];
        if (isSeparator(label))
            raw += ' ';
        else if (!isSpecialToken(label))
            raw += label;
    }
    // Collapse whitespace (labels may carry their own) and trim.
    std::string text;
    bool pendingSpace = false;
    for (const char c : raw) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            pendingSpace = !text.empty();
            continue;
        }
        if (pendingSpace) text += ' ';
        pendingSpace = false;
        text += c;
    }
    return text;
}

std::string greedyCtcDecode(const ModelOutput& output, const std::vector<std::string>& labels) {
    if (labels.empty()) throw InputError("the model has no CTC labels: no transcript can be decoded");
    if (output.shape.size() < 2 || output.shape.size() > 3 || (output.shape.size() == 3 && output.shape[0] != 1))
        throw InputError("CTC decoding expects an output of shape [1, frames, vocabulary]");
    const std::size_t vocabulary = std::size_t(output.shape.back());
    const std::size_t frames = std::size_t(output.shape[output.shape.size() - 2]);
    if (vocabulary != labels.size())
        throw InputError("the model's output has " + std::to_string(vocabulary) + " classes but model.json lists " +
                         std::to_string(labels.size()) + " labels");
    if (output.values.size() != frames * vocabulary)
        throw InputError("the model output holds " + std::to_string(output.values.size()) +
                         " values, not frames × vocabulary");
    return ctcText(greedyCtcPath(output.values.data(), frames, vocabulary), labels);
}

}  // namespace qs
