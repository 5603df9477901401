// Tune and test clips, kept apart. Every audio file of a corpus is either a tune file (analysis,
// allocation and calibration see it) or a test file (only evaluation sees it); all windows of one
// recording share its part, so no recording is ever on both sides.
//
// Two ways to split, both deterministic:
//   fraction  per speaker, round(F × n) of its n files are test files (at least one of each part
//             when 0 < F < 1 and n >= 2): the files with the smallest FNV-1a 64-bit hash of their
//             path relative to the speaker's folder (ties by path). The hash depends on the file's
//             own name only, so renaming or adding other files never reshuffles the split wholesale:
//             adding a file moves at most one other file across (the one at the boundary), and the
//             split does not depend on the order files are found in, on the machine or on the run.
//   list      a CSV file with the header `path,part`: path relative to the audio root ('/'
//             separators), part `tune` or `test`. Files the list does not name are unused; names
//             the corpus does not hold are counted (missing), not an error, so one list can serve
//             a subset of speakers.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/audio/audio_corpus.h"

namespace qs {

enum class ClipPart { Tune, Test, Unused };

std::string clipPartName(ClipPart part);  // "tune", "test", "unused"

struct SplitSpec {
    enum class Kind { None, Fraction, List };
    Kind kind = Kind::None;
    double testFraction = 0.0;  // Fraction: 0..1
    std::string listPath;       // List: the CSV file

    static SplitSpec fraction(double testFraction);  // throws InputError outside [0, 1]
    static SplitSpec list(const std::string& path);
    bool active() const { return kind != Kind::None; }
    // "no split", "50% test per speaker (hash of file names)", "list users/split.csv"
    std::string describe() const;
};

// The file's key in splits and reports: its path relative to the corpus root, '/'-separated.
std::string clipKey(const std::string& root, const Clip& clip);

// FNV-1a, 64 bits, over the bytes of text (exposed for tests).
std::uint64_t fnv1a64(const std::string& text);

// A split list's content: file key -> part. Throws InputError naming the file, the line and what is
// wrong (missing header, wrong number of fields, a part that is not tune or test, a file listed twice).
std::map<std::string, ClipPart> parseSplitList(const std::string& text, const std::string& fileName);

struct SplitFile {
    std::string path;     // clipKey
    std::string speaker;
    ClipPart part = ClipPart::Unused;
};

// What reports record about a split: how it was made and every file's part.
struct SplitRecord {
    std::string method = "none";             // none, fraction, list
    std::string description = "no split";    // SplitSpec::describe()
    double testFraction = 0;
    std::string list;                        // the list file
    std::vector<SplitFile> files;            // corpus order
    int missing = 0;                         // list entries the corpus did not hold
    std::string firstMissing;
    bool active() const { return method != "none"; }
};

// `method`, `description`, `test_fraction` (fraction), `list` (list), `missing`, counts of files per
// part (`tune_files`, `test_files`, `unused_files`) and `files` [{path, speaker, part}].
nlohmann::json toJson(const SplitRecord& record);
// Throws InputError on a malformed record.
SplitRecord splitRecordFromJson(const nlohmann::json& j);

// A corpus's split: every audio file of every speaker with its part.
class ClipSplit {
public:
    ClipSplit() = default;
    // Splits corpus as spec says (None: every clip serves every purpose; reports say "no split").
    // Reads the list file for List. Throws InputError.
    static ClipSplit make(const AudioCorpus& corpus, const SplitSpec& spec);
    // The parts a report recorded, for the same folder scanned again (files it does not name are
    // unused; with no split recorded, no split).
    static ClipSplit fromRecord(const AudioCorpus& corpus, const SplitRecord& record);

    const SplitRecord& record() const { return record_; }
    bool active() const { return record_.active(); }

    ClipPart partOf(const Clip& clip) const;  // Unused for a file the split does not know
    // Does this clip serve that purpose? With no split every clip serves both.
    bool isTune(const Clip& clip) const;
    bool isTest(const Clip& clip) const;

    // A copy of corpus with only its tune (or test) clips; speakers left without clips are dropped.
    // With no split, the corpus unchanged. Throws InputError when no clip is left.
    AudioCorpus tuneCorpus(const AudioCorpus& corpus) const;
    AudioCorpus testCorpus(const AudioCorpus& corpus) const;

    // Files (not windows) per part, for one speaker or (empty name) all.
    int fileCount(ClipPart part, const std::string& speaker = {}) const;

private:
    void index();
    std::string root_;
    SplitRecord record_;
    std::map<std::string, std::size_t> index_;  // key -> record_.files
};

}  // namespace qs
