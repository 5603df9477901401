// QProcess wrappers for the e2e tests (cli_process.h).
#include "tests/support/cli_process.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>

namespace qs::test {

CliRun runProgram(const QString& program, const QStringList& args, const QStringList& env, int timeoutMs) {
    QProcess p;
    if (!env.isEmpty()) {
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        for (const QString& kv : env) {
            if (kv.startsWith('-')) e.remove(kv.mid(1));
            else e.insert(kv.section('=', 0, 0), kv.section('=', 1));
        }
        p.setProcessEnvironment(e);
    }
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, QString::fromUtf8(p.readAllStandardError()), {}};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardError()),
            QString::fromUtf8(p.readAllStandardOutput())};
}

CliRun runCli(const QString& program, const QString& command, const QStringList& args, int timeoutMs) {
    return runProgram(program, QStringList{command} + args, {}, timeoutMs);
}

QStringList loadedLibraries(const QString& program, const QStringList& args, CliRun* run) {
    const CliRun r = runProgram(program, args, {QStringLiteral("LD_DEBUG=files")});
    if (run) *run = r;
    // ld.so prints "     1234:	file=libfoo.so.1 [0];  needed by ..." (or "dynamically loaded by").
    static const QRegularExpression file(QStringLiteral("file=(\\S+)\\s+\\[\\d+\\];\\s+(needed|dynamically loaded) by"));
    QStringList out;
    for (auto it = file.globalMatch(r.err); it.hasNext();) {
        const QString name = QFileInfo(it.next().captured(1)).fileName();
        if (!out.contains(name)) out << name;
    }
    return out;
}

}  // namespace qs::test
