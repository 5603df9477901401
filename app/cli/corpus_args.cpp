// scanCorpus(): the audio folder scanned as the model needs it, with --window-seconds and --raw-*
// applied.
#include "app/cli/corpus_args.h"

#include "core/base/errors.h"

namespace qs::cli {

AudioCorpus scanCorpus(const Args& args, const std::string& dir, const ModelInfo& model, int maxClips) {
    CorpusOptions options = corpusOptionsFor(model);
    options.windowSeconds = args.getDouble("window-seconds", options.windowSeconds);
    options.rawRate = args.getInt("raw-rate", options.rawRate);
    options.rawChannels = args.getInt("raw-channels", options.rawChannels);
    if (options.windowSeconds <= 0) throw InputError("--window-seconds must be positive");

    AudioCorpus corpus = AudioCorpus::scan(dir, options);
    if (args.has("speaker")) corpus.selectSpeakers(args.all("speaker"));
    corpus.limitClips(maxClips);
    return corpus;
}

}  // namespace qs::cli
