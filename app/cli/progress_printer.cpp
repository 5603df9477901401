// The stderr progress line (redrawn on a terminal, a line per step in logs) and the SIGINT handler
// that cancels.
#include "app/cli/progress_printer.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace qs::cli {
namespace {

std::atomic<bool> interrupted{false};
std::atomic<bool> exitNow{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the SIGINT handler sets it");
char exitLine[160];
std::size_t exitLineLength = 0;

// The ExitRecord in force: the file to rename over the record, and the line for the terminal.
std::atomic<bool> recordArmed{false};
char recordFrom[4096], recordTo[4096], recordLine[160];
std::size_t recordLineLength = 0;
int recordFd = -1;

// Only async-signal-safe calls: write, rename and _exit.
extern "C" void onInterrupt(int) {
    interrupted = true;
    if (exitNow) {
        const bool record = recordArmed;
        if (record) ::rename(recordFrom, recordTo);
        [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, exitLine, exitLineLength);
        if (record && recordFd >= 0) n = ::write(recordFd, recordLine, recordLineLength);
        ::_exit(130);
    }
}

std::size_t copyText(char* to, std::size_t size, const std::string& text) {
    const std::size_t n = std::min(text.size(), size - 1);
    std::memcpy(to, text.data(), n);
    to[n] = '\0';
    return n;
}

}  // namespace

ProgressPrinter::ProgressPrinter(std::string verb, std::string unit)
    : cancel_(&interrupted), verb_(std::move(verb)), unit_(std::move(unit)), tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), lastLine_(start_), lastDraw_(start_) {
    // An enclosing ExitRecord's exit-at-once is off while this printer's job can stop by itself.
    previousExitNow_ = exitNow.exchange(false);
    std::memcpy(previousExitLine_, exitLine, sizeof exitLine);
    previousExitLineLength_ = exitLineLength;
    interrupted = false;
    previousInt_ = std::signal(SIGINT, onInterrupt);
    previousTerm_ = std::signal(SIGTERM, onInterrupt);
}

ProgressPrinter::~ProgressPrinter() {
    exitNow = false;
    std::memcpy(exitLine, previousExitLine_, sizeof exitLine);
    exitLineLength = previousExitLineLength_;
    finish();
    // An enclosing printer's handler stays in place (analyze's distance passes nest one).
    std::signal(SIGINT, previousInt_ == SIG_ERR ? SIG_DFL : previousInt_);
    std::signal(SIGTERM, previousTerm_ == SIG_ERR ? SIG_DFL : previousTerm_);
    exitNow = previousExitNow_;
}

void ProgressPrinter::exitAtOnce(bool on) {
    if (on) {
        exitLineLength = std::size_t(std::snprintf(exitLine, sizeof exitLine, "quantscope-cli %s: cancelled, nothing written\n",
                                                   verb_.c_str()));
        exitLineLength = std::min(exitLineLength, sizeof exitLine - 1);
    }
    exitNow = on;
    if (on && interrupted) onInterrupt(SIGINT);
}

ProgressFn ProgressPrinter::callback() {
    return [this](const Progress& p) { return print(p); };
}

ExitRecord::ExitRecord(const std::string& prepared, const std::string& record, const std::string& line) {
    copyText(recordFrom, sizeof recordFrom, prepared);
    copyText(recordTo, sizeof recordTo, record);
    recordLineLength = copyText(recordLine, sizeof recordLine, line + "\n");
    exitLineLength = 0;  // between steps the terminal gets the record's line alone
    recordFd = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);  // the terminal, also while a step's stderr goes to a log
    interrupted = false;
    recordArmed = true;
    previousInt_ = std::signal(SIGINT, onInterrupt);
    previousTerm_ = std::signal(SIGTERM, onInterrupt);
    exitNow = true;
}

void ExitRecord::disarm() {
    exitNow = false;
    recordArmed = false;
}

ExitRecord::~ExitRecord() {
    disarm();
    std::signal(SIGINT, previousInt_ == SIG_ERR ? SIG_DFL : previousInt_);
    std::signal(SIGTERM, previousTerm_ == SIG_ERR ? SIG_DFL : previousTerm_);
    if (recordFd >= 0) ::close(recordFd);
    recordFd = -1;
    ::unlink(recordFrom);
}

bool ProgressPrinter::print(const Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    // Off a terminal: a line every 5 s, and one when the last unit is done.
    const bool due = std::chrono::duration<double>(now - lastLine_).count() >= 5.0 ||
                     (p.done == p.total && p.done != lastDone_);
    if (!tty_ && !due) return !interrupted;
    // On a terminal: redrawn at most ten times a second (core asks every 50 ms) or when a unit is done.
    if (tty_ && p.done == lastDone_ && std::chrono::duration<double>(now - lastDraw_).count() < 0.1) return !interrupted;
    lastDraw_ = now;
    lastLine_ = now;
    lastDone_ = p.done;
    char line[256];
    const double rate = elapsed > 0 ? p.seconds / elapsed : 0.0;
    if (p.total == 0)  // a step without units, e.g. "writing DIR"
        std::snprintf(line, sizeof line, "%s: %s", verb_.c_str(), p.message.c_str());
    else if (p.seconds > 0)
        std::snprintf(line, sizeof line, "%s: %zu/%zu %s, %.1f s of audio, %.1fx real time, %.0f s elapsed",
                      verb_.c_str(), p.done, p.total, unit_.c_str(), p.seconds, rate, elapsed);
    else
        std::snprintf(line, sizeof line, "%s: %zu/%zu %s, %.0f s elapsed", verb_.c_str(), p.done, p.total,
                      unit_.c_str(), elapsed);
    if (tty_) {
        std::fprintf(stderr, "\r%-100s", line);
        open_ = true;
    } else {
        std::fprintf(stderr, "%s\n", line);
    }
    std::fflush(stderr);
    return !interrupted;
}

void ProgressPrinter::finish() {
    if (open_) std::fputc('\n', stderr);
    open_ = false;
}

}  // namespace qs::cli
