// The version of quantscope that is running: CMake's project version and, when it was built from a
// git checkout, the commit. Written at build time (version.cmake), so it is never a stale configure-
// time copy. No Qt, no LibTorch: the CLI, the studio and every file writer use it.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace qs {

// "0.1.0": the project version in the top-level CMakeLists.txt.
std::string version();
// The commit the build came from, 12 hex digits with "-dirty" when the tree had local changes
// ("02c546fe4fa1", "02c546fe4fa1-dirty"); empty when it was not built from a git checkout.
std::string versionCommit();
// "0.1.0 (commit 02c546fe4fa1)", or "0.1.0 (unknown commit)" outside git: what --version prints.
std::string versionText();
// {"program": "quantscope", "version": "0.1.0", "commit": "02c546fe4fa1" or null}: the "written_by"
// field of analysis.json, allocation.json and evaluation.json. Readers never require it.
nlohmann::json writtenByJson();

}  // namespace qs
