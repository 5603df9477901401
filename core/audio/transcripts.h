// Reference transcripts found next to audio files. They are used only for evaluation (WER/CER), never
// for the label-free analysis, so a missing or unreadable transcript is simply "no transcript".
//
// Three layouts are recognised, most specific first:
//   1. a sidecar text file next to the audio: clip.txt beside clip.wav (whole content);
//   2. LibriSpeech: "*.trans.txt" files in the audio's folder, lines "UTTID TEXT...";
//   3. CMU Sphinx: "transcription.txt" in the audio's folder or any folder above it (up to the corpus
//      root), lines "text (utterance-id)", with <s> and </s> markers dropped.
// Text keeps its case and punctuation; only surrounding whitespace is trimmed and runs of whitespace
// collapse to one space.
#pragma once

#include <map>
#include <string>

namespace qs {

// Trims text and collapses every run of whitespace (spaces, tabs, newlines) to one space.
std::string collapseWhitespace(const std::string& text);

// LibriSpeech "*.trans.txt" content: utterance id -> text. Lines without text are ignored.
std::map<std::string, std::string> parseLibriSpeechTranscripts(const std::string& content);

// CMU Sphinx "transcription.txt" content: utterance id -> text. The id is the first word inside the
// last parentheses of a line (Sphinx decoders may append a score after it); <s>/</s> are removed.
std::map<std::string, std::string> parseSphinxTranscription(const std::string& content);

// Looks transcripts up for audio files below one root, reading each transcript file once.
class TranscriptFinder {
public:
    explicit TranscriptFinder(std::string root);

    // The reference text for audioPath, or an empty string when none is found.
    std::string find(const std::string& audioPath);

private:
    // Transcripts read from one folder's *.trans.txt and transcription.txt files.
    struct FolderTexts {
        std::map<std::string, std::string> libri;
        std::map<std::string, std::string> sphinx;
    };
    const FolderTexts& folder(const std::string& dir);

    std::string root_;
    std::map<std::string, FolderTexts> folders_;
};

}  // namespace qs
