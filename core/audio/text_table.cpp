// Lines and fields of small delimited text files (split lists, speaker metadata).
#include "core/audio/text_table.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "core/base/errors.h"

namespace qs {

std::vector<TextLine> splitLines(const std::string& text) {
    std::vector<TextLine> lines;
    std::size_t start = 0;
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) start = 3;
    int number = 1;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back({number++, std::move(line)});
        start = end + 1;
    }
    return lines;
}

std::string readTextFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
}

std::string lowerCase(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

bool splitFields(const std::string& line, char sep, bool quotes, std::vector<std::string>& fields,
                 std::string* error) {
    fields.clear();
    const bool trim = sep != '\t';
    std::size_t i = 0;
    for (;;) {
        std::string field;
        std::size_t j = i;
        while (trim && j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
        if (quotes && j < line.size() && line[j] == '"') {
            ++j;
            bool closed = false;
            while (j < line.size()) {
                if (line[j] == '"') {
                    if (j + 1 < line.size() && line[j + 1] == '"') {
                        field += '"';
                        j += 2;
                        continue;
                    }
                    closed = true;
                    ++j;
                    break;
                }
                field += line[j++];
            }
            if (!closed) {
                if (error) *error = "a quoted field has no closing quote";
                return false;
            }
            while (trim && j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
            if (j < line.size() && line[j] != sep) {
                if (error) *error = "text after a closing quote";
                return false;
            }
            fields.push_back(field);
        } else {
            const std::size_t end = std::min(line.find(sep, i), line.size());
            field = line.substr(i, end - i);
            fields.push_back(trim ? trimmed(field) : field);
            j = end;
        }
        if (j >= line.size()) return true;
        i = j + 1;  // past the separator
    }
}

}  // namespace qs
