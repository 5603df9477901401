#include "tests/support/cli_process.h"

#include <QProcess>

namespace qs::test {

CliRun runCli(const QString& program, const QString& command, const QStringList& args, int timeoutMs) {
    QProcess p;
    p.start(program, QStringList{command} + args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, QString::fromUtf8(p.readAllStandardError()), {}};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardError()),
            QString::fromUtf8(p.readAllStandardOutput())};
}

}  // namespace qs::test
