// versionText() and the "written_by" record, from the build-time values in version_info.cpp.
#include "core/base/version.h"

#include <nlohmann/json.hpp>

namespace qs {

namespace detail {
extern const char* const kVersion;
extern const char* const kCommit;
}  // namespace detail

std::string version() { return detail::kVersion; }
std::string versionCommit() { return detail::kCommit; }

std::string versionText() {
    const std::string commit = versionCommit();
    return version() + (commit.empty() ? " (unknown commit)" : " (commit " + commit + ")");
}

nlohmann::json writtenByJson() {
    const std::string commit = versionCommit();
    return {{"program", "quantscope"},
            {"version", version()},
            {"commit", commit.empty() ? nlohmann::json() : nlohmann::json(commit)}};
}

}  // namespace qs
