// Recently opened models, audio folders and sessions, kept in QSettings, newest first.
#pragma once

#include <QObject>
#include <QStringList>

class QMenu;

namespace qs::gui {

class RecentFiles : public QObject {
    Q_OBJECT
public:
    enum class Kind { Model, Audio, Session };
    static constexpr int kMaxEntries = 8;

    using QObject::QObject;

    QStringList list(Kind kind) const;  // entries that still exist
    void add(Kind kind, const QString& path);
    // Refills menu with the kind's entries; choosing one emits chosen(kind, path).
    void fillMenu(QMenu* menu, Kind kind);

signals:
    void chosen(qs::gui::RecentFiles::Kind kind, const QString& path);
    void changed();
};

}  // namespace qs::gui
