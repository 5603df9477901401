// Damaging a JSON document the way a hand edit or a broken disk would, for data-driven tests of
// the readers: one edit per test row, written as text.
#pragma once

#include <string>

namespace qs::test {

// Applies one edit to the JSON text and returns the new text:
//   "set /layers/1/params -5"     the value at a JSON pointer (added or replaced), given as JSON
//   "remove /layers/0/kind"       a member or element removed
//   "copy /layers/0/stats/all /layers/0/stats/bob"   a value copied to another pointer
//   "truncate 300"                the first 300 bytes of the text only
//   "text {\"a\": NaN}"            the whole text replaced
// Throws std::runtime_error on an edit it does not understand.
std::string editJson(const std::string& text, const std::string& edit);

}  // namespace qs::test
