// Runs quantscope-cli (QS_CLI) as the e2e tests do: one subcommand, its arguments, a time limit.
#pragma once

#include <QString>
#include <QStringList>

namespace qs::test {

struct CliRun {
    int exitCode = -1;  // -1: crashed or timed out
    QString err;
    QString out;
};

CliRun runCli(const QString& program, const QString& command, const QStringList& args, int timeoutMs = 120000);

}  // namespace qs::test
