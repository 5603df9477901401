// quantscope-cli figures: the studio's figures of a saved analysis (and allocation) as PNG or PDF.
//
// The figures are the studio's own QCustomPlot views, so they are drawn by the studio binary
// (`quantscope`, installed beside this one) in its headless mode on Qt's offscreen platform; this
// command checks the inputs first, so that bad files fail here with one line, then runs it and
// relays the files it wrote. quantscope-cli itself stays free of Qt.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/studio_process.h"
#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/stats/analysis.h"
#include "core/base/errors.h"

namespace qs::cli {

namespace fs = std::filesystem;

OptionSpec figuresOptions() {
    OptionSpec spec;
    spec.values = {"analysis", "allocation", "format", "out", "width", "height", "dpi"};
    spec.choices = {{"format", {"png", "pdf"}}};
    return spec;
}

int runFigures(const std::vector<std::string>& argv) {
    const Args args(argv, figuresOptions());
    const std::string analysisPath = args.required("analysis");
    const std::string out = args.required("out");
    const std::string format = args.choice("format", "png");
    const int width = args.getInt("width", 1200), height = args.getInt("height", 600), dpi = args.getInt("dpi", 150);
    if (width < 50 || height < 50) throw InputError("--width and --height must be 50 or more");
    if (dpi < 30) throw InputError("--dpi must be 30 or more");

    // Checked here, so that bad input is one line from this command rather than the studio's.
    const Analysis analysis = loadAnalysis(analysisPath);
    std::vector<std::string> studio = {"--analysis", fs::absolute(analysisPath).string()};
    if (args.has("allocation")) {
        const std::string allocationPath = args.required("allocation");
        const Allocation allocation = loadAllocation(allocationPath);
        if (!sameLayers(allocation, analysis))
            throw InputError(allocationPath + " does not belong to " + analysisPath +
                             ": its layers differ (made from another model?)");
        studio.insert(studio.end(), {"--allocation", fs::absolute(allocationPath).string()});
    }
    studio.insert(studio.end(), {"--export-figures", fs::absolute(out).string(), "--figure-format", format,
                                 "--figure-size", std::to_string(width) + "x" + std::to_string(height),
                                 "--figure-dpi", std::to_string(dpi)});

    std::fputs(runStudioHeadless(studio).c_str(), stdout);
    return 0;
}

}  // namespace qs::cli
