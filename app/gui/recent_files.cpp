// The recent models, audio folders and sessions lists, stored in QSettings.
#include "app/gui/recent_files.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace qs::gui {

namespace {
QString key(RecentFiles::Kind kind) {
    switch (kind) {
    case RecentFiles::Kind::Model: return QStringLiteral("recent/models");
    case RecentFiles::Kind::Audio: return QStringLiteral("recent/audio");
    case RecentFiles::Kind::Session: return QStringLiteral("recent/sessions");
    }
    return {};
}
}  // namespace

QStringList RecentFiles::list(Kind kind) const {
    QStringList out;
    for (const QString& p : QSettings().value(key(kind)).toStringList())
        if (QFileInfo::exists(p)) out << p;
    return out;
}

void RecentFiles::add(Kind kind, const QString& path) {
    QSettings settings;
    QStringList l = settings.value(key(kind)).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    l.removeAll(abs);
    l.prepend(abs);
    while (l.size() > kMaxEntries) l.removeLast();
    settings.setValue(key(kind), l);
    emit changed();
}

void RecentFiles::fillMenu(QMenu* menu, Kind kind) {
    menu->clear();
    const QStringList entries = list(kind);
    for (int i = 0; i < entries.size(); ++i) {
        const QString& p = entries[i];
        QAction* a = menu->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(p).fileName()));
        a->setToolTip(QDir::toNativeSeparators(p));
        a->setStatusTip(QDir::toNativeSeparators(p));
        connect(a, &QAction::triggered, this, [this, kind, p] { emit chosen(kind, p); });
    }
    menu->setEnabled(!entries.isEmpty());
}

}  // namespace qs::gui
