// Word and character edit distances and the normalization of transcripts before scoring.
#include "core/evaluation/error_rates.h"

#include <algorithm>

namespace qs {
namespace {

// Decodes UTF-8 leniently: a byte that does not start a valid sequence becomes one code point of
// its own value, so any input can be scored.
std::vector<char32_t> decodeUtf8(const std::string& s) {
    std::vector<char32_t> out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const int extra = b < 0x80                ? 0
                          : b >= 0xC2 && b <= 0xDF ? 1
                          : b >= 0xE0 && b <= 0xEF ? 2
                          : b >= 0xF0 && b <= 0xF4 ? 3
                                                   : -1;
        bool valid = extra >= 0 && i + std::size_t(extra) < s.size();
        char32_t cp = extra > 0 ? char32_t(b & (0x3F >> extra)) : b;
        for (int k = 1; valid && k <= extra; ++k) {
            const auto c = static_cast<unsigned char>(s[i + std::size_t(k)]);
            valid = (c & 0xC0) == 0x80;
            cp = (cp << 6) | (c & 0x3F);
        }
        out.push_back(valid ? cp : char32_t(b));
        i += valid ? std::size_t(extra) + 1 : 1;
    }
    return out;
}

void appendUtf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

// Without a Unicode database, "letter" outside ASCII means: not a control character and not in
// the Latin-1 symbol range, the General Punctuation block or CJK punctuation.
bool isWordChar(char32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'';
    if (c < 0xA0) return false;                       // C1 controls
    if (c < 0xC0) return false;                       // Latin-1 punctuation and symbols (¡ « » ° …)
    if (c == 0xD7 || c == 0xF7) return false;         // × ÷
    if (c >= 0x2000 && c <= 0x206F) return false;     // General Punctuation (dashes, quotes, …)
    if (c >= 0x3000 && c <= 0x303F) return false;     // CJK symbols and punctuation
    if (c == 0xFEFF || c == 0xFFFD) return false;     // byte-order mark, replacement character
    return true;
}

char32_t lower(char32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;  // À..Þ
    return c;
}

using Word = std::vector<char32_t>;

// The normalised words: lower-cased word characters, split at everything else, with apostrophes at
// a word's ends dropped (they are quotation marks there: 'hello' scores as hello, don't stays).
std::vector<Word> normalizedWords(const std::string& text) {
    std::vector<Word> words;
    Word word;
    const auto flush = [&] {
        const auto first = std::find_if(word.begin(), word.end(), [](char32_t c) { return c != '\''; });
        const auto last = std::find_if(word.rbegin(), word.rend(), [](char32_t c) { return c != '\''; }).base();
        if (first < last) words.emplace_back(first, last);
        word.clear();
    };
    for (char32_t c : decodeUtf8(text)) {
        if (c == 0x2018 || c == 0x2019) c = '\'';  // typographic apostrophes
        if (isWordChar(c))
            word.push_back(lower(c));
        else
            flush();
    }
    flush();
    return words;
}

Word joinWords(const std::vector<Word>& words) {
    Word out;
    for (const Word& w : words) {
        if (!out.empty()) out.push_back(' ');
        out.insert(out.end(), w.begin(), w.end());
    }
    return out;
}

std::string toUtf8(const Word& chars) {
    std::string out;
    for (const char32_t c : chars) appendUtf8(out, c);
    return out;
}

// One row of the dynamic programme at a time: O(|b|) memory.
template <typename T>
std::int64_t levenshtein(const std::vector<T>& a, const std::vector<T>& b) {
    std::vector<std::int64_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = std::int64_t(j);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::int64_t diagonal = row[0];
        row[0] = std::int64_t(i);
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::int64_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            diagonal = row[j];
            row[j] = std::min({substitute, row[j] + 1, row[j - 1] + 1});
        }
    }
    return row[b.size()];
}

}  // namespace

std::string normalizeForScoring(const std::string& text) { return toUtf8(joinWords(normalizedWords(text))); }

std::vector<std::string> scoringWords(const std::string& text) {
    std::vector<std::string> out;
    for (const Word& w : normalizedWords(text)) out.push_back(toUtf8(w));
    return out;
}

std::vector<char32_t> scoringChars(const std::string& text) { return joinWords(normalizedWords(text)); }

std::int64_t editDistance(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    return levenshtein(a, b);
}

std::int64_t editDistance(const std::vector<char32_t>& a, const std::vector<char32_t>& b) { return levenshtein(a, b); }

ErrorCounts wordErrors(const std::string& reference, const std::string& hypothesis) {
    const std::vector<std::string> ref = scoringWords(reference);
    return {editDistance(ref, scoringWords(hypothesis)), std::int64_t(ref.size())};
}

ErrorCounts charErrors(const std::string& reference, const std::string& hypothesis) {
    const std::vector<char32_t> ref = scoringChars(reference);
    return {editDistance(ref, scoringChars(hypothesis)), std::int64_t(ref.size())};
}

}  // namespace qs
