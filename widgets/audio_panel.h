// The audio panel: audio folders with their speakers (clip counts, files and durations, check boxes
// choosing which speakers an analysis covers, and each speaker's analysis status: queued, clips done
// while it runs, analysed) and the files that were skipped, with reasons.
// An analysis covers one folder: checking a speaker of another folder unchecks the first folder's.
#pragma once

#include <QStringList>
#include <QWidget>

#include "core/audio/audio_corpus.h"

class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace qs::gui {

class AudioPanel : public QWidget {
    Q_OBJECT
public:
    explicit AudioPanel(QWidget* parent = nullptr);

    // Adds (or replaces) the folder at path; it becomes the active folder with every speaker checked.
    void addFolder(const QString& path, const AudioCorpus& corpus);
    void removeFolder(const QString& path);
    void clear();
    QStringList folders() const;

    // The folder whose speakers are checked (empty when none is) and the checked speakers in it.
    QString activeFolder() const;
    QStringList checkedSpeakers() const;
    void setCheckedSpeakers(const QString& folder, const QStringList& speakers);

    // The Analysis column of one speaker row (folder matched by path, symlinks resolved).
    enum class SpeakerState { None, Queued, Running, Analysed };
    void setSpeakerStatus(const QString& folder, const QString& speaker, SpeakerState state, int clipsDone = 0,
                          int clipsTotal = 0);
    void clearSpeakerStatus();
    QString speakerStatusText(const QString& folder, const QString& speaker) const;  // for tests

signals:
    void addRequested();
    void removeRequested(const QString& folder);
    void selectionChanged();

private:
    void onItemChanged(QTreeWidgetItem* item, int column);
    QTreeWidgetItem* folderItem(const QString& path) const;
    QTreeWidgetItem* speakerItem(const QString& folder, const QString& speaker) const;
    void updateSummary();

    QTreeWidget* tree_ = nullptr;
    QTreeWidget* skipped_ = nullptr;
    QLabel* skippedTitle_ = nullptr;
    QLabel* summary_ = nullptr;
    bool updating_ = false;
};

}  // namespace qs::gui
