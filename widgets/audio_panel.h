// The audio panel: audio folders with their speakers (clip counts, files and durations, check boxes
// choosing which speakers an analysis covers, each speaker's analysis status: queued, clips done
// while it runs, analysed, and its tune/test files under the split) and the files that were skipped,
// with reasons; the tune/test split and the speaker groups to use.
// An analysis covers one folder: checking a speaker of another folder unchecks the first folder's.
#pragma once

#include <QMap>
#include <QPair>
#include <QStringList>
#include <QWidget>

#include "core/audio/audio_corpus.h"

class QComboBox;
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

    // The tune/test split: the choice on show (0: none; a list file overrides the fraction), each
    // speaker's tune and test files in the Split column (an empty map clears a folder's), and a line
    // saying what the split means.
    void setSplitChoice(double testFraction, const QString& listPath);
    void setSplitCounts(const QString& folder, const QMap<QString, QPair<int, int>>& tuneTest);
    void setSplitSummary(const QString& text);
    QString splitText(const QString& folder, const QString& speaker) const;  // the Split column (tests)

    // Speaker groups: the attributes the loaded table offers, the one in use, and what it gives.
    void setGroups(const QStringList& attributes, const QString& current, const QString& summary);

signals:
    void addRequested();
    void removeRequested(const QString& folder);
    void selectionChanged();
    void splitChosen(double testFraction);  // 0: no split
    void splitListRequested();             // "from a list…"
    void groupsRequested();                // load a speaker metadata file
    void groupByChosen(const QString& attribute);

private:
    void onItemChanged(QTreeWidgetItem* item, int column);
    QTreeWidgetItem* folderItem(const QString& path) const;
    QTreeWidgetItem* speakerItem(const QString& folder, const QString& speaker) const;
    void updateSummary();

    QTreeWidget* tree_ = nullptr;
    QTreeWidget* skipped_ = nullptr;
    QLabel* skippedTitle_ = nullptr;
    QLabel* summary_ = nullptr;
    QComboBox* split_ = nullptr;
    QComboBox* groupBy_ = nullptr;
    QLabel* splitSummary_ = nullptr;
    QLabel* groupsSummary_ = nullptr;
    bool updating_ = false;
};

}  // namespace qs::gui
