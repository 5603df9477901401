// Atomic JSON files: written to a temporary sibling and renamed into place, so a reader never sees
// half a file and a failed or cancelled run leaves the previous file untouched.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace qs {

// Writes text to path atomically (temporary file in the same folder + rename). Throws InputError
// saying why: "cannot write out/a.json: the disk is full (No space left on device)". On failure no
// temporary file is left and an existing file at path is untouched.
void writeFileAtomic(const std::string& path, const std::string& text);

// Why a write failed, for an errno: "the disk is full (No space left on device)", "the file-size
// limit was reached (File too large)", "the folder is not writable (Permission denied)", ...
std::string writeFailureReason(int error);

// Checks before long work that path could be written: its folder exists and is writable, and path
// is not a folder. Throws InputError naming the problem.
void checkWritable(const std::string& path);

void writeJsonAtomic(const std::string& path, const nlohmann::json& j);

// Reads and parses a JSON file. Throws InputError naming the file on a missing file or bad JSON.
nlohmann::json readJson(const std::string& path);
// Parses JSON text; name stands for its file in the InputError on bad JSON (a syntax error, a number
// beyond double's range such as 1e400).
nlohmann::json parseJson(const std::string& text, const std::string& name);

}  // namespace qs
