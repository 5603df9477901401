// scanCorpus(): the audio folder scanned as the model needs it, with --window-seconds and --raw-*
// applied.
#include "app/cli/corpus_args.h"

#include "core/base/errors.h"
#include "core/base/number_text.h"

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
