// Progress on stderr for long CLI commands, and Ctrl-C as a cancel request. On a terminal the status
// line is redrawn in place; otherwise (logs, CI) a line is printed every few seconds. While a printer
// lives, Ctrl-C (or SIGTERM) sets a flag that the main thread's CancelScope, and through it every
// worker of a job the command runs, checks at each layer of a forward pass: a job stops within a
// second, not at its next progress report.
#pragma once

#include <chrono>
#include <string>

#include "core/base/cancel.h"
#include "core/base/progress.h"

namespace qs::cli {

class ProgressPrinter {
public:
    // unit names what Progress::done counts ("clips", "layers"); audio seconds are shown for clips.
    explicit ProgressPrinter(std::string verb, std::string unit = "clips");
    ~ProgressPrinter();

    // The callback to hand to core: prints, and returns false once Ctrl-C was pressed.
    ProgressFn callback();
    // While on, Ctrl-C or SIGTERM ends the process at once (exit code 130, the "cancelled, nothing
    // written" line): for steps that write nothing and cannot stop part-way, loading the engine and
    // the models (dlopen and TorchScript's loader take seconds on a busy machine). A request that
    // came earlier ends it as soon as it is turned on.
    void exitAtOnce(bool on);
    void finish();  // ends the status line

private:
    bool print(const Progress& p);
    CancelScope cancel_;
    std::string verb_;
    std::string unit_;
    bool tty_;
    bool open_ = false;
    std::size_t lastDone_ = std::size_t(-1);
    std::chrono::steady_clock::time_point start_, lastLine_, lastDraw_;
    void (*previousInt_)(int) = nullptr;
    void (*previousTerm_)(int) = nullptr;
    bool previousExitNow_ = false;
    char previousExitLine_[160] = {};
    std::size_t previousExitLineLength_ = 0;
};

// For a job that keeps a record of its state on disk (personalize's result.json says "running"):
// while an ExitRecord lives, a Ctrl-C or SIGTERM that ends the process at once (between steps, or in
// a step's exitAtOnce) first renames `prepared`, a record the caller wrote beforehand saying the job
// was cancelled, over `record` (rename is async-signal-safe), and prints `line` on the terminal. So
// the record never says "running" after the process is gone. A step's own printer turns this off
// while its job can stop by itself. The destructor removes `prepared`. One at a time.
class ExitRecord {
public:
    ExitRecord(const std::string& prepared, const std::string& record, const std::string& line);
    ~ExitRecord();
    // From here on a Ctrl-C only sets the cancel flag: for writing the final record.
    void disarm();
    ExitRecord(const ExitRecord&) = delete;
    ExitRecord& operator=(const ExitRecord&) = delete;

private:
    void (*previousInt_)(int) = nullptr;
    void (*previousTerm_)(int) = nullptr;
};

}  // namespace qs::cli
