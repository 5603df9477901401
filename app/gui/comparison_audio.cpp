// The comparisons' audio: the loaded corpus reused when it fits the model, the speakers selected.
#include "app/gui/comparison_audio.h"

namespace qs::gui {

AudioCorpus comparisonAudio(const SpeechModel& model, const QString& folder, const std::shared_ptr<const AudioCorpus>& loaded,
                            const std::vector<std::string>& speakers) {
    const CorpusOptions wanted = corpusOptionsFor(model.info());
    AudioCorpus corpus = loaded && loaded->options().targetRate == wanted.targetRate &&
                                 loaded->options().normalize == wanted.normalize
                             ? *loaded
                             : AudioCorpus::scan(folder.toStdString(), wanted);
    if (!speakers.empty()) corpus.selectSpeakers(speakers);
    return corpus;
}

}  // namespace qs::gui
