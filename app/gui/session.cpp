// Session files: saving and loading the studio's state as JSON, with relative paths resolved.
#include "app/gui/session.h"

#include <QDir>
#include <QFileInfo>

#include <limits>

#include "core/allocation/allocation.h"
#include "core/base/errors.h"
#include "core/base/json_fields.h"
#include "core/base/json_io.h"

namespace qs::gui {

namespace {

using nlohmann::json;

std::string str(const QString& s) { return s.toStdString(); }
QString qstr(const JsonField& f) { return QString::fromStdString(f.string()); }
QStringList qlist(const JsonField& f) {
    QStringList out;
    for (const std::string& s : f.strings()) out << QString::fromStdString(s);
    return out;
}
json jlist(const QStringList& l) {
    json a = json::array();
    for (const QString& s : l) a.push_back(str(s));
    return a;
}

json pathEntry(const QString& path, const QDir& base) {
    if (path.isEmpty()) return nullptr;
    return json{{"path", str(path)}, {"relative", str(base.relativeFilePath(path))}};
}

// A path entry: null (none), or {"path": absolute, "relative": to the session file}.
QString resolvePath(const JsonField& entry, const QDir& base) {
    if (entry.isNull()) return {};
    const QString abs = qstr(entry["path"]);
    if (abs.isEmpty() || QFileInfo::exists(abs)) return abs;
    const QString rel = entry.has("relative") ? qstr(entry["relative"]) : QString();
    if (!rel.isEmpty()) {
        const QString candidate = QDir::cleanPath(base.absoluteFilePath(rel));
        if (QFileInfo::exists(candidate)) return candidate;
    }
    return abs;  // missing: the window says so when it tries to open it
}

// A metric or order name that the budget panel knows.
QString choiceField(const JsonField& f, bool metric) {
    const std::string name = f.string();
    try {
        if (metric) (void)parseMetric(name);
        else (void)parseOrder(name);
    } catch (const InputError& e) {
        f.fail(std::string("is not valid: ") + e.what());
    }
    return QString::fromStdString(name);
}

// A layer the session names must be one of its analysis's (when it has one).
void checkLayerName(const JsonField& f, const Analysis* analysis) {
    if (analysis && !analysis->findLayer(f.string()))
        f.fail("names layer '" + f.string() + "', which the session's analysis does not have");
}

void readBudget(const JsonField& b, const Analysis* analysis, Session& s) {
    b.requireObject();
    if (b.has("target_mb")) s.targetMb = b["target_mb"].number(0, std::numeric_limits<double>::max());
    if (b.has("metric")) s.metric = choiceField(b["metric"], true);
    if (b.has("order")) s.order = choiceField(b["order"], false);
    if (b.has("min_bits")) s.minBits = int(b["min_bits"].integer(1, 31));
    if (b.has("spread")) s.spread = int(b["spread"].integer(1, 31));
    if (b.has("fit_files")) s.fitFiles = b["fit_files"].boolean();
    if (b.has("speaker")) {
        const JsonField f = b["speaker"];
        s.speaker = qstr(f);
        if (analysis && !analysis->hasSpeaker(f.string()))
            f.fail("names speaker '" + f.string() + "', who is not in the session's analysis");
    }
    if (b.has("excluded_layers")) {
        const JsonField layers = b["excluded_layers"];
        s.excludedLayers = qlist(layers);
        for (const JsonField& l : layers.elements()) checkLayerName(l, analysis);
    }
}

void readView(const JsonField& v, ViewState& w) {
    v.requireObject();
    auto index = [&](const char* key, int fallback, int last) {
        return v.has(key) ? int(v[key].integer(0, last)) : fallback;
    };
    auto flag = [&](const char* key) { return v.has(key) && v[key].boolean(); };
    auto text = [&](const char* key) { return v.has(key) ? qstr(v[key]) : QString(); };
    w.topTab = index("top_tab", 0, 1000);
    w.bottomTab = index("bottom_tab", 0, 1000);
    if (v.has("shown_speakers")) w.shownSpeakers = qlist(v["shown_speakers"]);
    w.sensitivityLog = flag("sensitivity_log");
    w.clipMode = index("clip_mode", 0, kClipModes - 1);
    w.gridActivationBits = flag("grid_activation_bits");
    w.outliersNormalized = flag("outliers_normalized");
    w.channelsSorted = flag("channels_sorted");
    w.compareA = text("compare_a");
    w.compareB = text("compare_b");
    w.layerFilter = text("layer_filter");
}

}  // namespace

void saveSession(const QString& path, const Session& s) {
    const QDir base = QFileInfo(path).absoluteDir();
    json j;
    j["quantscope_session"] = Session::kVersion;
    j["model"] = pathEntry(s.modelPath, base);
    json folders = json::array();
    for (const QString& f : s.audioFolders) folders.push_back(pathEntry(f, base));
    j["audio"] = {{"folders", folders},
                  {"active", pathEntry(s.activeFolder, base)},
                  {"checked_speakers", jlist(s.checkedSpeakers)}};
    j["analysis"] = s.analysis ? toJson(*s.analysis) : json(nullptr);
    j["budget"] = {{"target_mb", s.targetMb},     {"metric", str(s.metric)},
                   {"order", str(s.order)},        {"min_bits", s.minBits}, {"spread", s.spread},
                   {"speaker", str(s.speaker)},    {"excluded_layers", jlist(s.excludedLayers)},
                   {"fit_files", s.fitFiles}};
    j["selected_layer"] = str(s.selectedLayer);
    const ViewState& v = s.view;
    j["view"] = {{"top_tab", v.topTab},
                 {"bottom_tab", v.bottomTab},
                 {"shown_speakers", jlist(v.shownSpeakers)},
                 {"sensitivity_log", v.sensitivityLog},
                 {"clip_mode", v.clipMode},
                 {"grid_activation_bits", v.gridActivationBits},
                 {"outliers_normalized", v.outliersNormalized},
                 {"channels_sorted", v.channelsSorted},
                 {"compare_a", str(v.compareA)},
                 {"compare_b", str(v.compareB)},
                 {"layer_filter", str(v.layerFilter)}};
    writeJsonAtomic(str(path), j);
}

Session sessionFromJson(const nlohmann::json& j, const QString& path) {
    const JsonField root(j, str(path));
    if (!j.is_object() || !j.contains("quantscope_session"))
        throw InputError(str(path) + " is not a quantscope session file");
    const std::int64_t version = root["quantscope_session"].integer(1);
    if (version > Session::kVersion)
        root["quantscope_session"].fail("is " + std::to_string(version) + ": the session was saved by a newer quantscope");
    const QDir base = QFileInfo(path).absoluteDir();
    Session s;
    if (root.has("model")) s.modelPath = resolvePath(root["model"], base);
    if (root.has("audio")) {
        const JsonField a = root["audio"];
        a.requireObject();
        if (a.has("folders"))
            for (const JsonField& f : a["folders"].elements()) {
                const QString p = resolvePath(f, base);
                if (!p.isEmpty()) s.audioFolders << p;
            }
        if (a.has("active")) s.activeFolder = resolvePath(a["active"], base);
        if (a.has("checked_speakers")) s.checkedSpeakers = qlist(a["checked_speakers"]);
    }
    if (root.has("analysis") && !root["analysis"].isNull())
        s.analysis = std::make_shared<const Analysis>(analysisFromJson(root["analysis"]));
    if (root.has("budget")) readBudget(root["budget"], s.analysis.get(), s);
    if (root.has("selected_layer")) {
        const JsonField f = root["selected_layer"];
        s.selectedLayer = qstr(f);
        if (!s.selectedLayer.isEmpty()) checkLayerName(f, s.analysis.get());
    }
    if (root.has("view")) readView(root["view"], s.view);
    return s;
}

Session loadSession(const QString& path) { return sessionFromJson(readJson(str(path)), path); }

}  // namespace qs::gui
