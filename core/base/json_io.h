// Atomic JSON files: written to a temporary sibling and renamed into place, so a reader never sees
// half a file and a failed or cancelled run leaves the previous file untouched.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace qs {

// Writes text to path atomically (temporary file in the same folder + rename). Throws InputError.
void writeFileAtomic(const std::string& path, const std::string& text);

// Checks before long work that path could be written: its folder exists and is writable, and path
// is not a folder. Throws InputError naming the problem.
void checkWritable(const std::string& path);

void writeJsonAtomic(const std::string& path, const nlohmann::json& j);

// Reads and parses a JSON file. Throws InputError naming the file on a missing file or bad JSON.
nlohmann::json readJson(const std::string& path);

}  // namespace qs
