// personalization.json, matrix.csv, gains.csv and clips.csv.
#include "core/personalization/personalization_io.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/base/number_text.h"

namespace qs {

using nlohmann::json;

namespace {

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double numberFrom(const json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }

json measuresJson(const ClipMeasures& m) {
    return {{"clips", m.clips},         {"transcript_clips", m.transcriptClips}, {"reference_clips", m.referenceClips},
            {"word_errors", m.wordErrors}, {"words", m.words},                   {"char_errors", m.charErrors},
            {"chars", m.chars},         {"float_word_errors", m.floatWordErrors}, {"float_words", m.floatWords},
            {"float_char_errors", m.floatCharErrors}, {"float_chars", m.floatChars}, {"signal", m.signal},
            {"noise", m.noise},         {"kl_sum", m.klSum},                    {"rows", m.rows}};
}

ClipMeasures measuresFrom(const json& j) {
    ClipMeasures m;
    m.clips = j.at("clips").get<int>();
    m.transcriptClips = j.at("transcript_clips").get<int>();
    m.referenceClips = j.at("reference_clips").get<int>();
    m.wordErrors = j.at("word_errors").get<double>(), m.words = j.at("words").get<double>();
    m.charErrors = j.at("char_errors").get<double>(), m.chars = j.at("chars").get<double>();
    m.floatWordErrors = j.at("float_word_errors").get<double>(), m.floatWords = j.at("float_words").get<double>();
    m.floatCharErrors = j.at("float_char_errors").get<double>(), m.floatChars = j.at("float_chars").get<double>();
    m.signal = j.at("signal").get<double>(), m.noise = j.at("noise").get<double>();
    m.klSum = j.at("kl_sum").get<double>(), m.rows = j.at("rows").get<double>();
    return m;
}

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string csvNumber(double v) { return std::isfinite(v) ? numberText(v, "%.10g") : std::string(); }

}  // namespace

std::string measureText(Measure m, double v) {
    if (!std::isfinite(v)) return "n/a";
    if (isRate(m)) return numberText(100.0 * v, "%.1f") + "%";
    if (m == Measure::SqnrDb) return numberText(v, "%.2f") + " dB";
    return numberText(v, "%.4g");
}

std::string gainText(const SchemeGain& g) {
    const double scale = isRate(g.measure) ? 100.0 : 1.0;
    const char* unit = isRate(g.measure) ? " points" : g.measure == Measure::SqnrDb ? " dB" : "";
    const std::string fmt = isRate(g.measure) || g.measure == Measure::SqnrDb ? "%+.2f" : "%+.3g";
    const std::string verdict = g.identical ? "identical schemes" : g.gain.verdict() == "better" ? "own scheme better"
                                : g.gain.verdict() == "worse"                                    ? "own scheme worse"
                                                                                                 : "no measurable difference";
    return verdict + ": " + numberText(scale * g.gain.difference, fmt.c_str()) + unit + " " + measureName(g.measure) +
           " [" + numberText(scale * g.gain.low, fmt.c_str()) + ", " + numberText(scale * g.gain.high, fmt.c_str()) + "]";
}

json toJson(const PersonalizationResult& r) {
    const CompareOptions& o = r.options;
    json j;
    j["format"] = "quantscope-personalization";
    j["version"] = 1;
    j["model"] = {{"path", r.modelPath}, {"float_size_mb", r.floatSizeMb}, {"layers", r.layerNames}};
    j["audio"] = {{"root", r.audioRoot}};
    j["split"] = toJson(r.split);
    j["settings"] = {{"targets_mb", o.targetsMb},
                     {"spreads", o.spreads},
                     {"metric", metricName(o.metric)},
                     {"order", orderName(o.order)},
                     {"min_bits", o.minBits},
                     {"uniform", o.uniform},
                     {"activation_bits", o.calibration.activationBits},
                     {"calibration_clips_per_speaker", o.calibration.calibrationClips},
                     {"weight_calibration", weightRangeName(o.calibration.weights.method)},
                     {"activation_calibration", activationRangeName(o.calibration.activations.method)},
                     {"bootstrap", {{"resamples", o.bootstrap.resamples}, {"confidence", o.bootstrap.confidence},
                                    {"seed", o.bootstrap.seed}}}};
    if (!isStatistic(o.metric)) j["settings"]["distance_clips"] = o.distanceClips, j["settings"]["distance_bits"] = o.distanceBits;
    j["transcripts"] = r.transcripts;
    j["references"] = r.references;
    j["primary_measure"] = measureName(r.primary);
    j["profiles"] = json::array();
    for (const ProfileClips& p : r.profiles)
        j["profiles"].push_back({{"name", p.name}, {"speakers", p.speakers}, {"tune_clips", p.tuneClips},
                                 {"test_clips", p.testClips}, {"tune_seconds", p.tuneSeconds}, {"test_seconds", p.testSeconds},
                                 {"float_wer", number(measureValue(Measure::Wer, p.floatQuality))},
                                 {"float_cer", number(measureValue(Measure::Cer, p.floatQuality))},
                                 {"float", measuresJson(p.floatQuality)}});
    j["calibration_sets"] = json::array();
    for (const CalibrationSet& s : r.calibrationSets) j["calibration_sets"].push_back({{"name", s.name}, {"clips", s.clips}});
    j["schemes"] = json::array();
    for (const Scheme& s : r.schemes) {
        json js = {{"kind", s.kind},       {"profile", s.profile}, {"label", s.label()}, {"target_mb", s.targetMb},
                   {"size_mb", s.sizeMb}, {"average_bits", s.averageBits}, {"calibration_set", s.calibrationSet},
                   {"variant", s.variant}, {"differing_from_all", s.differingFromAll}, {"bits", s.bits}};
        if (s.kind == "uniform") js["uniform_bits"] = s.uniformBits, js["over_budget_mb"] = s.sizeMb - s.targetMb;
        else js["spread"] = s.spread;
        j["schemes"].push_back(js);
    }
    j["test_clips"] = json::array();
    for (const TestClip& c : r.testClips)
        j["test_clips"].push_back({{"path", c.path}, {"id", c.id}, {"speaker", c.speaker}, {"seconds", c.seconds},
                                   {"reference", c.reference}, {"float_transcript", c.floatTranscript}});
    j["columns"] = r.columns();
    j["column_clips"] = r.columnClips;
    j["matrices"] = json::array();
    const std::vector<std::string> columns = r.columns();
    for (const PersonalizationMatrix& m : r.matrices) {
        json cells = json::object();
        for (Measure measure : allMeasures()) {
            json rows = json::array();
            for (int s : m.rows) {
                json row = json::array();
                for (std::size_t c = 0; c < columns.size(); ++c) row.push_back(number(measureValue(measure, r.cell(s, c))));
                rows.push_back(row);
            }
            cells[measureName(measure)] = rows;
        }
        json labels = json::array();
        for (int s : m.rows) labels.push_back(r.schemes[std::size_t(s)].label());
        json gains = json::array();
        for (const SchemeGain& g : m.gains)
            gains.push_back({{"profile", g.profile}, {"versus", g.versus}, {"versus_scheme", g.versusScheme},
                             {"versus_label", r.schemes[std::size_t(g.versusScheme)].label()},
                             {"measure", measureName(g.measure)}, {"own", number(g.own)}, {"other", number(g.other)},
                             {"gain", number(g.gain.difference)}, {"low", number(g.gain.low)}, {"high", number(g.gain.high)},
                             {"confidence", g.gain.confidence}, {"resamples", g.gain.resamples}, {"clips", g.gain.clips},
                             {"identical", g.identical},
                             {"verdict", g.identical ? "identical schemes" : g.gain.verdict()}});
        j["matrices"].push_back({{"target_mb", m.targetMb}, {"target_bits", m.targetBits}, {"spread", m.spread},
                                 {"rows", m.rows}, {"row_labels", labels}, {"columns", columns}, {"cells", cells},
                                 {"gains", gains}});
    }
    j["variants"] = json::array();
    for (const auto& v : r.variants) {
        json clips = json::array();
        for (const ClipMeasures& m : v) clips.push_back(measuresJson(m));
        j["variants"].push_back(clips);
    }
    j["skipped"] = json::array();
    for (const SkippedFile& s : r.skipped) j["skipped"].push_back({{"path", s.path}, {"reason", s.reason}});
    json phases = json::object();
    for (const auto& [name, seconds] : r.phaseSeconds) phases[name] = seconds;
    j["run"] = {{"threads", r.threads}, {"elapsed_seconds", r.elapsedSeconds}, {"phase_seconds", phases}};
    return j;
}

PersonalizationResult personalizationFromJson(const json& j) {
    PersonalizationResult r;
    try {
        if (j.value("format", "") != "quantscope-personalization")
            throw InputError("not a quantscope personalization file (no format 'quantscope-personalization')");
        r.modelPath = j.at("model").at("path").get<std::string>();
        r.floatSizeMb = j.at("model").value("float_size_mb", 0.0);
        r.layerNames = j.at("model").value("layers", std::vector<std::string>{});
        r.audioRoot = j.at("audio").value("root", "");
        r.split = splitRecordFromJson(j.at("split"));
        const json& s = j.at("settings");
        r.options.targetsMb = s.at("targets_mb").get<std::vector<double>>();
        r.options.spreads = s.at("spreads").get<std::vector<int>>();
        r.options.metric = parseMetric(s.at("metric").get<std::string>());
        r.options.order = parseOrder(s.at("order").get<std::string>());
        r.options.minBits = s.at("min_bits").get<int>();
        r.options.bootstrap.resamples = s.at("bootstrap").at("resamples").get<int>();
        r.options.bootstrap.confidence = s.at("bootstrap").at("confidence").get<double>();
        r.options.bootstrap.seed = s.at("bootstrap").at("seed").get<std::uint64_t>();
        r.transcripts = j.at("transcripts").get<bool>();
        r.references = j.at("references").get<bool>();
        r.primary = parseMeasure(j.at("primary_measure").get<std::string>());
        for (const json& p : j.at("profiles")) {
            ProfileClips pc;
            pc.name = p.at("name").get<std::string>();
            pc.speakers = p.at("speakers").get<std::vector<std::string>>();
            pc.tuneClips = p.at("tune_clips").get<int>(), pc.testClips = p.at("test_clips").get<int>();
            pc.tuneSeconds = p.value("tune_seconds", 0.0), pc.testSeconds = p.value("test_seconds", 0.0);
            pc.floatQuality = measuresFrom(p.at("float"));
            r.profiles.push_back(std::move(pc));
        }
        for (const json& c : j.at("calibration_sets"))
            r.calibrationSets.push_back({c.at("name").get<std::string>(), c.at("clips").get<std::vector<std::string>>()});
        for (const json& js : j.at("schemes")) {
            Scheme sc;
            sc.kind = js.at("kind").get<std::string>();
            sc.profile = js.at("profile").get<std::string>();
            sc.targetMb = js.at("target_mb").get<double>();
            sc.spread = js.value("spread", 1);
            sc.sizeMb = js.at("size_mb").get<double>(), sc.averageBits = js.at("average_bits").get<double>();
            sc.uniformBits = js.value("uniform_bits", 0);
            sc.calibrationSet = js.at("calibration_set").get<int>(), sc.variant = js.at("variant").get<int>();
            sc.differingFromAll = js.value("differing_from_all", 0);
            sc.bits = js.at("bits").get<std::vector<int>>();
            r.schemes.push_back(std::move(sc));
        }
        for (const json& c : j.at("test_clips"))
            r.testClips.push_back({c.at("path").get<std::string>(), c.value("id", ""), c.at("speaker").get<std::string>(),
                                   c.value("seconds", 0.0), c.value("reference", ""), c.value("float_transcript", "")});
        r.columnClips = j.at("column_clips").get<std::vector<std::vector<std::size_t>>>();
        for (const json& v : j.at("variants")) {
            std::vector<ClipMeasures> clips;
            for (const json& m : v) clips.push_back(measuresFrom(m));
            r.variants.push_back(std::move(clips));
        }
        for (const json& jm : j.at("matrices")) {
            PersonalizationMatrix m;
            m.targetMb = jm.at("target_mb").get<double>();
            m.targetBits = jm.at("target_bits").get<double>();
            m.spread = jm.at("spread").get<int>();
            m.rows = jm.at("rows").get<std::vector<int>>();
            for (const json& g : jm.at("gains")) {
                SchemeGain sg;
                sg.profile = g.at("profile").get<std::string>();
                sg.versus = g.at("versus").get<std::string>();
                sg.versusScheme = g.at("versus_scheme").get<int>();
                sg.measure = parseMeasure(g.at("measure").get<std::string>());
                sg.own = numberFrom(g.at("own")), sg.other = numberFrom(g.at("other"));
                sg.gain.difference = numberFrom(g.at("gain"));
                sg.gain.low = numberFrom(g.at("low")), sg.gain.high = numberFrom(g.at("high"));
                sg.gain.confidence = g.at("confidence").get<double>();
                sg.gain.resamples = g.at("resamples").get<int>(), sg.gain.clips = g.at("clips").get<int>();
                sg.identical = g.at("identical").get<bool>();
                m.gains.push_back(sg);
            }
            r.matrices.push_back(std::move(m));
        }
        if (j.contains("run")) {
            r.threads = j["run"].value("threads", 0);
            r.elapsedSeconds = j["run"].value("elapsed_seconds", 0.0);
        }
    } catch (const json::exception& e) {
        throw InputError(std::string("malformed personalization file: ") + e.what());
    }
    // Every index must point somewhere.
    for (const Scheme& sc : r.schemes)
        if (sc.variant < 0 || std::size_t(sc.variant) >= r.variants.size())
            throw InputError("malformed personalization file: a scheme names a missing variant");
    for (const auto& v : r.variants)
        if (v.size() != r.testClips.size()) throw InputError("malformed personalization file: variants do not cover the test clips");
    if (r.columnClips.size() != r.profiles.size() + 1) throw InputError("malformed personalization file: columns do not match the profiles");
    for (const auto& col : r.columnClips)
        for (std::size_t k : col)
            if (k >= r.testClips.size()) throw InputError("malformed personalization file: a column names a missing clip");
    for (const PersonalizationMatrix& m : r.matrices)
        for (int s : m.rows)
            if (s < 0 || std::size_t(s) >= r.schemes.size()) throw InputError("malformed personalization file: a matrix row names a missing scheme");
    return r;
}

std::string matrixCsv(const PersonalizationResult& r) {
    std::string out = "target_mb,target_bits,spread,scheme,kind,tune_profile,test_profile,clips,size_mb,average_bits";
    for (Measure m : allMeasures()) out += "," + measureName(m);
    out += "\n";
    const std::vector<std::string> columns = r.columns();
    for (const PersonalizationMatrix& m : r.matrices)
        for (int s : m.rows) {
            const Scheme& sc = r.schemes[std::size_t(s)];
            for (std::size_t c = 0; c < columns.size(); ++c) {
                const ClipMeasures t = r.cell(s, c);
                out += csvNumber(m.targetMb) + "," + csvNumber(m.targetBits) + "," + std::to_string(m.spread) + "," +
                       csvField(sc.label()) + "," + sc.kind + "," + csvField(sc.profile) + "," + csvField(columns[c]) + "," +
                       std::to_string(t.clips) + "," + csvNumber(sc.sizeMb) + "," + csvNumber(sc.averageBits);
                for (Measure measure : allMeasures()) out += "," + csvNumber(measureValue(measure, t));
                out += "\n";
            }
        }
    return out;
}

std::string gainsCsv(const PersonalizationResult& r) {
    std::string out = "target_mb,target_bits,spread,profile,versus,versus_scheme,measure,own,other,gain,low,high,"
                      "confidence,resamples,clips,identical,verdict\n";
    for (const PersonalizationMatrix& m : r.matrices)
        for (const SchemeGain& g : m.gains)
            out += csvNumber(m.targetMb) + "," + csvNumber(m.targetBits) + "," + std::to_string(m.spread) + "," +
                   csvField(g.profile) + "," + g.versus + "," + csvField(r.schemes[std::size_t(g.versusScheme)].label()) + "," +
                   measureName(g.measure) + "," + csvNumber(g.own) + "," + csvNumber(g.other) + "," +
                   csvNumber(g.gain.difference) + "," + csvNumber(g.gain.low) + "," + csvNumber(g.gain.high) + "," +
                   csvNumber(g.gain.confidence) + "," + std::to_string(g.gain.resamples) + "," +
                   std::to_string(g.gain.clips) + "," + (g.identical ? "true" : "false") + "," +
                   (g.identical ? "identical schemes" : g.gain.verdict()) + "\n";
    return out;
}

std::string clipsCsv(const PersonalizationResult& r) {
    std::map<std::string, std::set<std::string>> calibratedBy;  // clip -> calibration sets using it
    for (const CalibrationSet& s : r.calibrationSets)
        for (const std::string& c : s.clips) calibratedBy[c].insert(s.name);
    std::map<std::string, std::vector<std::string>> profilesOf;  // speaker -> profiles
    for (const ProfileClips& p : r.profiles)
        for (const std::string& s : p.speakers) profilesOf[s].push_back(p.name);
    std::string out = "path,speaker,profiles,part,purposes\n";
    for (const SplitFile& f : r.split.files) {
        auto pit = profilesOf.find(f.speaker);
        if (pit == profilesOf.end()) continue;  // not a member of any compared profile
        std::string profiles, purposes;
        for (const std::string& p : pit->second) profiles += (profiles.empty() ? "" : ";") + p;
        if (f.part == ClipPart::Tune) {
            purposes = "analysis";
            auto c = calibratedBy.find(f.path);
            if (c != calibratedBy.end()) {
                purposes += ";calibration:";
                std::string sets;
                for (const std::string& s : c->second) sets += (sets.empty() ? "" : "+") + s;
                purposes += sets;
            }
        } else if (f.part == ClipPart::Test) {
            purposes = "evaluation";
        } else {
            purposes = "none";
        }
        out += csvField(f.path) + "," + csvField(f.speaker) + "," + csvField(profiles) + "," + clipPartName(f.part) + "," +
               csvField(purposes) + "\n";
    }
    return out;
}

void savePersonalization(const std::string& dir, const PersonalizationResult& r) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw InputError("cannot create " + dir + ": " + ec.message());
    writeJsonAtomic(dir + "/personalization.json", toJson(r));
    writeFileAtomic(dir + "/matrix.csv", matrixCsv(r));
    writeFileAtomic(dir + "/gains.csv", gainsCsv(r));
    writeFileAtomic(dir + "/clips.csv", clipsCsv(r));
}

}  // namespace qs
