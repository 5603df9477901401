// QProcess wrappers for the e2e tests (cli_process.h).
#include "tests/support/cli_process.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

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

CliRun runMeasured(const QString& program, const QStringList& args, int timeoutMs) {
    QTemporaryDir dir;
    const QByteArray out = dir.filePath(QStringLiteral("out")).toLocal8Bit(), err = dir.filePath(QStringLiteral("err")).toLocal8Bit();
    std::vector<QByteArray> words{program.toLocal8Bit()};
    for (const QString& a : args) words.push_back(a.toLocal8Bit());
    std::vector<char*> argv;
    for (QByteArray& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, out.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&files, 2, err.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    CliRun run;
    if (spawned != 0) return run;
    QElapsedTimer clock;
    clock.start();
    int status = 0;
    rusage usage{};
    for (;;) {
        const pid_t done = wait4(pid, &status, WNOHANG, &usage);
        if (done == pid) break;
        if (clock.elapsed() > timeoutMs) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &usage);
            status = -1;
            break;
        }
        QThread::msleep(20);
    }
    auto read = [](const QByteArray& path) {
        QFile f(QString::fromLocal8Bit(path));
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    };
    run.exitCode = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = read(out);
    run.err = read(err);
    run.peakRssKiB = usage.ru_maxrss;
    return run;
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
