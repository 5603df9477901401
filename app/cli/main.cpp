// quantscope-cli: the headless face of quantscope. Argument parsing over core calls; every error
// becomes one line on stderr and a non-zero exit code.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/completion.h"
#include "core/base/errors.h"
#include "core/base/version.h"

namespace {

const char* kUsage =
    "Usage: quantscope-cli <command> [options]\n"
    "       quantscope-cli --version\n"
    "\n"
    "Commands:\n"
    "  analyze   --model M.pt --audio DIR [--speaker NAME ...] [--max-clips N] [--threads N]\n"
    "            [--window-seconds S] [--raw-rate HZ] [--raw-channels N] [--max-memory SIZE]\n"
    "            [--test-fraction F | --split split.csv] [--speaker-groups FILE [--group-by ATTR]]\n"
    "            [--distance-clips N [--distance-bits B]] --out analysis.json\n"
    "  allocate  --analysis analysis.json --target-mb X\n"
    "            [--metric median|mean|max|abs_max|std|var|kl|l1|l2|cosine|sqnr]\n"
    "            [--order descending|ascending] [--min-bits N] [--spread S] [--speaker NAME | --profile NAME]\n"
    "            [--fit-files [--weight-granularity channel|tensor|group] [--weight-group-size N]]\n"
    "            --out allocation.json\n"
    "  evaluate  --model M.pt --quantized DIR|Q.pt --audio DIR [--speaker NAME ...] [--max-clips N] [--threads N]\n"
    "            [--window-seconds S] [--raw-rate HZ] [--raw-channels N] [--max-memory SIZE] [--trn DIR]\n"
    "            [--test-fraction F | --split split.csv] [--speaker-groups FILE [--group-by ATTR]] --out evaluation.json\n"
    "  export    --model M.pt --analysis analysis.json --allocation allocation.json --out DIR\n"
    "            [--audio DIR] [--calibration-clips N] [--threads N] [--max-memory SIZE]\n"
    "            [--weight-calibration mse|cosine|minmax|adaround|gptq] [--weight-granularity channel|tensor|group]\n"
    "            [--weight-group-size N] [--clip-candidates N] [--activation-bits N]\n"
    "            [--rounding-range mse|cosine|minmax] [--rounding-iterations N] [--rounding-rows N]\n"
    "            [--rounding-mode independent|sequential] [--rounding-memory-mb MB]\n"
    "            [--activation-calibration mse|percentile|minmax] [--activation-percentile P]\n"
    "            [--activation-groups K] [--outlier-ratio R] [--activation-groups-all]\n"
    "            [--format torchscript|onnx]\n"
    "  figures   --analysis analysis.json [--allocation allocation.json] [--format png|pdf]\n"
    "            [--width W] [--height H] [--dpi N] --out DIR\n"
    "  compare   --model M.pt --audio DIR (--target-bits B[,B...] | --target-mb X[,X...]) --out DIR\n"
    "            [--spread S[,S...]] [--test-fraction F | --split split.csv] [--speaker-groups FILE [--group-by ATTR]]\n"
    "            [--profile NAME ...] [--speaker NAME ...] [--max-clips N] [--window-seconds S] [--raw-rate HZ]\n"
    "            [--raw-channels N] [--metric median|mean|max|abs_max|std|var|kl|l1|l2|cosine|sqnr]\n"
    "            [--order descending|ascending] [--min-bits N] [--distance-clips N] [--distance-bits B]\n"
    "            [--calibration-clips N] [--activation-bits N] [--weight-calibration mse|cosine|minmax]\n"
    "            [--activation-calibration mse|percentile|minmax] [--no-uniform] [--bootstrap N] [--confidence C]\n"
    "            [--seed N] [--threads N] [--max-memory SIZE]\n"
    "  personalize --model M.pt (--audio DIR [--user NAME] [--profile SPEAKER] | --manifest users.csv [--index N])\n"
    "            (--target-mb X | --target-bits B) --out ROOT [--test-fraction F | --split split.csv]\n"
    "            [--max-clips N] [--threads N] [--window-seconds S] [--raw-rate HZ] [--raw-channels N]\n"
    "            [--max-memory SIZE] [--speaker-groups FILE [--group-by ATTR]] [--distance-clips N [--distance-bits B]]\n"
    "            [--metric median|mean|max|abs_max|std|var|kl|l1|l2|cosine|sqnr] [--order descending|ascending]\n"
    "            [--min-bits N] [--spread S] [--fit-files] [--weight-granularity channel|tensor|group]\n"
    "            [--weight-group-size N] [--format torchscript|onnx] [--calibration-clips N] [--activation-bits N]\n"
    "            [--weight-calibration mse|cosine|minmax|adaround|gptq] [--clip-candidates N]\n"
    "            [--rounding-range mse|cosine|minmax] [--rounding-iterations N] [--rounding-rows N]\n"
    "            [--rounding-mode independent|sequential] [--rounding-memory-mb MB]\n"
    "            [--activation-calibration mse|percentile|minmax] [--activation-percentile P]\n"
    "            [--activation-groups K] [--outlier-ratio R] [--activation-groups-all]\n"
    "            Writes ROOT/<user>/. Exit 3: bad audio, 4: bad model, 5: budget unreachable, 130: cancelled.\n"
    "  scoring   --model M.pt --audio DIR (--target-bits B[,B...] | --target-mb X[,X...]) --out DIR\n"
    "            [--metric median|mean|max|abs_max|std|var|kl|l1|l2|cosine|sqnr ...] [--order descending|ascending ...]\n"
    "            [--random N] [--seed N] [--measure wer|cer|wer_vs_float|cer_vs_float|sqnr_db|kl]\n"
    "            [--per-profile] [--profile NAME ...] [--test-fraction F | --split split.csv]\n"
    "            [--speaker-groups FILE [--group-by ATTR]] [--speaker NAME ...] [--max-clips N] [--window-seconds S]\n"
    "            [--raw-rate HZ] [--raw-channels N] [--min-bits N] [--distance-clips N] [--distance-bits B]\n"
    "            [--calibration-clips N] [--activation-bits N] [--weight-calibration mse|cosine|minmax]\n"
    "            [--activation-calibration mse|percentile|minmax] [--bootstrap N] [--confidence C] [--threads N]\n"
    "            [--max-memory SIZE]\n"
    "            Rules: every --metric x --order (default all); the default median, descending always included.\n"
    "  fleet-report --root DIR --out DIR [--format png|pdf] [--width W] [--height H] [--dpi N] [--no-figure]\n"
    "            or --root DIR --failed-indices (the array indices of the users that did not succeed)\n"
    "\n"
    "Output files are written atomically. Exit status 0 on success; otherwise one line on stderr and\n"
    "a non-zero status (130 after Ctrl-C, which leaves no partial file).\n"
    "--max-memory SIZE (e.g. 4G, 512M) caps the process's memory; by default it may take half of the memory\n"
    "available. Fewer clips run side by side, or long recordings are cut into shorter windows, to stay within it.\n";

using qs::cli::Command;

const Command kCommands[] = {
    {"analyze", qs::cli::runAnalyze, qs::cli::analyzeOptions},
    {"allocate", qs::cli::runAllocate, qs::cli::allocateOptions},
    {"evaluate", qs::cli::runEvaluate, qs::cli::evaluateOptions},
    {"export", qs::cli::runExport, qs::cli::exportOptions},
    {"figures", qs::cli::runFigures, qs::cli::figuresOptions},
    {"compare", qs::cli::runCompare, qs::cli::compareOptions},
    {"personalize", qs::cli::runPersonalize, qs::cli::personalizeOptions},
    {"scoring", qs::cli::runScoring, qs::cli::scoringOptions},
    {"fleet-report", qs::cli::runFleetReport, qs::cli::fleetReportOptions},
};

}  // namespace

int main(int argc, char** argv) {
    // Past a file-size limit (ulimit -f) a write then fails with EFBIG, which the writers report and
    // clean up after, instead of the signal killing the process mid-file.
    std::signal(SIGXFSZ, SIG_IGN);
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string name = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    if (name == "--version") {
        std::printf("quantscope-cli %s\n", qs::versionText().c_str());
        return 0;
    }
    if (name == "--complete") {  // for the bash completion script, not listed in the usage
        for (const std::string& c : qs::cli::completions({std::begin(kCommands), std::end(kCommands)}, args))
            std::printf("%s\n", c.c_str());
        return 0;
    }
    for (const Command& c : kCommands) {
        if (name != c.name) continue;
        if (!args.empty() && (args.back() == "--help" || args.back() == "-h")) {  // "quantscope-cli allocate --help"
            std::fputs(kUsage, stdout);
            return 0;
        }
        try {
            return c.run(args);
        } catch (const qs::Cancelled&) {
            std::fprintf(stderr, "quantscope-cli %s: cancelled, nothing written\n", c.name);
            // Core has removed what it had begun; skip the static teardown (LibTorch's takes ~0.5 s
            // on a busy machine) so the process ends as promptly as the job did.
            std::fflush(nullptr);
            std::_Exit(130);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "quantscope-cli %s: %s\n", c.name, e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "quantscope-cli: unknown command '%s'\n%s", name.c_str(), kUsage);
    return 2;
}
