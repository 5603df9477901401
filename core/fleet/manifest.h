// The user manifest of a fleet run: one row per user (users.csv), picked by index so that a scheduler's
// array task (SLURM_ARRAY_TASK_ID, Kubernetes' JOB_COMPLETION_INDEX) runs one user.
//
//   user,audio[,target_mb][,target_bits][,profile]
//   alice,/data/alice,2.5,,
//   bob,relative/to/the/manifest/bob,,3,
//
// The header names the columns (user and audio required, the others optional, in any order; unknown
// columns are an error, so a typo is not silently ignored). Relative audio folders are taken from the
// manifest's folder. Blank lines and lines starting with # are skipped. Fields may be quoted ("a,b").
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace qs {

struct ManifestUser {
    std::string user;       // also the name of the user's output folder: letters, digits, . _ - only
    std::string audio;      // absolute path
    double targetMb = 0;    // 0: not given
    double targetBits = 0;  // 0: not given
    std::string profile;    // empty: not given
    int line = 0;           // 1-based line in the manifest, for messages
};

// Reads and checks the whole manifest. Throws InputError naming the file, the line and the fault
// (missing column, unknown column, empty or duplicate user, a user name unfit for a folder, a budget
// that is not a positive number, both budgets given).
std::vector<ManifestUser> readManifest(const std::string& path);

// The index to run: `given` when set, else SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX. Throws
// InputError when none is set, when it is not a whole number, or when it is not below `users`.
int manifestIndex(std::optional<int> given, std::size_t users);

}  // namespace qs
