// Tune/test splits of a corpus: by a hash of file names, or from a list; records for reports.
#include "core/audio/clip_split.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/audio/text_table.h"
#include "core/base/errors.h"
#include "core/base/number_text.h"

namespace fs = std::filesystem;

namespace qs {

std::string clipPartName(ClipPart part) {
    switch (part) {
        case ClipPart::Tune: return "tune";
        case ClipPart::Test: return "test";
        case ClipPart::Unused: break;
    }
    return "unused";
}

namespace {

ClipPart parsePart(const std::string& name, bool* ok) {
    const std::string p = lowerCase(trimmed(name));
    *ok = true;
    if (p == "tune") return ClipPart::Tune;
    if (p == "test") return ClipPart::Test;
    if (p == "unused") return ClipPart::Unused;
    *ok = false;
    return ClipPart::Unused;
}

fs::path normalRoot(const std::string& root) {
    fs::path p = fs::path(root).lexically_normal();
    if (p.filename().empty() && p.has_parent_path()) p = p.parent_path();  // "dir/" -> "dir"
    return p;
}

// A list's spelling of a key: '/' separators, no leading "./".
std::string normalKey(std::string key) {
    std::replace(key.begin(), key.end(), '\\', '/');
    while (key.rfind("./", 0) == 0) key.erase(0, 2);
    return fs::path(key).lexically_normal().generic_string();
}

// The file's path relative to its speaker's folder (for the hash): the key without the speaker
// folder, or the key itself for files loose in the root.
std::string withinSpeaker(const std::string& key, const std::string& speaker) {
    const std::string prefix = speaker + "/";
    return key.compare(0, prefix.size(), prefix) == 0 && key.size() > prefix.size() ? key.substr(prefix.size()) : key;
}

}  // namespace

SplitSpec SplitSpec::fraction(double testFraction) {
    if (!(testFraction >= 0.0 && testFraction <= 1.0))
        throw InputError("the test fraction must be between 0 and 1, not " + numberText(testFraction));
    SplitSpec s;
    s.kind = Kind::Fraction;
    s.testFraction = testFraction;
    return s;
}

SplitSpec SplitSpec::list(const std::string& path) {
    SplitSpec s;
    s.kind = Kind::List;
    s.listPath = path;
    return s;
}

std::string SplitSpec::describe() const {
    switch (kind) {
        case Kind::None: return "no split";
        case Kind::Fraction:
            return numberText(testFraction * 100.0) + "% of each speaker's files for test (hash of file names)";
        case Kind::List: return "list " + listPath;
    }
    return "no split";
}

std::string clipKey(const std::string& root, const Clip& clip) {
    const fs::path rel = fs::path(clip.path).lexically_normal().lexically_relative(normalRoot(root));
    if (rel.empty() || *rel.begin() == "..") return fs::path(clip.path).lexically_normal().generic_string();
    return rel.generic_string();
}

std::uint64_t fnv1a64(const std::string& text) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::map<std::string, ClipPart> parseSplitList(const std::string& text, const std::string& fileName) {
    std::map<std::string, ClipPart> parts;
    std::map<std::string, int> firstLine;
    bool header = false;
    std::vector<std::string> fields;
    std::string error;
    for (const TextLine& line : splitLines(text)) {
        const std::string where = fileName + " line " + std::to_string(line.number) + ": ";
        if (trimmed(line.text).empty() || trimmed(line.text)[0] == '#') continue;
        if (!splitFields(line.text, ',', true, fields, &error)) throw InputError(where + error);
        if (!header) {
            if (fields.size() != 2 || lowerCase(fields[0]) != "path" || lowerCase(fields[1]) != "part")
                throw InputError(where + "expected the header 'path,part', found '" + trimmed(line.text) + "'");
            header = true;
            continue;
        }
        if (fields.size() != 2)
            throw InputError(where + "expected 2 fields (path,part), found " + std::to_string(fields.size()));
        if (fields[0].empty()) throw InputError(where + "the path is empty");
        bool ok = false;
        const ClipPart part = parsePart(fields[1], &ok);
        if (!ok) throw InputError(where + "part '" + fields[1] + "' is not tune or test");
        const std::string key = normalKey(fields[0]);
        auto [it, inserted] = firstLine.emplace(key, line.number);
        if (!inserted)
            throw InputError(where + key + " is listed twice (first on line " + std::to_string(it->second) + ")");
        parts[key] = part;
    }
    if (!header) throw InputError(fileName + " is empty: expected the header 'path,part' and one line per file");
    return parts;
}

nlohmann::json toJson(const SplitRecord& r) {
    nlohmann::json files = nlohmann::json::array();
    int counts[3] = {0, 0, 0};
    for (const SplitFile& f : r.files) {
        files.push_back({{"path", f.path}, {"speaker", f.speaker}, {"part", clipPartName(f.part)}});
        ++counts[int(f.part)];
    }
    nlohmann::json j = {{"method", r.method}, {"description", r.description}};
    if (r.method == "fraction") j["test_fraction"] = r.testFraction;
    if (r.method == "list") {
        j["list"] = r.list;
        j["missing"] = r.missing;
        if (!r.firstMissing.empty()) j["first_missing"] = r.firstMissing;
    }
    j["tune_files"] = counts[int(ClipPart::Tune)];
    j["test_files"] = counts[int(ClipPart::Test)];
    j["unused_files"] = counts[int(ClipPart::Unused)];
    j["files"] = files;
    return j;
}

SplitRecord splitRecordFromJson(const nlohmann::json& j) {
    SplitRecord r;
    try {
        r.method = j.at("method").get<std::string>();
        if (r.method != "none" && r.method != "fraction" && r.method != "list")
            throw InputError("split method '" + r.method + "' is not none, fraction or list");
        r.description = j.value("description", r.method);
        r.testFraction = j.value("test_fraction", 0.0);
        r.list = j.value("list", std::string());
        r.missing = j.value("missing", 0);
        r.firstMissing = j.value("first_missing", std::string());
        if (j.contains("files"))
            for (const nlohmann::json& f : j.at("files")) {
                bool ok = false;
                const std::string part = f.at("part").get<std::string>();
                SplitFile file{f.at("path").get<std::string>(), f.value("speaker", std::string()), parsePart(part, &ok)};
                if (!ok) throw InputError("split: part '" + part + "' is not tune, test or unused");
                r.files.push_back(std::move(file));
            }
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("malformed split record: ") + e.what());
    }
    return r;
}

void ClipSplit::index() {
    index_.clear();
    for (std::size_t i = 0; i < record_.files.size(); ++i) index_.emplace(record_.files[i].path, i);
}

ClipSplit ClipSplit::make(const AudioCorpus& corpus, const SplitSpec& spec) {
    ClipSplit s;
    s.root_ = corpus.root();
    SplitRecord& r = s.record_;
    r.description = spec.describe();
    std::map<std::string, ClipPart> listed;
    if (spec.kind == SplitSpec::Kind::List) {
        r.method = "list";
        r.list = spec.listPath;
        listed = parseSplitList(readTextFile(spec.listPath), spec.listPath);
    } else if (spec.kind == SplitSpec::Kind::Fraction) {
        r.method = "fraction";
        r.testFraction = spec.testFraction;
    }
    std::set<std::string> seen;
    for (const Speaker& speaker : corpus.speakers()) {
        std::vector<std::string> keys;  // the speaker's files, once each, in path order
        for (const Clip& clip : speaker.clips) {
            std::string key = clipKey(corpus.root(), clip);
            if (seen.insert(key).second) keys.push_back(std::move(key));
        }
        std::vector<ClipPart> parts(keys.size(), ClipPart::Tune);
        if (spec.kind == SplitSpec::Kind::List) {
            for (std::size_t i = 0; i < keys.size(); ++i) {
                auto it = listed.find(keys[i]);
                parts[i] = it == listed.end() ? ClipPart::Unused : it->second;
            }
        } else if (spec.kind == SplitSpec::Kind::Fraction) {
            const std::size_t n = keys.size();
            auto k = std::size_t(std::llround(spec.testFraction * double(n)));
            if (spec.testFraction > 0 && spec.testFraction < 1 && n >= 2) k = std::clamp<std::size_t>(k, 1, n - 1);
            std::vector<std::size_t> rank(n);
            for (std::size_t i = 0; i < n; ++i) rank[i] = i;
            std::vector<std::uint64_t> hash(n);
            for (std::size_t i = 0; i < n; ++i) hash[i] = fnv1a64(withinSpeaker(keys[i], speaker.name));
            std::sort(rank.begin(), rank.end(), [&](std::size_t a, std::size_t b) {
                return hash[a] != hash[b] ? hash[a] < hash[b] : keys[a] < keys[b];
            });
            for (std::size_t j = 0; j < k && j < n; ++j) parts[rank[j]] = ClipPart::Test;
        }
        for (std::size_t i = 0; i < keys.size(); ++i) r.files.push_back({keys[i], speaker.name, parts[i]});
    }
    for (const auto& [key, part] : listed)
        if (!seen.count(key)) {
            if (r.missing++ == 0) r.firstMissing = key;
        }
    s.index();
    return s;
}

ClipSplit ClipSplit::fromRecord(const AudioCorpus& corpus, const SplitRecord& record) {
    ClipSplit s;
    s.root_ = corpus.root();
    s.record_ = record;
    if (!record.active()) {
        s.record_.files.clear();
        return s;
    }
    // The corpus's files in its order, with their recorded parts.
    std::map<std::string, ClipPart> recorded;
    for (const SplitFile& f : record.files) recorded[f.path] = f.part;
    s.record_.files.clear();
    std::set<std::string> seen;
    for (const Speaker& speaker : corpus.speakers())
        for (const Clip& clip : speaker.clips) {
            std::string key = clipKey(corpus.root(), clip);
            if (!seen.insert(key).second) continue;
            auto it = recorded.find(key);
            s.record_.files.push_back({key, speaker.name, it == recorded.end() ? ClipPart::Unused : it->second});
        }
    s.index();
    return s;
}

ClipPart ClipSplit::partOf(const Clip& clip) const {
    if (!active()) return ClipPart::Tune;
    auto it = index_.find(clipKey(root_, clip));
    return it == index_.end() ? ClipPart::Unused : record_.files[it->second].part;
}

bool ClipSplit::isTune(const Clip& clip) const { return !active() || partOf(clip) == ClipPart::Tune; }
bool ClipSplit::isTest(const Clip& clip) const { return !active() || partOf(clip) == ClipPart::Test; }

namespace {
AudioCorpus keepPart(const AudioCorpus& corpus, const ClipSplit& split, ClipPart part) {
    AudioCorpus out = corpus;
    if (!split.active()) return out;
    out.keepClips([&](const Clip& c) { return split.partOf(c) == part; });
    if (out.speakers().empty())
        throw InputError("the split (" + split.record().description + ") leaves no " + clipPartName(part) + " clip in " +
                         corpus.root());
    return out;
}
}  // namespace

AudioCorpus ClipSplit::tuneCorpus(const AudioCorpus& corpus) const { return keepPart(corpus, *this, ClipPart::Tune); }
AudioCorpus ClipSplit::testCorpus(const AudioCorpus& corpus) const { return keepPart(corpus, *this, ClipPart::Test); }

int ClipSplit::fileCount(ClipPart part, const std::string& speaker) const {
    int n = 0;
    for (const SplitFile& f : record_.files) n += f.part == part && (speaker.empty() || f.speaker == speaker);
    return n;
}

}  // namespace qs
