// model.json parsing with checked fields (model_metadata.h).
#include "core/model/model_metadata.h"

#include <nlohmann/json.hpp>
#include <set>

#include "core/base/errors.h"
#include "core/base/json_fields.h"

namespace qs {

void applyModelMetadata(const std::string& modelPath, const std::string& text, ModelInfo& info) {
    if (text.empty()) return;
    const std::string where = modelPath + ": model.json";
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw ModelError(where + " is not valid JSON (" + std::string(e.what()) + ")");
    }
    try {
        const JsonField root(j, where);
        root.requireObject();
        ModelInfo out = info;
        if (root.has("sample_rate")) out.sampleRate = int(root["sample_rate"].integer(kMinSampleRate, kMaxSampleRate));
        if (root.has("normalize")) out.normalize = root["normalize"].boolean();
        if (root.has("labels")) {
            const JsonField labels = root["labels"];
            out.labels = labels.strings();
            std::set<std::string> seen;
            for (std::size_t i = 0; i < out.labels.size(); ++i) {
                if (out.labels[i].empty() && i > 0) labels[i].fail("is empty: only the blank (label 0) may be");
                if (!seen.insert(out.labels[i]).second) labels[i].fail("repeats the label '" + out.labels[i] + "'");
            }
        }
        info = std::move(out);
    } catch (const InputError& e) {
        throw ModelError(e.what());
    }
}

}  // namespace qs
