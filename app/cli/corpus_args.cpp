// scanCorpus(): the audio folder scanned as the model needs it, with --window-seconds and --raw-*
// applied and the window fitted to the memory budget; memoryBudget(): --max-memory.
#include "app/cli/corpus_args.h"

#include <cstdio>

#include "core/base/errors.h"
#include "core/base/system_memory.h"

namespace qs::cli {

std::int64_t memoryBudget(const Args& args) {
    return resolveMemoryBudget(args.has("max-memory") ? parseMemorySize(args.get("max-memory", ""), "--max-memory") : 0);
}

AudioCorpus scanCorpus(const Args& args, const std::string& dir, const ModelInfo& model, int maxClips,
                       const WorkerMemory& worker, std::int64_t budget, const std::string& verb) {
    CorpusOptions options = corpusOptionsFor(model);
    const double wanted = args.getDouble("window-seconds", options.windowSeconds);
    options.rawRate = args.getInt("raw-rate", options.rawRate);
    options.rawChannels = args.getInt("raw-channels", options.rawChannels);
    if (wanted <= 0) throw InputError("--window-seconds must be positive");
    options.windowSeconds = fitWindow(worker, budget, wanted, model.path);

    AudioCorpus corpus = AudioCorpus::scan(dir, options);
    if (options.windowSeconds < wanted && corpus.cutFiles() > 0)
        std::fprintf(stderr, "%s: %zu recording%s cut into %.1f s windows, not %g s (--window-seconds), to fit the memory "
                             "budget of %s (--max-memory)\n",
                     verb.c_str(), corpus.cutFiles(), corpus.cutFiles() == 1 ? " is" : "s are", options.windowSeconds,
                     wanted, memoryText(double(budget)).c_str());
    if (args.has("speaker")) corpus.selectSpeakers(args.all("speaker"));
    corpus.limitClips(maxClips);
    return corpus;
}

}  // namespace qs::cli
