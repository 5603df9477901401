// Readers for LibriSpeech SPEAKERS.TXT, Common Voice TSV and speakers.csv; grouping speakers into
// profiles.
#include "core/audio/speaker_profiles.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/audio/text_table.h"
#include "core/base/errors.h"

namespace qs {
namespace {

std::string at(const std::string& file, int line) { return file + " line " + std::to_string(line) + ": "; }

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

// Adds a speaker, or finds the one already there.
SpeakerRecord& recordFor(SpeakerTable& t, std::map<std::string, std::size_t>& index, const std::string& id, int line) {
    auto [it, inserted] = index.emplace(id, t.speakers.size());
    if (inserted) t.speakers.push_back({id, {}, line});
    return t.speakers[it->second];
}

// Columns of a Common Voice TSV that describe the clip, not the speaker.
bool isClipColumn(const std::string& c) {
    static const std::set<std::string> clip = {"path", "sentence", "sentence_id", "sentence_domain", "up_votes",
                                               "down_votes", "segment", "client_id"};
    return clip.count(c) > 0;
}

}  // namespace

SpeakerTable parseLibriSpeechSpeakers(const std::string& text, const std::string& fileName) {
    SpeakerTable t;
    t.source = fileName;
    t.format = "librispeech";
    t.defaultAttribute = "sex";
    t.attributes = {"sex", "subset", "minutes", "name"};
    std::map<std::string, std::size_t> index;
    for (const TextLine& line : splitLines(text)) {
        const std::string s = trimmed(line.text);
        if (s.empty() || s[0] == ';') continue;
        // ID | SEX | SUBSET | MINUTES | NAME, where the name may contain '|' (LibriSpeech has one).
        std::vector<std::string> f;
        std::size_t start = 0;
        for (int k = 0; k < 4; ++k) {
            const std::size_t bar = s.find('|', start);
            if (bar == std::string::npos) break;
            f.push_back(trimmed(s.substr(start, bar - start)));
            start = bar + 1;
        }
        if (f.size() < 4)
            throw InputError(at(fileName, line.number) + "expected 'ID | SEX | SUBSET | MINUTES | NAME', found " +
                             std::to_string(f.size() + 1) + " field" + (f.empty() ? "" : "s"));
        f.push_back(trimmed(s.substr(start)));
        if (f[0].empty()) throw InputError(at(fileName, line.number) + "the speaker ID is empty");
        if (f[1] != "F" && f[1] != "M")
            throw InputError(at(fileName, line.number) + "sex '" + f[1] + "' is neither F nor M");
        char* end = nullptr;
        std::strtod(f[3].c_str(), &end);
        if (f[3].empty() || *end != '\0')
            throw InputError(at(fileName, line.number) + "minutes '" + f[3] + "' is not a number");
        if (index.count(f[0]))
            throw InputError(at(fileName, line.number) + "speaker " + f[0] + " is described twice (first on line " +
                             std::to_string(t.speakers[index[f[0]]].line) + ")");
        SpeakerRecord& r = recordFor(t, index, f[0], line.number);
        r.attributes = {{"sex", f[1]}, {"subset", f[2]}, {"minutes", f[3]}, {"name", f[4]}};
    }
    if (t.speakers.empty()) throw InputError(fileName + " describes no speaker");
    return t;
}

SpeakerTable parseCommonVoiceTsv(const std::string& text, const std::string& fileName) {
    SpeakerTable t;
    t.source = fileName;
    t.format = "commonvoice";
    t.defaultAttribute = "gender";
    std::map<std::string, std::size_t> index;
    std::vector<std::string> header, fields;
    int clientColumn = -1, pathColumn = -1;
    for (const TextLine& line : splitLines(text)) {
        if (line.text.empty()) continue;
        splitFields(line.text, '\t', false, fields, nullptr);  // no quoting in Common Voice files
        if (header.empty()) {
            header = fields;
            for (std::size_t c = 0; c < header.size(); ++c) {
                header[c] = lowerCase(trimmed(header[c]));
                if (header[c] == "client_id") clientColumn = int(c);
                if (header[c] == "path") pathColumn = int(c);
                if (!isClipColumn(header[c]) && !header[c].empty()) t.attributes.push_back(header[c]);
            }
            if (clientColumn < 0)
                throw InputError(at(fileName, line.number) + "the header has no client_id column (found: " +
                                 joined(header) + ")");
            continue;
        }
        if (fields.size() != header.size())
            throw InputError(at(fileName, line.number) + std::to_string(fields.size()) + " tab-separated fields, the header has " +
                             std::to_string(header.size()));
        const std::string id = trimmed(fields[std::size_t(clientColumn)]);
        if (id.empty()) throw InputError(at(fileName, line.number) + "the client_id is empty");
        SpeakerRecord& r = recordFor(t, index, id, line.number);
        for (std::size_t c = 0; c < header.size(); ++c) {
            if (isClipColumn(header[c]) || header[c].empty()) continue;
            std::string& value = r.attributes[header[c]];
            if (value.empty()) value = trimmed(fields[c]);
        }
        if (pathColumn >= 0) {
            const std::string clip = trimmed(fields[std::size_t(pathColumn)]);
            if (!clip.empty()) t.clipSpeaker[std::filesystem::path(clip).filename().string()] = id;
        }
    }
    if (header.empty()) throw InputError(fileName + " is empty: expected a header with a client_id column");
    if (t.speakers.empty()) throw InputError(fileName + " lists no clip");
    // Older releases call the accent column "accent".
    if (std::find(t.attributes.begin(), t.attributes.end(), "gender") == t.attributes.end() && !t.attributes.empty())
        t.defaultAttribute = t.attributes.front();
    return t;
}

SpeakerTable parseSpeakersCsv(const std::string& text, const std::string& fileName) {
    SpeakerTable t;
    t.source = fileName;
    t.format = "csv";
    t.defaultAttribute = "group";
    std::map<std::string, std::size_t> index;
    std::vector<std::string> header, fields;
    std::string error;
    int speakerColumn = -1;
    for (const TextLine& line : splitLines(text)) {
        if (trimmed(line.text).empty() || trimmed(line.text)[0] == '#') continue;
        if (!splitFields(line.text, ',', true, fields, &error)) throw InputError(at(fileName, line.number) + error);
        if (header.empty()) {
            header = fields;
            bool group = false;
            for (std::size_t c = 0; c < header.size(); ++c) {
                header[c] = lowerCase(header[c]);
                if (header[c] == "speaker") speakerColumn = int(c);
                else if (!header[c].empty()) t.attributes.push_back(header[c]);
                group = group || header[c] == "group";
            }
            if (speakerColumn < 0 || !group)
                throw InputError(at(fileName, line.number) + "expected a header with speaker and group columns " +
                                 "(speaker,group[,...]), found '" + trimmed(line.text) + "'");
            continue;
        }
        if (fields.size() != header.size())
            throw InputError(at(fileName, line.number) + "expected " + std::to_string(header.size()) + " fields (" +
                             joined(header) + "), found " + std::to_string(fields.size()));
        const std::string id = fields[std::size_t(speakerColumn)];
        if (id.empty()) throw InputError(at(fileName, line.number) + "the speaker is empty");
        if (index.count(id))
            throw InputError(at(fileName, line.number) + "speaker " + id + " is listed twice (first on line " +
                             std::to_string(t.speakers[index[id]].line) + ")");
        SpeakerRecord& r = recordFor(t, index, id, line.number);
        for (std::size_t c = 0; c < header.size(); ++c)
            if (int(c) != speakerColumn && !header[c].empty()) r.attributes[header[c]] = fields[c];
    }
    if (header.empty()) throw InputError(fileName + " is empty: expected the header speaker,group[,...]");
    if (t.speakers.empty()) throw InputError(fileName + " lists no speaker");
    return t;
}

SpeakerTable readSpeakerTable(const std::string& path) {
    const std::string text = readTextFile(path);
    const std::string ext = lowerCase(std::filesystem::path(path).extension().string());
    if (ext == ".tsv") return parseCommonVoiceTsv(text, path);
    if (ext == ".csv") return parseSpeakersCsv(text, path);
    for (const TextLine& line : splitLines(text)) {
        const std::string s = trimmed(line.text);
        if (s.empty() || s[0] == ';') continue;
        if (s.find('|') != std::string::npos) return parseLibriSpeechSpeakers(text, path);
        break;
    }
    throw InputError("cannot tell the format of " + path +
                     ": expected LibriSpeech's SPEAKERS.TXT, a Common Voice .tsv or a speakers .csv");
}

std::vector<Profile> groupSpeakers(const SpeakerTable& table, const std::string& attribute,
                                   const std::vector<std::string>& present) {
    const std::string attr = attribute.empty() ? table.defaultAttribute : lowerCase(attribute);
    if (std::find(table.attributes.begin(), table.attributes.end(), attr) == table.attributes.end())
        throw InputError(table.source + " has no attribute '" + attr + "' to group speakers by (it has: " +
                         joined(table.attributes) + ")");
    std::map<std::string, const SpeakerRecord*> byId;
    for (const SpeakerRecord& r : table.speakers) byId[r.id] = &r;
    std::vector<std::string> order;
    if (present.empty()) {
        for (const SpeakerRecord& r : table.speakers) order.push_back(r.id);
    } else {
        order = present;
    }
    std::map<std::string, Profile> groups;
    for (const std::string& id : order) {
        auto it = byId.find(id);
        if (it == byId.end()) continue;
        auto value = it->second->attributes.find(attr);
        if (value == it->second->attributes.end() || value->second.empty()) continue;
        Profile& p = groups[value->second];
        p.name = value->second;
        p.speakers.push_back(id);
    }
    if (groups.empty())
        throw InputError(present.empty() ? table.source + " gives no speaker a " + attr
                                         : "none of the audio's speakers is described in " + table.source +
                                               " (with a " + attr + ")");
    std::vector<Profile> out;
    for (auto& [name, p] : groups) out.push_back(std::move(p));
    return out;
}

void checkProfileNames(const std::vector<Profile>& profiles, const std::vector<std::string>& speakers) {
    std::set<std::string> names;
    const std::set<std::string> speakerSet(speakers.begin(), speakers.end());
    for (const Profile& p : profiles) {
        if (p.name == "all") throw InputError("a profile cannot be named 'all': that name means every speaker");
        if (!names.insert(p.name).second) throw InputError("two profiles are named '" + p.name + "'");
        // A profile named like a speaker is only that speaker under its own name.
        if (speakerSet.count(p.name) && !(p.speakers.size() == 1 && p.speakers.front() == p.name))
            throw InputError("profile '" + p.name + "' has the name of a speaker but other members: rename the group");
    }
}

}  // namespace qs
