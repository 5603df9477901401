// quantscope-cli: the headless face of quantscope. Argument parsing over core calls; every error
// becomes one line on stderr and a non-zero exit code.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "core/base/errors.h"

namespace {

const char* kUsage =
    "usage: quantscope-cli <command> [options]\n"
    "\n"
    "commands:\n"
    "  analyze   --model M.pt --audio DIR [--speaker NAME ...] [--max-clips N] [--threads N]\n"
    "            [--window-seconds S] [--raw-rate HZ] [--raw-channels N]\n"
    "            [--distance-clips N [--distance-bits B]] --out analysis.json\n"
    "  allocate  --analysis analysis.json --target-mb X\n"
    "            [--metric median|mean|max|abs_max|std|var|kl|l1|l2|cosine|sqnr]\n"
    "            [--order descending|ascending] [--min-bits N] [--speaker NAME] --out allocation.json\n"
    "  evaluate  --model M.pt --quantized DIR|Q.pt --audio DIR [--speaker NAME ...] [--max-clips N] [--threads N] --out evaluation.json\n"
    "  export    --model M.pt --analysis analysis.json --allocation allocation.json --out DIR\n"
    "            [--audio DIR] [--calibration-clips N] [--threads N]\n"
    "            [--weight-calibration mse|cosine|minmax|adaround|gptq] [--weight-granularity channel|tensor|group]\n"
    "            [--weight-group-size N] [--clip-candidates N] [--activation-bits N]\n"
    "            [--rounding-range mse|cosine|minmax] [--rounding-iterations N] [--rounding-rows N]\n"
    "            [--rounding-mode independent|sequential] [--rounding-memory-mb MB]\n"
    "            [--activation-calibration mse|percentile|minmax] [--activation-percentile P]\n"
    "            [--activation-groups K] [--outlier-ratio R] [--activation-groups-all]\n"
    "  figures   --analysis analysis.json [--allocation allocation.json] [--format png|pdf]\n"
    "            [--width W] [--height H] [--dpi N] --out DIR\n";

struct Command {
    const char* name;
    int (*run)(const std::vector<std::string>&);
};

const Command kCommands[] = {
    {"analyze", qs::cli::runAnalyze},
    {"allocate", qs::cli::runAllocate},
    {"evaluate", qs::cli::runEvaluate},
    {"export", qs::cli::runExport},
    {"figures", qs::cli::runFigures},
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string name = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    for (const Command& c : kCommands) {
        if (name != c.name) continue;
        try {
            return c.run(args);
        } catch (const qs::Cancelled&) {
            std::fprintf(stderr, "quantscope-cli %s: cancelled, nothing written\n", c.name);
            return 130;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "quantscope-cli %s: %s\n", c.name, e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "quantscope-cli: unknown command '%s'\n%s", name.c_str(), kUsage);
    return 2;
}
