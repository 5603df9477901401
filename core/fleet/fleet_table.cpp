// Reading every user's result.json into the fleet table, its CSV, and the failed indices (fleet_table.h).
#include "core/fleet/fleet_table.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/base/number_text.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

double number(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

int whole(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

std::string str(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double folderMb(const fs::path& dir) {
    std::uintmax_t bytes = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec)) bytes += it->file_size(ec);
    return double(bytes) / (1024.0 * 1024.0);
}

std::string field(double v, const char* format = "%.6g") { return std::isfinite(v) ? numberText(v, format) : ""; }

std::string csvText(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
    return q + "\"";
}

}  // namespace

std::vector<FleetRow> readFleet(const std::string& root) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) throw InputError("the fleet folder " + root + " does not exist");
    std::vector<FleetRow> rows;
    for (const fs::directory_entry& d : fs::directory_iterator(root)) {
        if (!d.is_directory()) continue;
        FleetRow r;
        r.user = d.path().filename().string();
        const fs::path result = d.path() / "result.json";
        if (!fs::exists(result)) {
            if (!fs::exists(d.path() / "steps.json")) continue;  // not a user's folder
            r.status = "missing";
            r.reason = "no result.json: the run did not finish";
            rows.push_back(r);
            continue;
        }
        try {
            const nlohmann::json j = readJson(result.string());
            r.user = str(j, "user").empty() ? r.user : str(j, "user");
            r.index = j.contains("index") && j["index"].is_number_integer() ? j["index"].get<int>() : -1;
            r.status = str(j, "status");
            r.failure = str(j, "failure");
            r.reason = str(j, "reason");
            r.targetMb = number(j, "target_mb");
            r.sizeMb = number(j, "size_mb");
            r.floatSizeMb = number(j, "float_size_mb");
            r.averageBits = number(j, "average_bits");
            r.wer = number(j, "wer");
            r.werFloat = number(j, "wer_float");
            r.werVsFloat = number(j, "wer_vs_float");
            r.sqnrDb = number(j, "sqnr_db");
            r.tuneClips = whole(j, "tune_clips");
            r.testClips = whole(j, "test_clips");
            r.audioSeconds = number(j, "audio_seconds");
            r.seconds = number(j, "seconds");
            r.cpuSeconds = number(j, "cpu_seconds");
        } catch (const std::exception& e) {
            r.status = "failed";
            r.failure = "error";
            r.reason = std::string("result.json cannot be read: ") + e.what();
        }
        if (r.status == "running") {
            r.status = "incomplete";
            r.reason = "the run did not finish (killed, or still running)";
        } else if (r.status != "ok" && r.status != "failed") {
            r.reason = "result.json has status '" + r.status + "'";
            r.status = "failed";
        }
        r.storageMb = folderMb(d.path());
        rows.push_back(r);
    }
    std::sort(rows.begin(), rows.end(), [](const FleetRow& a, const FleetRow& b) {
        return a.index != b.index ? a.index < b.index : a.user < b.user;
    });
    return rows;
}

std::string fleetCsv(const std::vector<FleetRow>& rows) {
    std::ostringstream out;
    out << "user,index,status,failure,reason,target_mb,size_mb,float_size_mb,average_bits,wer,wer_float,wer_vs_float,"
           "sqnr_db,tune_clips,test_clips,audio_minutes,seconds,cpu_seconds,cpu_seconds_per_audio_minute,storage_mb\n";
    for (const FleetRow& r : rows) {
        const double minutes = r.audioSeconds / 60.0;
        out << csvText(r.user) << ',' << (r.index >= 0 ? std::to_string(r.index) : "") << ',' << r.status << ','
            << r.failure << ',' << csvText(r.reason) << ',' << field(r.targetMb) << ',' << field(r.sizeMb) << ','
            << field(r.floatSizeMb) << ',' << field(r.averageBits) << ',' << field(r.wer) << ',' << field(r.werFloat)
            << ',' << field(r.werVsFloat) << ',' << field(r.sqnrDb) << ',' << r.tuneClips << ',' << r.testClips << ','
            << field(minutes) << ',' << field(r.seconds) << ',' << field(r.cpuSeconds) << ','
            << field(minutes > 0 ? r.cpuSeconds / minutes : NAN) << ',' << field(r.storageMb) << '\n';
    }
    return out.str();
}

void writeFleetCsv(const std::string& path, const std::vector<FleetRow>& rows) { writeFileAtomic(path, fleetCsv(rows)); }

std::string failedIndices(const std::vector<FleetRow>& rows) {
    std::vector<int> failed;
    for (const FleetRow& r : rows)
        if (r.status != "ok" && r.index >= 0) failed.push_back(r.index);
    std::sort(failed.begin(), failed.end());
    failed.erase(std::unique(failed.begin(), failed.end()), failed.end());
    std::string out;
    for (std::size_t i = 0; i < failed.size();) {
        std::size_t j = i;
        while (j + 1 < failed.size() && failed[j + 1] == failed[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(failed[i]) + (j > i ? "-" + std::to_string(failed[j]) : "");
        i = j + 1;
    }
    return out;
}

}  // namespace qs
