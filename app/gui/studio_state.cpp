// The studio's open model, audio folders, analysis and selection, with change signals.
#include "app/gui/studio_state.h"

#include <algorithm>

#include "core/base/errors.h"

namespace qs::gui {

void StudioState::setModel(std::shared_ptr<const SpeechModel> model, const QString& path) {
    model_ = std::move(model);
    modelPath_ = path;
    emit modelChanged();
}

const AudioFolder* StudioState::audioFolder(const QString& path) const {
    for (const auto& f : folders_)
        if (f.path == path) return &f;
    return nullptr;
}

void StudioState::addAudioFolder(AudioFolder folder) {
    auto it = std::find_if(folders_.begin(), folders_.end(), [&](const AudioFolder& f) { return f.path == folder.path; });
    if (it != folders_.end()) {
        *it = std::move(folder);
    } else {
        folders_.push_back(std::move(folder));
    }
    emit audioChanged();
}

void StudioState::removeAudioFolder(const QString& path) {
    const auto before = folders_.size();
    folders_.erase(std::remove_if(folders_.begin(), folders_.end(), [&](const AudioFolder& f) { return f.path == path; }),
                   folders_.end());
    if (folders_.size() != before) emit audioChanged();
}

void StudioState::setAnalysis(std::shared_ptr<const Analysis> analysis, bool partial) {
    analysis_ = std::move(analysis);
    partial_ = partial && analysis_;
    if (selected_ >= int(layers().size())) selected_ = -1;
    emit analysisChanged();
}

const std::vector<LayerInfo>& StudioState::layers() const {
    static const std::vector<LayerInfo> none;
    if (analysis_) return analysis_->model.layers;
    if (model_) return model_->info().layers;
    return none;
}

std::vector<std::string> StudioState::layerNames() const {
    std::vector<std::string> names;
    for (const auto& l : layers()) names.push_back(l.name);
    return names;
}

int StudioState::layerIndex(const std::string& name) const {
    const auto& ls = layers();
    for (std::size_t i = 0; i < ls.size(); ++i)
        if (ls[i].name == name) return int(i);
    return -1;
}

void StudioState::setSelectedLayer(int layer) {
    layer = std::clamp(layer, -1, int(layers().size()) - 1);
    if (layer == selected_) return;
    selected_ = layer;
    emit selectedLayerChanged(layer);
}

void StudioState::setSplit(const SplitSpec& split) {
    split_ = split;
    emit splitChanged();
}

void StudioState::setSpeakerGroups(std::shared_ptr<const SpeakerTable> table, const QString& groupBy) {
    speakerTable_ = std::move(table);
    groupBy_ = groupBy;
    emit speakerGroupsChanged();
}

std::vector<Profile> StudioState::groupsOf(const AudioCorpus& corpus) const {
    if (!speakerTable_) return {};
    std::vector<std::string> present;
    for (const Speaker& s : corpus.speakers()) present.push_back(s.name);
    try {
        std::vector<Profile> groups = groupSpeakers(*speakerTable_, groupBy_.toStdString(), present);
        checkProfileNames(groups, present);
        return groups;
    } catch (const Error&) {
        return {};
    }
}

}  // namespace qs::gui
