// Small delimited-text readers shared by the split list and the speaker metadata files: a file read
// as lines (numbered from 1, line ends \n or \r\n, a UTF-8 byte-order mark dropped) and one line cut
// into fields, with RFC 4180 double quotes for comma-separated files.
#pragma once

#include <string>
#include <vector>

namespace qs {

struct TextLine {
    int number = 0;    // 1-based line number in the file
    std::string text;  // without the line end
};

// The lines of text. Blank lines are kept (callers skip them) so numbers stay true.
std::vector<TextLine> splitLines(const std::string& text);

// Reads a whole file. Throws InputError "cannot read PATH" when it cannot be opened.
std::string readTextFile(const std::string& path);

// Cuts a line at sep. With quotes, a field may be enclosed in double quotes, inside which sep is
// text and "" is one quote. Returns false (and why in *error) on an unterminated quote or text
// after a closing quote. Fields are trimmed of surrounding spaces and tabs (unless sep is a tab).
bool splitFields(const std::string& line, char sep, bool quotes, std::vector<std::string>& fields,
                 std::string* error);

// Trims spaces and tabs at both ends.
std::string trimmed(const std::string& s);
// ASCII lower case.
std::string lowerCase(std::string s);

}  // namespace qs
