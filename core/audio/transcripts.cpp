// Reading reference transcripts: LibriSpeech *.trans.txt, sidecar .txt and Sphinx transcription
// files.
#include "core/audio/transcripts.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

namespace fs = std::filesystem;

namespace qs {

namespace {

bool isSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Whole file as text; empty when it cannot be read (transcripts are optional).
std::string readText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void eraseAll(std::string& s, const std::string& what) {
    for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos)) s.replace(pos, what.size(), " ");
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Names of the multi-utterance lists, which are never a single clip's sidecar.
bool isTranscriptList(const std::string& name) {
    return name == "transcription.txt" || endsWith(name, ".trans.txt");
}

// True when folder dir is root or lies below it (both spelled by folderKey).
bool isWithin(const std::string& dir, const std::string& root) {
    if (dir == root) return true;
    const std::string prefix = root.back() == '/' ? root : root + "/";
    return dir.compare(0, prefix.size(), prefix) == 0;
}

// A normalized absolute spelling, so folders compare equal however the caller wrote them.
std::string folderKey(const fs::path& p) {
    std::error_code ec;
    fs::path abs = fs::weakly_canonical(p, ec);
    if (ec) abs = fs::absolute(p, ec).lexically_normal();
    std::string s = abs.generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

}  // namespace

std::string collapseWhitespace(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    bool pendingSpace = false;
    for (char c : text) {
        if (isSpace(c)) {
            pendingSpace = !out.empty();
            continue;
        }
        if (pendingSpace) out += ' ';
        pendingSpace = false;
        out += c;
    }
    return out;
}

std::map<std::string, std::string> parseLibriSpeechTranscripts(const std::string& content) {
    std::map<std::string, std::string> texts;
    std::istringstream lines(content);
    std::string line;
    while (std::getline(lines, line)) {
        const std::string clean = collapseWhitespace(line);
        const auto space = clean.find(' ');
        if (space == std::string::npos) continue;  // an id without text, or a blank line
        texts[clean.substr(0, space)] = clean.substr(space + 1);
    }
    return texts;
}

std::map<std::string, std::string> parseSphinxTranscription(const std::string& content) {
    std::map<std::string, std::string> texts;
    std::istringstream lines(content);
    std::string line;
    while (std::getline(lines, line)) {
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        const auto open = line.rfind('(', close);
        if (open == std::string::npos) continue;

        const std::string inside = collapseWhitespace(line.substr(open + 1, close - open - 1));
        const std::string id = inside.substr(0, inside.find(' '));
        if (id.empty()) continue;

        std::string text = line.substr(0, open);
        eraseAll(text, "</s>");
        eraseAll(text, "<s>");
        texts[id] = collapseWhitespace(text);
    }
    return texts;
}

TranscriptFinder::TranscriptFinder(std::string root) : root_(folderKey(root)) {}

const TranscriptFinder::FolderTexts& TranscriptFinder::folder(const std::string& dir) {
    auto it = folders_.find(dir);
    if (it != folders_.end()) return it->second;

    FolderTexts texts;
    std::error_code ec;
    for (fs::directory_iterator entry(dir, ec), end; !ec && entry != end; entry.increment(ec)) {
        const std::string name = entry->path().filename().string();
        if (endsWith(name, ".trans.txt")) {
            for (auto& [id, text] : parseLibriSpeechTranscripts(readText(entry->path())))
                texts.libri[id] = std::move(text);
        } else if (name == "transcription.txt") {
            texts.sphinx = parseSphinxTranscription(readText(entry->path()));
        }
    }
    return folders_.emplace(dir, std::move(texts)).first->second;
}

std::string TranscriptFinder::find(const std::string& audioPath) {
    const fs::path audio(audioPath);
    const std::string stem = audio.stem().string();

    fs::path sidecar = audio;
    sidecar.replace_extension(".txt");
    if (sidecar != audio && !isTranscriptList(sidecar.filename().string())) {
        const std::string text = collapseWhitespace(readText(sidecar));
        if (!text.empty()) return text;
    }

    const std::string dir = folderKey(audio.parent_path().empty() ? fs::path(".") : audio.parent_path());
    const FolderTexts& own = folder(dir);
    if (auto it = own.libri.find(stem); it != own.libri.end()) return it->second;

    // Sphinx lists apply to their folder and everything below it: walk up, but not above the root.
    for (fs::path d(dir);; d = d.parent_path()) {
        const FolderTexts& texts = folder(d.generic_string());
        if (auto it = texts.sphinx.find(stem); it != texts.sphinx.end()) return it->second;
        if (d == d.parent_path() || !isWithin(d.parent_path().generic_string(), root_)) break;
    }
    return {};
}

}  // namespace qs
