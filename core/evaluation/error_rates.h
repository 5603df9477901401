// Word and character error rates (WER, CER) by Levenshtein distance, for transcripts against
// references and for a quantized model's transcript against its float model's.
//
// Both texts are normalised before they are compared (normalizeForScoring), so case and punctuation
// never count as errors:
//   - ASCII and Latin-1 letters are lower-cased (other scripts keep their case);
//   - letters, digits and apostrophes are kept (’ and ‘ become '); every other character
//     (punctuation, symbols, control characters, whitespace) becomes a space, so "well-known"
//     scores as the two words "well known";
//   - apostrophes at either end of a word are dropped: there they quote ('hello' → hello), inside
//     a word they belong to it (don't);
//   - runs of spaces collapse to one and the ends are trimmed.
// "Letter" outside ASCII is approximated without a Unicode database: any code point that is not a
// control character, Latin-1 symbol, General Punctuation or CJK punctuation.
// Words are the normalised text split at spaces. Characters are the Unicode code points of the
// normalised text, spaces between words included (UTF-8 decoded; invalid bytes read as Latin-1).
//
// Empty references: rate() is edits / max(1, referenceLength). An empty reference with an empty
// hypothesis scores 0; with a hypothesis of n words it scores n (each inserted word one full error),
// which stays finite so reports and JSON never hold infinities. Corpus rates add counts first
// (Σ edits / Σ reference length), so an empty reference only weighs by its insertions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

struct ErrorCounts {
    std::int64_t edits = 0;            // substitutions + deletions + insertions
    std::int64_t referenceLength = 0;  // words (WER) or characters (CER) of the normalised reference

    double rate() const { return double(edits) / double(referenceLength > 0 ? referenceLength : 1); }

    // Corpus-level accumulation: add every utterance's counts, then take rate().
    ErrorCounts& operator+=(const ErrorCounts& other) {
        edits += other.edits;
        referenceLength += other.referenceLength;
        return *this;
    }
};

inline ErrorCounts operator+(ErrorCounts a, const ErrorCounts& b) { return a += b; }

// The comparison form of a text (see the rules above), UTF-8 in and out.
std::string normalizeForScoring(const std::string& text);

// The normalised text's words and code points.
std::vector<std::string> scoringWords(const std::string& text);
std::vector<char32_t> scoringChars(const std::string& text);

// Levenshtein distance (unit costs) between two sequences.
std::int64_t editDistance(const std::vector<std::string>& a, const std::vector<std::string>& b);
std::int64_t editDistance(const std::vector<char32_t>& a, const std::vector<char32_t>& b);

// Word / character edits of hypothesis against reference, both normalised first.
ErrorCounts wordErrors(const std::string& reference, const std::string& hypothesis);
ErrorCounts charErrors(const std::string& reference, const std::string& hypothesis);

}  // namespace qs
