// scanCorpus(): the audio folder scanned as the model needs it, with --window-seconds and --raw-*
// applied and the window fitted to the memory budget; memoryBudget(): --max-memory; the tune/test
// split and speaker-group options.
#include "app/cli/corpus_args.h"

#include <cstdio>

#include "core/base/errors.h"
#include "core/base/number_text.h"
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

SplitSpec splitSpec(const Args& args) {
    if (args.has("test-fraction") && args.has("split"))
        throw InputError("give either --test-fraction or --split, not both");
    if (args.has("split")) return SplitSpec::list(args.required("split"));
    if (args.has("test-fraction")) {
        const double f = args.getDouble("test-fraction", 0.0);
        if (!(f > 0.0 && f < 1.0)) throw InputError("--test-fraction must be above 0 and below 1, not " + numberText(f));
        return SplitSpec::fraction(f);
    }
    return {};
}

std::vector<Profile> speakerGroups(const Args& args, const AudioCorpus& corpus) {
    if (!args.has("speaker-groups")) {
        if (args.has("group-by")) throw InputError("--group-by needs --speaker-groups FILE");
        return {};
    }
    const SpeakerTable table = readSpeakerTable(args.required("speaker-groups"));
    std::vector<std::string> present;
    for (const Speaker& s : corpus.speakers()) present.push_back(s.name);
    std::vector<Profile> groups = groupSpeakers(table, args.get("group-by", ""), present);
    checkProfileNames(groups, present);
    return groups;
}

std::string splitSummary(const ClipSplit& split) {
    const SplitRecord& r = split.record();
    std::string line = "split: " + r.description;
    if (!split.active()) return line + " (every clip serves analysis, calibration and evaluation)";
    line += ": " + std::to_string(split.fileCount(ClipPart::Tune)) + " tune, " +
            std::to_string(split.fileCount(ClipPart::Test)) + " test files";
    if (split.fileCount(ClipPart::Unused) > 0) line += ", " + std::to_string(split.fileCount(ClipPart::Unused)) + " not listed (unused)";
    if (r.missing > 0)
        line += "; " + std::to_string(r.missing) + " listed file(s) not in the folder, e.g. " + r.firstMissing;
    return line;
}

}  // namespace qs::cli
