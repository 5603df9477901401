// analysis.json: writing an Analysis and reading one back with checks; attaching distance scores.
#include "core/stats/analysis.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <set>

#include "core/base/errors.h"
#include "core/base/json_fields.h"
#include "core/base/json_io.h"
#include "core/base/version.h"

namespace qs {

using nlohmann::json;

const LayerAnalysis* Analysis::findLayer(const std::string& name) const {
    for (const auto& l : layers)
        if (l.info.name == name) return &l;
    return nullptr;
}

bool Analysis::hasSpeaker(const std::string& name) const {
    if (name == kAllSpeakers || findProfile(name)) return true;
    for (const auto& s : speakers)
        if (s.name == name) return true;
    return false;
}

const ProfileSummary* Analysis::findProfile(const std::string& name) const {
    for (const auto& p : profiles)
        if (p.name == name) return &p;
    return nullptr;
}

std::vector<std::string> Analysis::membersOf(const std::string& name) const {
    std::vector<std::string> out;
    if (name == kAllSpeakers) {
        for (const auto& s : speakers) out.push_back(s.name);
    } else if (const ProfileSummary* p = findProfile(name)) {
        out = p->speakers;
    } else if (hasSpeaker(name)) {
        out.push_back(name);
    }
    return out;
}

json toJson(const Analysis& a) {
    json j;
    j["format"] = "quantscope-analysis";
    j["version"] = 1;
    j["written_by"] = writtenByJson();
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
    if (!a.profiles.empty()) {
        j["profiles"] = json::array();
        for (const auto& p : a.profiles)
            j["profiles"].push_back({{"name", p.name}, {"speakers", p.speakers}, {"clips", p.clips}, {"seconds", p.seconds}});
    }
    j["split"] = toJson(a.split);
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

namespace {

constexpr double kHuge = std::numeric_limits<double>::max();
const char* const kLayerKinds[] = {"linear", "conv1d", "conv2d"};

ModelInfo modelFromJson(const JsonField& m) {
    ModelInfo info;
    info.path = m["path"].string();
    info.totalParams = m["total_params"].integer(0);
    if (m.has("sample_rate")) info.sampleRate = int(m["sample_rate"].integer(kMinSampleRate, kMaxSampleRate));
    if (m.has("normalize")) info.normalize = m["normalize"].boolean();
    if (m.has("labels")) info.labels = m["labels"].strings();
    return info;
}

DistanceScores distancesFromJson(const JsonField& d) {
    DistanceScores s;
    s.kl = d["kl"].number(0, kHuge);
    s.l1 = d["l1"].number(0, kHuge);
    s.l2 = d["l2"].number(0, kHuge);
    s.cosine = d["cosine"].number(-1e-6, 2 + 1e-6);  // 1 - cos: rounding can make a zero slightly negative
    s.sqnrDb = d["sqnr_db"].number();
    if (d.has("clips")) s.clips = int(d["clips"].integer(0, std::numeric_limits<int>::max()));
    if (d.has("bits")) s.bits = int(d["bits"].integer(1, 32));
    return s;
}

// A key of a layer's stats or distances: "all" or one of the analysis's speakers.
void checkSpeakerKey(const Analysis& a, const std::string& key, const JsonField& where) {
    if (!a.hasSpeaker(key)) where.fail("names speaker '" + key + "', who is not in 'speakers'");
}

LayerAnalysis layerFromJson(const JsonField& l, const Analysis& a) {
    LayerAnalysis la;
    la.info.name = l["name"].nonEmptyString();
    la.info.kind = l["kind"].string();
    if (std::find(std::begin(kLayerKinds), std::end(kLayerKinds), la.info.kind) == std::end(kLayerKinds))
        l["kind"].fail("is '" + la.info.kind + "', expected linear, conv1d or conv2d");
    la.info.params = l["params"].integer(1);
    if (l.has("shape")) {
        la.info.shape = l["shape"].integers(1);
        const std::int64_t n = checkedShapeCount(la.info.shape);
        if (!la.info.shape.empty() && n != la.info.params)
            l["shape"].fail("holds " + (n < 0 ? std::string("more than 2^63") : std::to_string(n)) +
                            " weights, but params says " + std::to_string(la.info.params));
    }
    for (const auto& [speaker, summary] : l["stats"].members()) {
        checkSpeakerKey(a, speaker, summary);
        la.stats[speaker] = statsSummaryFromJson(summary);
    }
    if (l.has("distances"))
        for (const auto& [speaker, d] : l["distances"].members()) {
            checkSpeakerKey(a, speaker, d);
            la.distances[speaker] = distancesFromJson(d);
        }
    return la;
}

}  // namespace

Analysis analysisFromJson(const json& j) { return analysisFromJson(JsonField(j, "the analysis")); }

// Checks what later steps rely on: counts >= 0, known layer kinds, unique names, a shape that holds
// params weights, statistics only for listed speakers, and a model at least as large as its layers.
Analysis analysisFromJson(const JsonField& j) {
    j.requireObject();
    if (j.has("format") && j["format"].string() != "quantscope-analysis")
        j["format"].fail("is '" + j["format"].string() + "', expected quantscope-analysis");
    if (j.has("version") && j["version"].integer() != 1)
        j["version"].fail("is " + std::to_string(j["version"].integer()) + "; this quantscope reads version 1");
    Analysis a;
    a.model = modelFromJson(j["model"]);
    if (j.has("audio")) {
        const JsonField audio = j["audio"];
        audio.requireObject();
        if (audio.has("root")) a.audioRoot = audio["root"].string();
    }
    if (j.has("run")) {
        const JsonField run = j["run"];
        run.requireObject();
        if (run.has("elapsed_seconds")) a.elapsedSeconds = run["elapsed_seconds"].number(0, kHuge);
        if (run.has("threads")) a.threads = int(run["threads"].integer(0, 1 << 20));
        if (run.has("workers")) a.workers = int(run["workers"].integer(0, 1 << 20));
    }
    std::set<std::string> names;
    for (const JsonField& s : j["speakers"].elements()) {
        SpeakerSummary speaker;
        speaker.name = s["name"].nonEmptyString();
        if (speaker.name == kAllSpeakers) s["name"].fail("is 'all', the name kept for every speaker together");
        if (!names.insert(speaker.name).second) s["name"].fail("repeats speaker '" + speaker.name + "'");
        speaker.clips = int(s["clips"].integer(0, std::numeric_limits<int>::max()));
        if (s.has("files")) speaker.files = int(s["files"].integer(0, std::numeric_limits<int>::max()));
        speaker.seconds = s["seconds"].number(0, kHuge);
        a.speakers.push_back(std::move(speaker));
    }
    if (j.has("profiles"))
        for (const JsonField& p : j["profiles"].elements()) {
            ProfileSummary profile;
            profile.name = p["name"].nonEmptyString();
            if (a.hasSpeaker(profile.name)) p["name"].fail("repeats '" + profile.name + "', already a speaker or profile");
            profile.speakers = p["speakers"].strings();
            for (const std::string& member : profile.speakers)
                if (member == kAllSpeakers || !a.hasSpeaker(member))
                    p["speakers"].fail("names speaker '" + member + "', who is not in 'speakers'");
            if (p.has("clips")) profile.clips = int(p["clips"].integer(0, std::numeric_limits<int>::max()));
            if (p.has("seconds")) profile.seconds = p["seconds"].number(0, kHuge);
            a.profiles.push_back(std::move(profile));
        }
    if (j.has("split")) {
        try {
            a.split = splitRecordFromJson(j["split"].raw());
        } catch (const InputError& e) {
            j["split"].fail(std::string("is not valid: ") + e.what());
        }
    }
    const JsonField layers = j["layers"];
    if (layers.size() == 0) layers.fail("is empty: the analysis lists no layers");
    names.clear();
    std::int64_t layerParams = 0;
    for (const JsonField& l : layers.elements()) {
        LayerAnalysis la = layerFromJson(l, a);
        if (!names.insert(la.info.name).second) l["name"].fail("repeats layer '" + la.info.name + "'");
        if (la.info.params > a.model.totalParams - layerParams)
            j["model"]["total_params"].fail("is " + std::to_string(a.model.totalParams) +
                                            ", fewer than the weights of the layers listed");
        layerParams += la.info.params;
        a.model.layers.push_back(la.info);
        a.layers.push_back(std::move(la));
    }
    if (j.has("skipped"))
        for (const JsonField& s : j["skipped"].elements())
            a.skipped.push_back({s["path"].string(), s["reason"].string()});
    return a;
}

void saveAnalysis(const std::string& path, const Analysis& a) { writeJsonAtomic(path, toJson(a)); }

Analysis loadAnalysis(const std::string& path) {
    return analysisFromJson(JsonField(readJson(path), path));  // readJson's errors name the file too
}

void checkSameModel(const Analysis& analysis, const ModelInfo& model, const std::string& analysisName) {
    const std::string model_ = model.path.empty() ? std::string("the model") : model.path;
    if (analysis.layers.size() != model.layers.size())
        throw InputError(analysisName + " lists " + std::to_string(analysis.layers.size()) + " layers, " + model_ +
                         " has " + std::to_string(model.layers.size()) + ": was it made from another model?");
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const LayerInfo& a = analysis.layers[l].info;
        const LayerInfo& m = model.layers[l];
        if (a.name != m.name)
            throw InputError(analysisName + ": layer " + std::to_string(l) + " is " + a.name + ", but " + model_ +
                             "'s is " + m.name + ": was it made from another model?");
        if (a.params != m.params)
            throw InputError(analysisName + ": layer " + a.name + " has " + std::to_string(a.params) +
                             " weights, but " + model_ + "'s has " + std::to_string(m.params));
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
