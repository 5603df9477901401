// users.csv: parsing with quoted fields, per-line checks, and the array index from the scheduler's
// environment (manifest.h).
#include "core/fleet/manifest.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/base/errors.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

// One CSV line into fields: commas separate, double quotes group ("" is a quote inside quotes).
std::vector<std::string> splitCsv(const std::string& line, const std::string& where) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
            else if (c == '"') quoted = false;
            else out.back() += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.emplace_back();
        } else {
            out.back() += c;
        }
    }
    if (quoted) throw InputError(where + ": a quoted field is not closed");
    for (std::string& f : out) {
        const auto b = f.find_first_not_of(" \t\r");
        const auto e = f.find_last_not_of(" \t\r");
        f = b == std::string::npos ? std::string() : f.substr(b, e - b + 1);
    }
    return out;
}

double positiveNumber(const std::string& text, const std::string& column, const std::string& where) {
    if (text.empty()) return 0;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v <= 0)
        throw InputError(where + ": " + column + " must be a positive number, not '" + text + "'");
    return v;
}

bool fitsFolderName(const std::string& name) {
    if (name.empty() || name == "." || name == "..") return false;
    for (const char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    return true;
}

}  // namespace

std::vector<ManifestUser> readManifest(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw InputError("cannot open the manifest " + path);
    const fs::path base = fs::absolute(fs::path(path)).parent_path();
    const std::set<std::string> known{"user", "audio", "target_mb", "target_bits", "profile"};
    std::map<std::string, std::size_t> column;
    std::vector<ManifestUser> users;
    std::set<std::string> seen;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string where = path + ":" + std::to_string(number);
        if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t\r")] == '#') continue;
        const std::vector<std::string> fields = splitCsv(line, where);
        if (column.empty()) {
            for (std::size_t i = 0; i < fields.size(); ++i) {
                if (!known.count(fields[i]))
                    throw InputError(where + ": unknown column '" + fields[i] +
                                     "' (columns: user, audio, target_mb, target_bits, profile)");
                if (!column.emplace(fields[i], i).second) throw InputError(where + ": column '" + fields[i] + "' twice");
            }
            if (!column.count("user") || !column.count("audio"))
                throw InputError(where + ": the header must name the columns user and audio");
            continue;
        }
        if (fields.size() != column.size())
            throw InputError(where + ": " + std::to_string(fields.size()) + " fields where the header has " +
                             std::to_string(column.size()));
        auto get = [&](const char* name) { return column.count(name) ? fields[column.at(name)] : std::string(); };
        ManifestUser u;
        u.line = number;
        u.user = get("user");
        if (!fitsFolderName(u.user))
            throw InputError(where + ": user '" + u.user + "' must be letters, digits, '.', '_' or '-' (it names a folder)");
        if (!seen.insert(u.user).second) throw InputError(where + ": user '" + u.user + "' appears twice");
        const std::string audio = get("audio");
        if (audio.empty()) throw InputError(where + ": user '" + u.user + "' has no audio folder");
        u.audio = (fs::path(audio).is_absolute() ? fs::path(audio) : base / audio).lexically_normal().string();
        u.targetMb = positiveNumber(get("target_mb"), "target_mb", where);
        u.targetBits = positiveNumber(get("target_bits"), "target_bits", where);
        if (u.targetMb > 0 && u.targetBits > 0) throw InputError(where + ": give target_mb or target_bits, not both");
        u.profile = get("profile");
        users.push_back(std::move(u));
    }
    if (column.empty()) throw InputError(path + ": the manifest is empty (it needs a header: user,audio,...)");
    if (users.empty()) throw InputError(path + ": the manifest lists no user");
    return users;
}

int manifestIndex(std::optional<int> given, std::size_t users) {
    std::string from = "--index";
    std::string text;
    if (given) {
        text = std::to_string(*given);
    } else if (const char* s = std::getenv("SLURM_ARRAY_TASK_ID"); s && *s) {
        text = s, from = "SLURM_ARRAY_TASK_ID";
    } else if (const char* k = std::getenv("JOB_COMPLETION_INDEX"); k && *k) {
        text = k, from = "JOB_COMPLETION_INDEX";
    } else {
        throw InputError("--manifest needs --index N, or SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX in the environment");
    }
    char* end = nullptr;
    const long v = std::strtol(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != '\0' || v < 0)
        throw InputError(from + " must be a whole number from 0, not '" + text + "'");
    if (std::size_t(v) >= users)
        throw InputError(from + " is " + text + " but the manifest lists " + std::to_string(users) + " users (0 to " +
                         std::to_string(users - 1) + ")");
    return int(v);
}

}  // namespace qs
