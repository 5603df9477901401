// Which audio files a calibration read, as an export folder records them (encodings.json,
// `calibration_clips`), so that an evaluation can leave them out: quality is never measured on
// the clips the calibration saw.
#pragma once

#include <set>
#include <string>

namespace qs {

// How calibration files are named: absolute, symlinks resolved, '/'-separated.
std::string calibrationFileKey(const std::string& path);

// The calibration files an export folder lists; empty when it lists none (older exports, weights
// calibrated without audio). Throws InputError on a malformed encodings.json.
std::set<std::string> readCalibrationFiles(const std::string& exportDir);

}  // namespace qs
