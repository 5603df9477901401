// What the studio has open: the model, the audio folders, the analysis and the selected layer, the
// tune/test split and the speaker groups.
// Plain holders with change signals; the controllers fill them, the window shows them.
#pragma once

#include <QObject>
#include <QString>
#include <memory>
#include <string>
#include <vector>

#include "core/stats/analysis.h"
#include "core/audio/audio_corpus.h"
#include "core/audio/clip_split.h"
#include "core/audio/speaker_profiles.h"
#include "core/model/speech_model.h"

namespace qs::gui {

struct AudioFolder {
    QString path;
    std::shared_ptr<const AudioCorpus> corpus;
};

class StudioState : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    const std::shared_ptr<const SpeechModel>& model() const { return model_; }
    QString modelPath() const { return modelPath_; }
    void setModel(std::shared_ptr<const SpeechModel> model, const QString& path);

    const std::vector<AudioFolder>& audioFolders() const { return folders_; }
    const AudioFolder* audioFolder(const QString& path) const;
    void addAudioFolder(AudioFolder folder);  // replaces a folder with the same path
    void removeAudioFolder(const QString& path);

    const std::shared_ptr<const Analysis>& analysis() const { return analysis_; }
    // partial: the results so far of an analysis still running (complete for the speakers listed).
    void setAnalysis(std::shared_ptr<const Analysis> analysis, bool partial = false);
    bool analysisIsPartial() const { return partial_; }

    // The layers on show: the analysis's when there is one, else the model's.
    const std::vector<LayerInfo>& layers() const;
    std::vector<std::string> layerNames() const;
    int layerIndex(const std::string& name) const;  // -1 when absent

    int selectedLayer() const { return selected_; }
    void setSelectedLayer(int layer);  // clamped to -1..layers-1

    // The tune/test split analyses, exports and comparisons use (no split: every clip serves all).
    const SplitSpec& split() const { return split_; }
    void setSplit(const SplitSpec& split);
    // The split of one scanned folder; throws InputError (e.g. a malformed list).
    ClipSplit splitOf(const AudioCorpus& corpus) const { return ClipSplit::make(corpus, split_); }

    // Speaker groups: a metadata table and the attribute that groups it (empty: the table's own).
    const std::shared_ptr<const SpeakerTable>& speakerTable() const { return speakerTable_; }
    QString groupBy() const { return groupBy_; }
    void setSpeakerGroups(std::shared_ptr<const SpeakerTable> table, const QString& groupBy = QString());
    // The groups over corpus's speakers; empty without a table or when none of its speakers is in it.
    std::vector<Profile> groupsOf(const AudioCorpus& corpus) const;

signals:
    void modelChanged();
    void audioChanged();
    void analysisChanged();
    void selectedLayerChanged(int layer);
    void splitChanged();
    void speakerGroupsChanged();

private:
    SplitSpec split_;
    std::shared_ptr<const SpeakerTable> speakerTable_;
    QString groupBy_;
    std::shared_ptr<const SpeechModel> model_;
    QString modelPath_;
    std::vector<AudioFolder> folders_;
    std::shared_ptr<const Analysis> analysis_;
    bool partial_ = false;
    int selected_ = -1;
};

}  // namespace qs::gui
