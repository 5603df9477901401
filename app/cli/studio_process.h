// Running the studio binary headless from the CLI: the figures are the studio's own QCustomPlot views,
// drawn by `quantscope` (installed beside quantscope-cli) on Qt's offscreen platform, so the CLI itself
// stays free of Qt. Used by `figures` and `fleet-report`.
#pragma once

#include <string>
#include <vector>

namespace qs::cli {

// The studio binary beside this executable. Throws InputError when it is missing.
std::string studioBinary();

// Runs the studio with args (after the binary) with QT_QPA_PLATFORM=offscreen and returns the files
// it printed on stdout. Throws InputError with the studio's own last "quantscope: ..." line (or its
// exit code) when it fails.
std::string runStudioHeadless(const std::vector<std::string>& args);

}  // namespace qs::cli
