// A session file: everything needed to reopen the studio as it was. JSON, written atomically:
// the model and audio folders (absolute paths, and relative to the session file so a moved
// project still opens), the analysis itself (embedded, in analysis.json's format), the budget and
// its settings, the selected layer and the state of every view.
#pragma once

#include <QString>
#include <QStringList>
#include <memory>

#include "core/stats/analysis.h"

namespace qs::gui {

// The histogram's clip modes (widgets/histogram_view.h, ClipMode) a session may name.
inline constexpr int kClipModes = 4;

struct ViewState {
    int topTab = 0;
    int bottomTab = 0;
    QStringList shownSpeakers;  // sensitivity bars; empty: the default choice
    bool sensitivityLog = false;
    int clipMode = 0;           // ClipMode
    bool gridActivationBits = false;
    bool outliersNormalized = false;
    bool channelsSorted = false;
    QString compareA, compareB;
    QString layerFilter;
};

struct Session {
    static constexpr int kVersion = 1;

    QString modelPath;
    QStringList audioFolders;
    QString activeFolder;
    QStringList checkedSpeakers;
    std::shared_ptr<const Analysis> analysis;  // null: no analysis yet

    double targetMb = 0.0;  // 0: the default budget
    QString metric = QStringLiteral("median");
    QString order = QStringLiteral("descending");
    int minBits = 2;
    bool fitFiles = false;  // the budget counts the export files (allocate --fit-files)
    int spread = 1;
    QString speaker = QStringLiteral("all");
    QStringList excludedLayers;
    QString selectedLayer;
    ViewState view;
};

// Throws qs::InputError with a readable message when the file cannot be written.
void saveSession(const QString& path, const Session& session);
// Throws qs::InputError naming the file when it is missing, not JSON, or not a quantscope session,
// and the file and field when a field is mistyped or impossible: a negative budget, an unknown
// metric, a layer or speaker its analysis does not have, a damaged embedded analysis.
// Paths that no longer exist are resolved relative to the session file when that finds them.
Session loadSession(const QString& path);
// The same from a parsed document; path names it in messages and anchors relative paths.
Session sessionFromJson(const nlohmann::json& j, const QString& path);

}  // namespace qs::gui
