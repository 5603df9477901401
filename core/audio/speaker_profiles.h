// Speaker metadata and the groups made from it. A profile is a named set of speakers that can be
// chosen wherever one speaker can (statistics, allocation, calibration, comparison, evaluation);
// myQASR tunes on gender and language partitions this way.
//
// Three metadata formats are read:
//   LibriSpeech SPEAKERS.TXT  lines `ID | SEX | SUBSET | MINUTES | NAME` (';' starts a comment; the
//                             name may itself contain '|'); attributes sex (F/M), subset, minutes, name.
//   Common Voice .tsv         a header naming the columns (client_id required), one row per clip;
//                             speakers are client ids, attributes every column that describes the
//                             speaker (gender, accents or accent, locale, age, variant, ...), each
//                             speaker taking the first non-empty value of its rows.
//   speakers.csv              a header with `speaker` and `group` columns and any others
//                             (speaker,group,sex,accent,condition), one row per speaker; RFC 4180
//                             quotes.
// A malformed line is an InputError naming the file, the line and what is wrong.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace qs {

struct SpeakerRecord {
    std::string id;
    std::map<std::string, std::string> attributes;  // column -> value (may be empty)
    int line = 0;                                    // where the speaker was first described
};

struct SpeakerTable {
    std::string source;               // the file read
    std::string format;               // "librispeech", "commonvoice", "csv"
    std::string defaultAttribute;     // what groups are made of by default: sex, gender, group
    std::vector<std::string> attributes;  // the attributes that can group speakers, in file order
    std::vector<SpeakerRecord> speakers;  // unique ids, in file order
    // Common Voice: the clip file name (its `path` column) -> client id, for folders of loose clips.
    std::map<std::string, std::string> clipSpeaker;
};

SpeakerTable parseLibriSpeechSpeakers(const std::string& text, const std::string& fileName);
SpeakerTable parseCommonVoiceTsv(const std::string& text, const std::string& fileName);
SpeakerTable parseSpeakersCsv(const std::string& text, const std::string& fileName);

// Reads a file in whichever of the three formats it is: `.tsv` is Common Voice, `.csv` a speakers
// table, anything else whose lines look like `ID | SEX | ...` LibriSpeech. Throws InputError.
SpeakerTable readSpeakerTable(const std::string& path);

struct Profile {
    std::string name;
    std::vector<std::string> speakers;  // in the order given
};

// Groups the speakers by one attribute (empty: the table's default). Only speakers in `present`
// count when it is not empty; speakers with an empty value are left out; profiles come sorted by
// name with their speakers in `present` order (file order without it). Throws InputError naming
// the attribute and listing the table's when it is unknown, or when no profile has a speaker.
std::vector<Profile> groupSpeakers(const SpeakerTable& table, const std::string& attribute,
                                   const std::vector<std::string>& present = {});

// Throws InputError when a profile is named "all" or like a speaker, or two profiles share a name.
void checkProfileNames(const std::vector<Profile>& profiles, const std::vector<std::string>& speakers);

}  // namespace qs
