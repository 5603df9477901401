// The fleet table: every user's result.json under a root folder (what `personalize` writes into
// OUT/<user>/) collected into rows, written as one CSV, with the users that failed and why.
//
// result.json (written by personalize, read here) holds at least: user, index, status ("running"
// while it runs, then "ok" or "failed"), and for a failure `failure` (bad_audio, bad_model, budget, cancelled, error) and `reason`;
// for a success the measures below. Missing measures read as NaN (empty in the CSV).
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace qs {

struct FleetRow {
    std::string user;
    int index = -1;
    std::string status;   // "ok", "failed", "incomplete" (still "running": killed), or "missing" (no result.json)
    std::string failure;  // kind, for failures
    std::string reason;   // one line, for failures
    double targetMb = NAN, sizeMb = NAN, floatSizeMb = NAN, averageBits = NAN;
    double wer = NAN, werFloat = NAN, werVsFloat = NAN, sqnrDb = NAN;
    int tuneClips = 0, testClips = 0;
    double audioSeconds = NAN;   // tune + test audio
    double seconds = NAN;        // wall time of the steps that ran (skipped steps count their recorded time)
    double cpuSeconds = NAN;     // CPU time of the process, summed over its runs
    double storageMb = NAN;      // the user's folder on disk
};

// Every OUT/<user>/result.json, sorted by index then user. A folder without one is a "missing" row;
// an unreadable one a "failed" row whose reason says so. Throws InputError when root is not a folder.
std::vector<FleetRow> readFleet(const std::string& root);

// One header line and one line per row (atomic). Columns: user, index, status, failure, reason,
// target_mb, size_mb, float_size_mb, average_bits, wer, wer_float, wer_vs_float, sqnr_db, tune_clips,
// test_clips, audio_minutes, seconds, cpu_seconds, cpu_seconds_per_audio_minute, storage_mb.
void writeFleetCsv(const std::string& path, const std::vector<FleetRow>& rows);
std::string fleetCsv(const std::vector<FleetRow>& rows);

// The array indices of rows that did not succeed, as Slurm's --array wants them ("1,4-6"); empty when
// every user succeeded.
std::string failedIndices(const std::vector<FleetRow>& rows);

}  // namespace qs
