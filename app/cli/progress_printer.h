// Progress on stderr for long CLI commands, and Ctrl-C as a cancel request. On a terminal the status
// line is redrawn in place; otherwise (logs, CI) a line is printed every few seconds.
#pragma once

#include <chrono>
#include <string>

#include "core/base/progress.h"

namespace qs::cli {

class ProgressPrinter {
public:
    // unit names what Progress::done counts ("clips", "layers"); audio seconds are shown for clips.
    explicit ProgressPrinter(std::string verb, std::string unit = "clips");
    ~ProgressPrinter();

    // The callback to hand to core: prints, and returns false once Ctrl-C was pressed.
    ProgressFn callback();
    void finish();  // ends the status line

private:
    bool print(const Progress& p);
    std::string verb_;
    std::string unit_;
    bool tty_;
    bool open_ = false;
    std::size_t lastDone_ = std::size_t(-1);
    std::chrono::steady_clock::time_point start_, lastLine_;
};

}  // namespace qs::cli
