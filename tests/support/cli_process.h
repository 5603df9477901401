// Runs quantscope-cli (QS_CLI) as the e2e tests do: one subcommand, its arguments, a time limit; and
// which shared libraries a program run loaded (the LibTorch boundary's tests).
#pragma once

#include <QString>
#include <QStringList>

namespace qs::test {

struct CliRun {
    int exitCode = -1;  // -1: crashed or timed out
    QString err;
    QString out;
    long peakRssKiB = -1;  // the process's peak resident memory (runMeasured only)
};

// program with args (and extra "NAME=value" environment entries; "-NAME" removes NAME).
CliRun runProgram(const QString& program, const QStringList& args, const QStringList& env = {},
                  int timeoutMs = 120000);
CliRun runCli(const QString& program, const QString& command, const QStringList& args, int timeoutMs = 120000);

// runProgram without QProcess, so that the process's own peak resident memory can be read as it is
// reaped (wait4's rusage; QProcess reaps its children itself).
CliRun runMeasured(const QString& program, const QStringList& args, int timeoutMs = 300000);

// The file names of the shared libraries the dynamic loader opened while running program with args
// (from LD_DEBUG=files), e.g. "libqs_engine.so", "libtorch_cpu.so". Fails the run's exit code aside.
QStringList loadedLibraries(const QString& program, const QStringList& args, CliRun* run = nullptr);

}  // namespace qs::test
