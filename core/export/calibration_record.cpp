// Calibration files of an export folder: their names and reading them back.
#include "core/export/calibration_record.h"

#include <filesystem>

#include "core/base/errors.h"
#include "core/base/json_io.h"

namespace fs = std::filesystem;

namespace qs {

std::string calibrationFileKey(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::absolute(path, ec);
    if (!ec) p = fs::weakly_canonical(p, ec);
    return (ec ? fs::path(path).lexically_normal() : p).generic_string();
}

std::set<std::string> readCalibrationFiles(const std::string& exportDir) {
    const fs::path file = fs::path(exportDir) / "encodings.json";
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return {};
    const nlohmann::json j = readJson(file.string());
    std::set<std::string> files;
    if (!j.contains("calibration_clips")) return files;
    try {
        for (const auto& f : j.at("calibration_clips")) files.insert(f.get<std::string>());
    } catch (const nlohmann::json::exception&) {
        throw InputError(file.string() + ": 'calibration_clips' must be a list of file names");
    }
    return files;
}

}  // namespace qs
