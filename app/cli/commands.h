// One function per quantscope-cli subcommand. Each takes the arguments after the subcommand name,
// returns the exit code, and lets qs::Error propagate to main, which prints it as one line. Each
// also declares the options it accepts (its table), which parsing, shell completion and the check
// against the usage text share.
#pragma once

#include <string>
#include <vector>

#include "app/cli/args.h"

namespace qs::cli {

int runAnalyze(const std::vector<std::string>& args);
int runAllocate(const std::vector<std::string>& args);
int runEvaluate(const std::vector<std::string>& args);
int runExport(const std::vector<std::string>& args);
int runFigures(const std::vector<std::string>& args);
int runFleetReport(const std::vector<std::string>& args);
int runCompare(const std::vector<std::string>& args);
int runPersonalize(const std::vector<std::string>& args);
int runScoring(const std::vector<std::string>& args);

OptionSpec analyzeOptions();
OptionSpec allocateOptions();
OptionSpec evaluateOptions();
OptionSpec exportOptions();
OptionSpec figuresOptions();
OptionSpec fleetReportOptions();
OptionSpec compareOptions();
OptionSpec personalizeOptions();
OptionSpec scoringOptions();

// A row of the command table (app/cli/main.cpp). options may be null for a command without a
// table: completion then offers only file names for it.
struct Command {
    const char* name;
    int (*run)(const std::vector<std::string>& args);
    OptionSpec (*options)();
};

}  // namespace qs::cli
