// Session files: saving and loading the studio's state as JSON, with relative paths resolved.
#include "app/gui/session.h"

#include <QDir>
#include <QFileInfo>

#include "core/base/errors.h"
#include "core/base/json_io.h"

namespace qs::gui {

namespace {

using nlohmann::json;

std::string str(const QString& s) { return s.toStdString(); }
QString qstr(const json& j, const char* key, const QString& fallback = {}) {
    return j.contains(key) && j[key].is_string() ? QString::fromStdString(j[key].get<std::string>()) : fallback;
}
QStringList qlist(const json& j, const char* key) {
    QStringList out;
    if (j.contains(key) && j[key].is_array())
        for (const auto& v : j[key])
            if (v.is_string()) out << QString::fromStdString(v.get<std::string>());
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

QString resolvePath(const json& entry, const QDir& base) {
    if (!entry.is_object()) return {};
    const QString abs = qstr(entry, "path");
    if (abs.isEmpty() || QFileInfo::exists(abs)) return abs;
    const QString rel = qstr(entry, "relative");
    if (!rel.isEmpty()) {
        const QString candidate = QDir::cleanPath(base.absoluteFilePath(rel));
        if (QFileInfo::exists(candidate)) return candidate;
    }
    return abs;  // missing: the window says so when it tries to open it
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
                   {"speaker", str(s.speaker)},    {"excluded_layers", jlist(s.excludedLayers)}};
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

Session loadSession(const QString& path) {
    const json j = readJson(str(path));
    if (!j.is_object() || !j.contains("quantscope_session"))
        throw InputError(str(QFileInfo(path).fileName()) + " is not a quantscope session file");
    const QDir base = QFileInfo(path).absoluteDir();
    Session s;
    try {
        if (j.contains("model")) s.modelPath = resolvePath(j["model"], base);
        if (j.contains("audio") && j["audio"].is_object()) {
            const json& a = j["audio"];
            if (a.contains("folders") && a["folders"].is_array())
                for (const auto& f : a["folders"]) {
                    const QString p = resolvePath(f, base);
                    if (!p.isEmpty()) s.audioFolders << p;
                }
            if (a.contains("active")) s.activeFolder = resolvePath(a["active"], base);
            s.checkedSpeakers = qlist(a, "checked_speakers");
        }
        if (j.contains("analysis") && j["analysis"].is_object())
            s.analysis = std::make_shared<const Analysis>(analysisFromJson(j["analysis"]));
        if (j.contains("budget") && j["budget"].is_object()) {
            const json& b = j["budget"];
            s.targetMb = b.value("target_mb", 0.0);
            s.metric = qstr(b, "metric", s.metric);
            s.order = qstr(b, "order", s.order);
            s.minBits = b.value("min_bits", s.minBits);
            s.spread = b.value("spread", s.spread);
            s.speaker = qstr(b, "speaker", s.speaker);
            s.excludedLayers = qlist(b, "excluded_layers");
        }
        s.selectedLayer = qstr(j, "selected_layer");
        if (j.contains("view") && j["view"].is_object()) {
            const json& v = j["view"];
            ViewState& w = s.view;
            w.topTab = v.value("top_tab", 0);
            w.bottomTab = v.value("bottom_tab", 0);
            w.shownSpeakers = qlist(v, "shown_speakers");
            w.sensitivityLog = v.value("sensitivity_log", false);
            w.clipMode = v.value("clip_mode", 0);
            w.gridActivationBits = v.value("grid_activation_bits", false);
            w.outliersNormalized = v.value("outliers_normalized", false);
            w.channelsSorted = v.value("channels_sorted", false);
            w.compareA = qstr(v, "compare_a");
            w.compareB = qstr(v, "compare_b");
            w.layerFilter = qstr(v, "layer_filter");
        }
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        throw InputError(str(QFileInfo(path).fileName()) + ": malformed session (" + e.what() + ")");
    }
    return s;
}

}  // namespace qs::gui
