// analysis.json: writing an Analysis and reading one back with checks; attaching distance scores.
#include "core/stats/analysis.h"

#include "core/base/errors.h"
#include "core/base/json_io.h"

namespace qs {

using nlohmann::json;

const LayerAnalysis* Analysis::findLayer(const std::string& name) const {
    for (const auto& l : layers)
        if (l.info.name == name) return &l;
    return nullptr;
}

bool Analysis::hasSpeaker(const std::string& name) const {
    if (name == kAllSpeakers) return true;
    for (const auto& s : speakers)
        if (s.name == name) return true;
    return false;
}

json toJson(const Analysis& a) {
    json j;
    j["format"] = "quantscope-analysis";
    j["version"] = 1;
    j["model"] = {{"path", a.model.path},
                  {"total_params", a.model.totalParams},
                  {"size_mb", a.model.sizeMb()},
                  {"sample_rate", a.model.sampleRate},
                  {"normalize", a.model.normalize},
                  {"labels", a.model.labels}};
    j["audio"] = {{"root", a.audioRoot}};
    j["run"] = {{"elapsed_seconds", a.elapsedSeconds}, {"threads", a.threads}, {"workers", a.workers}};
    j["speakers"] = json::array();
    for (const auto& s : a.speakers)
        j["speakers"].push_back({{"name", s.name}, {"clips", s.clips}, {"files", s.files}, {"seconds", s.seconds}});
    j["layers"] = json::array();
    for (const auto& l : a.layers) {
        json stats = json::object();
        for (const auto& [speaker, summary] : l.stats) stats[speaker] = toJson(summary);
        json layer = {{"name", l.info.name},
                      {"kind", l.info.kind},
                      {"params", l.info.params},
                      {"shape", l.info.shape},
                      {"stats", stats}};
        if (!l.distances.empty()) {
            json distances = json::object();
            for (const auto& [speaker, d] : l.distances)
                distances[speaker] = {{"kl", d.kl},     {"l1", d.l1},       {"l2", d.l2},   {"cosine", d.cosine},
                                      {"sqnr_db", d.sqnrDb}, {"clips", d.clips}, {"bits", d.bits}};
            layer["distances"] = distances;
        }
        j["layers"].push_back(layer);
    }
    j["skipped"] = json::array();
    for (const auto& s : a.skipped) j["skipped"].push_back({{"path", s.path}, {"reason", s.reason}});
    return j;
}

Analysis analysisFromJson(const json& j) {
    Analysis a;
    try {
        const json& m = j.at("model");
        a.model.path = m.at("path").get<std::string>();
        a.model.totalParams = m.at("total_params").get<std::int64_t>();
        a.model.sampleRate = m.value("sample_rate", 16000);
        a.model.normalize = m.value("normalize", true);
        a.model.labels = m.value("labels", std::vector<std::string>{});
        if (j.contains("audio")) a.audioRoot = j["audio"].value("root", "");
        if (j.contains("run")) {
            a.elapsedSeconds = j["run"].value("elapsed_seconds", 0.0);
            a.threads = j["run"].value("threads", 0);
            a.workers = j["run"].value("workers", 0);
        }
        for (const json& s : j.at("speakers"))
            a.speakers.push_back({s.at("name").get<std::string>(), s.at("clips").get<int>(), s.value("files", 0),
                                  s.at("seconds").get<double>()});
        for (const json& l : j.at("layers")) {
            LayerAnalysis la;
            la.info.name = l.at("name").get<std::string>();
            la.info.kind = l.at("kind").get<std::string>();
            la.info.params = l.at("params").get<std::int64_t>();
            la.info.shape = l.value("shape", std::vector<std::int64_t>{});
            for (const auto& [speaker, summary] : l.at("stats").items())
                la.stats[speaker] = statsSummaryFromJson(summary);
            if (l.contains("distances"))
                for (const auto& [speaker, d] : l["distances"].items())
                    la.distances[speaker] = {d.at("kl").get<double>(),     d.at("l1").get<double>(),
                                             d.at("l2").get<double>(),     d.at("cosine").get<double>(),
                                             d.at("sqnr_db").get<double>(), d.value("clips", 0), d.value("bits", 8)};
            a.model.layers.push_back(la.info);
            a.layers.push_back(std::move(la));
        }
        if (j.contains("skipped"))
            for (const json& s : j["skipped"])
                a.skipped.push_back({s.at("path").get<std::string>(), s.at("reason").get<std::string>()});
    } catch (const json::exception& e) {
        throw InputError("not a quantscope analysis: " + std::string(e.what()));
    }
    if (a.layers.empty()) throw InputError("the analysis lists no layers");
    return a;
}

void saveAnalysis(const std::string& path, const Analysis& a) { writeJsonAtomic(path, toJson(a)); }

Analysis loadAnalysis(const std::string& path) {
    const nlohmann::json j = readJson(path);  // its errors name the file already
    try {
        return analysisFromJson(j);
    } catch (const InputError& e) {
        const std::string what = e.what();
        if (what.rfind(path, 0) == 0) throw;
        throw InputError(path + ": " + what);
    }
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
