// One function per quantscope-cli subcommand. Each takes the arguments after the subcommand name,
// returns the exit code, and lets qs::Error propagate to main, which prints it as one line.
#pragma once

#include <string>
#include <vector>

namespace qs::cli {

int runAnalyze(const std::vector<std::string>& args);
int runAllocate(const std::vector<std::string>& args);
int runEvaluate(const std::vector<std::string>& args);
int runExport(const std::vector<std::string>& args);
int runFigures(const std::vector<std::string>& args);
int runCompare(const std::vector<std::string>& args);

}  // namespace qs::cli
