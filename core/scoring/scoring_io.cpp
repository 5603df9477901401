// scoring.json and scoring.csv.
#include "core/scoring/scoring_io.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/base/number_text.h"
#include "core/evaluation/trn_files.h"
#include "core/personalization/personalization_io.h"

namespace qs {
namespace {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
std::string csvNumber(double v) { return std::isfinite(v) ? numberText(v, "%.10g") : std::string(); }
std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

json toJson(const ScoringResult& r) {
    json j;
    j["format"] = "quantscope-scoring";
    j["version"] = 1;
    json rules = json::array();
    for (const ScoringRule& rule : r.options.rules) rules.push_back({{"metric", metricName(rule.metric)}, {"order", orderName(rule.order)}});
    j["rules"] = rules;
    j["default_rule"] = defaultRule().name();
    j["random_draws"] = r.options.randomDraws;
    j["random_seed"] = r.options.randomSeed;
    j["bootstrap"] = {{"resamples", r.options.run.bootstrap.resamples}, {"confidence", r.options.run.bootstrap.confidence},
                      {"seed", r.options.run.bootstrap.seed}};
    j["elapsed_seconds"] = r.elapsedSeconds;
    json profiles = json::array();
    for (const ProfileScoring& p : r.profiles) {
        json jp;
        jp["profile"] = p.profile;
        jp["test_clips"] = p.run.testClips.size();
        if (!p.run.profiles.empty()) jp["float_wer"] = number(measureValue(Measure::Wer, p.run.profiles[0].floatQuality));
        json budgets = json::array();
        for (const ScoringBudget& b : p.budgets) {
            json jb;
            jb["target_mb"] = b.targetMb;
            jb["target_bits"] = b.targetBits;
            const Recommendation& rec = b.recommendation;
            jb["recommendation"] = {{"measure", measureName(rec.measure)}, {"row", rec.row}, {"best", rec.best},
                                    {"switched", rec.switched}, {"rule", b.rows.empty() ? "" : b.rows[std::size_t(rec.row)].rule.name()},
                                    {"text", rec.text}};
            json rows = json::array();
            for (const RuleRow& row : b.rows) {
                json jr;
                jr["label"] = row.label();
                jr["kind"] = row.kind;
                jr["metric"] = metricName(row.rule.metric);
                jr["order"] = orderName(row.rule.order);
                if (row.kind == "random") jr["draw"] = row.draw;
                jr["scheme"] = row.scheme;
                jr["size_mb"] = row.sizeMb;
                jr["average_bits"] = row.averageBits;
                jr["differing_layers"] = row.differingFromDefault;
                jr["bits"] = p.run.schemes[std::size_t(row.scheme)].bits;
                json measures = json::object();
                for (const RuleMeasure& m : row.measures)
                    measures[measureName(m.measure)] = {{"value", number(m.value)}, {"difference", number(m.versusDefault.difference)},
                                                        {"low", number(m.versusDefault.low)}, {"high", number(m.versusDefault.high)},
                                                        {"identical", m.identical}, {"verdict", m.identical ? "identical" : m.versusDefault.verdict()}};
                jr["measures"] = measures;
                rows.push_back(jr);
            }
            jb["rows"] = rows;
            budgets.push_back(jb);
        }
        jp["budgets"] = budgets;
        jp["run"] = toJson(p.run);
        profiles.push_back(jp);
    }
    j["profiles"] = profiles;
    return j;
}

ScoringResult scoringFromJson(const json& j) {
    ScoringResult r;
    auto numberOrNan = [](const json& v) { return v.is_number() ? v.get<double>() : std::nan(""); };
    try {
        if (j.value("format", "") != "quantscope-scoring")
            throw InputError("not a quantscope scoring file (no format 'quantscope-scoring')");
        r.options.rules.clear();
        for (const json& rule : j.at("rules"))
            r.options.rules.push_back({parseMetric(rule.at("metric").get<std::string>()), parseOrder(rule.at("order").get<std::string>())});
        r.options.randomDraws = j.at("random_draws").get<int>();
        r.options.randomSeed = j.at("random_seed").get<std::uint64_t>();
        BootstrapOptions& boot = r.options.run.bootstrap;
        boot.resamples = j.at("bootstrap").at("resamples").get<int>();
        boot.confidence = j.at("bootstrap").at("confidence").get<double>();
        boot.seed = j.at("bootstrap").at("seed").get<std::uint64_t>();
        r.elapsedSeconds = j.value("elapsed_seconds", 0.0);
        for (const json& jp : j.at("profiles")) {
            ProfileScoring p;
            p.profile = jp.at("profile").get<std::string>();
            p.run = personalizationFromJson(jp.at("run"));
            for (const json& jb : jp.at("budgets")) {
                ScoringBudget b;
                b.targetMb = jb.at("target_mb").get<double>();
                b.targetBits = jb.at("target_bits").get<double>();
                for (const json& jr : jb.at("rows")) {
                    RuleRow row;
                    row.kind = jr.at("kind").get<std::string>();
                    if (row.kind != "rule" && row.kind != "random") throw InputError("malformed scoring file: a row of kind '" + row.kind + "'");
                    row.rule = {parseMetric(jr.at("metric").get<std::string>()), parseOrder(jr.at("order").get<std::string>())};
                    row.draw = jr.value("draw", 0);
                    row.scheme = jr.at("scheme").get<int>();
                    if (row.scheme < 0 || std::size_t(row.scheme) >= p.run.schemes.size())
                        throw InputError("malformed scoring file: a row names a missing scheme");
                    row.sizeMb = jr.at("size_mb").get<double>();
                    row.averageBits = jr.at("average_bits").get<double>();
                    row.differingFromDefault = jr.at("differing_layers").get<int>();
                    for (const auto& [name, jm] : jr.at("measures").items()) {
                        RuleMeasure m;
                        m.measure = parseMeasure(name);
                        m.value = numberOrNan(jm.at("value"));
                        m.versusDefault.difference = numberOrNan(jm.at("difference"));
                        m.versusDefault.low = numberOrNan(jm.at("low"));
                        m.versusDefault.high = numberOrNan(jm.at("high"));
                        m.versusDefault.confidence = boot.confidence;
                        m.versusDefault.resamples = boot.resamples;
                        m.versusDefault.clips = int(p.run.testClips.size());
                        m.identical = jm.at("identical").get<bool>();
                        row.measures.push_back(m);
                    }
                    // In the order core measures them, whatever order the file keeps its keys in.
                    std::sort(row.measures.begin(), row.measures.end(),
                              [](const RuleMeasure& a, const RuleMeasure& c) { return int(a.measure) < int(c.measure); });
                    b.rows.push_back(std::move(row));
                }
                const json& rec = jb.at("recommendation");
                b.recommendation.measure = parseMeasure(rec.at("measure").get<std::string>());
                b.recommendation.row = rec.at("row").get<int>();
                b.recommendation.best = rec.at("best").get<int>();
                b.recommendation.switched = rec.at("switched").get<bool>();
                b.recommendation.text = rec.at("text").get<std::string>();
                if (b.rows.empty() || b.recommendation.row < 0 || std::size_t(b.recommendation.row) >= b.rows.size() ||
                    b.recommendation.best < 0 || std::size_t(b.recommendation.best) >= b.rows.size())
                    throw InputError("malformed scoring file: a recommendation names a missing row");
                p.budgets.push_back(std::move(b));
            }
            r.profiles.push_back(std::move(p));
        }
    } catch (const json::exception& e) {
        throw InputError(std::string("malformed scoring file: ") + e.what());
    }
    return r;
}

std::string scoringCsv(const ScoringResult& r) {
    std::string out = "profile,target_mb,target_bits,row,kind,metric,order,draw,size_mb,average_bits,differing_layers,"
                      "measure,value,difference,low,high,identical,verdict,recommended\n";
    for (const ProfileScoring& p : r.profiles)
        for (const ScoringBudget& b : p.budgets)
            for (std::size_t i = 0; i < b.rows.size(); ++i) {
                const RuleRow& row = b.rows[i];
                for (const RuleMeasure& m : row.measures) {
                    out += csvField(p.profile) + "," + csvNumber(b.targetMb) + "," + csvNumber(b.targetBits) + "," +
                           csvField(row.label()) + "," + row.kind + "," + metricName(row.rule.metric) + "," +
                           orderName(row.rule.order) + "," + std::to_string(row.draw) + "," + csvNumber(row.sizeMb) + "," +
                           csvNumber(row.averageBits) + "," + std::to_string(row.differingFromDefault) + "," +
                           measureName(m.measure) + "," + csvNumber(m.value) + "," + csvNumber(m.versusDefault.difference) +
                           "," + csvNumber(m.versusDefault.low) + "," + csvNumber(m.versusDefault.high) + "," +
                           (m.identical ? "1" : "0") + "," + csvField(m.identical ? "identical" : m.versusDefault.verdict()) +
                           "," + (int(i) == b.recommendation.row && m.measure == b.recommendation.measure ? "1" : "0") + "\n";
                }
            }
    return out;
}

void saveScoring(const std::string& dir, const ScoringResult& r) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw InputError("cannot create " + dir + ": " + ec.message());
    writeJsonAtomic(dir + "/scoring.json", toJson(r));
    writeFileAtomic(dir + "/scoring.csv", scoringCsv(r));
}

namespace {

// "every speaker" -> "every-speaker", "kl, ascending" -> "kl-ascending": safe in any file system.
std::string fileSlug(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '.' || c == '_') out += char(std::tolower(c));
        else if (!out.empty() && out.back() != '-') out += '-';
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? "profile" : out;
}

}  // namespace

std::string writeScoringTranscripts(const std::string& dir, const ScoringResult& r) {
    const std::filesystem::path root = std::filesystem::path(dir) / "transcripts";
    bool wrote = false;
    for (const ProfileScoring& p : r.profiles) {
        const PersonalizationResult& run = p.run;
        if (!run.transcripts || run.variantTranscripts.empty()) continue;
        std::vector<std::string> speakers, clipIds;
        std::vector<bool> hasReference;
        for (const TestClip& c : run.testClips) {
            speakers.push_back(c.speaker);
            clipIds.push_back(c.id);
            hasReference.push_back(!c.reference.empty());
        }
        const bool anyReference = std::find(hasReference.begin(), hasReference.end(), true) != hasReference.end();
        const std::vector<std::string> ids = trnIds(speakers, clipIds);
        const std::vector<std::size_t> kept = trnClips(hasReference);
        auto trn = [&](auto textOf) {
            std::string text;
            for (std::size_t k : kept) text += trnLine(textOf(k), ids[k]);
            return text;
        };
        const std::filesystem::path folder = root / fileSlug(p.profile);
        std::error_code ec;
        std::filesystem::create_directories(folder, ec);
        if (ec) throw InputError("cannot create " + folder.string() + ": " + ec.message());
        if (anyReference)
            writeFileAtomic((folder / "reference.trn").string(), trn([&](std::size_t k) { return run.testClips[k].reference; }));
        writeFileAtomic((folder / "float.trn").string(), trn([&](std::size_t k) { return run.testClips[k].floatTranscript; }));
        for (const ScoringBudget& b : p.budgets) {
            for (const RuleRow& row : b.rows) {
                const int v = run.schemes.at(std::size_t(row.scheme)).variant;
                const std::vector<std::string>& texts = run.variantTranscripts.at(std::size_t(v));
                const std::string rule = row.kind == "random" ? "random-" + std::to_string(row.draw) : fileSlug(row.rule.name());
                const std::string name = numberText(b.targetBits, "%.2f") + "bits-" + rule + ".trn";
                writeFileAtomic((folder / name).string(), trn([&](std::size_t k) { return texts.at(k); }));
            }
        }
        wrote = true;
    }
    return wrote ? root.string() : std::string();
}

}  // namespace qs
