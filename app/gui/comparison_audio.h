// The audio a comparison (the personalization matrix, the scoring rules) runs on, as the window hands
// it over: the loaded corpus when it was scanned as the model needs, else the folder rescanned so;
// only the chosen speakers (none chosen: all).
#pragma once

#include <QString>
#include <memory>
#include <string>
#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/model/speech_model.h"

namespace qs::gui {

AudioCorpus comparisonAudio(const SpeechModel& model, const QString& folder, const std::shared_ptr<const AudioCorpus>& loaded,
                            const std::vector<std::string>& speakers);

}  // namespace qs::gui
