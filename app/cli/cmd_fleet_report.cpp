// quantscope-cli fleet-report: every user's result under a fleet folder (what personalize writes) as
// one CSV and one figure of how WER, WER against float, SQNR, size and CPU time are spread over the
// users; the users that failed are listed with their reasons. --failed-indices prints only the array
// indices to rerun (for sbatch --array).
#include <cstdio>
#include <filesystem>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/studio_process.h"
#include "core/base/errors.h"
#include "core/fleet/fleet_table.h"

namespace qs::cli {

OptionSpec fleetReportOptions() {
    OptionSpec spec;
    spec.values = {"root", "out", "format", "width", "height", "dpi"};
    spec.switches = {"failed-indices", "no-figure"};
    spec.choices = {{"format", {"png", "pdf"}}};
    return spec;
}

int runFleetReport(const std::vector<std::string>& argv) {
    namespace fs = std::filesystem;
    const Args args(argv, fleetReportOptions());
    const std::string root = args.required("root");
    const std::vector<FleetRow> rows = readFleet(root);
    if (args.has("failed-indices")) {
        const std::string failed = failedIndices(rows);
        if (!failed.empty()) std::printf("%s\n", failed.c_str());
        return 0;
    }
    const std::string out = args.required("out");
    const std::string format = args.choice("format", "png");
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) throw InputError("cannot create the folder " + out + ": " + ec.message());
    const std::string csv = (fs::path(out) / "fleet.csv").string();
    writeFleetCsv(csv, rows);
    std::printf("%s\n", csv.c_str());
    int ok = 0;
    for (const FleetRow& r : rows) {
        if (r.status == "ok") {
            ++ok;
            continue;
        }
        std::fprintf(stderr, "fleet-report: %s (index %d) %s: %s\n", r.user.c_str(), r.index, r.status.c_str(),
                     r.reason.c_str());
    }
    std::fprintf(stderr, "fleet-report: %zu users, %d succeeded, %zu did not\n", rows.size(), ok, rows.size() - ok);
    if (!args.has("no-figure"))
        std::fputs(runStudioHeadless({"--fleet", fs::absolute(root).string(), "--export-figures", fs::absolute(out).string(),
                                      "--figure-format", format, "--figure-size",
                                      std::to_string(args.getInt("width", 1200)) + "x" +
                                          std::to_string(args.getInt("height", 500)),
                                      "--figure-dpi", std::to_string(args.getInt("dpi", 150))})
                       .c_str(),
                   stdout);
    return 0;
}

}  // namespace qs::cli
