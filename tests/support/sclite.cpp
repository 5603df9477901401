// sclite on trn files and its raw summary's Sum line (sclite.h).
#include "tests/support/sclite.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QStringList>
#include <QTemporaryDir>

namespace qs::test {

QStringList scliteCommand() {
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("sclite"));
    if (!onPath.isEmpty()) return {onPath};
    if (QFileInfo(QStringLiteral("/usr/lib/sctk/bin/sclite")).isExecutable()) return {QStringLiteral("/usr/lib/sctk/bin/sclite")};
    const QString frontEnd = QStandardPaths::findExecutable(QStringLiteral("sctk"));
    if (!frontEnd.isEmpty()) return {frontEnd, QStringLiteral("sclite")};
    return {};
}

ScliteSum runSclite(const QString& reference, const QString& hypothesis) {
    ScliteSum sum;
    QStringList command = scliteCommand();
    if (command.isEmpty()) {
        sum.error = QStringLiteral("sclite is not installed (Debian package sctk)");
        return sum;
    }
    // sclite writes its reports next to the hypothesis unless told; -O keeps them in a scratch folder.
    QTemporaryDir scratch;
    const QString program = command.takeFirst();
    command << QStringLiteral("-r") << reference << QStringLiteral("trn") << QStringLiteral("-h") << hypothesis
            << QStringLiteral("trn") << QStringLiteral("-i") << QStringLiteral("rm") << QStringLiteral("-e")
            << QStringLiteral("utf-8") << QStringLiteral("-O") << scratch.path() << QStringLiteral("-o")
            << QStringLiteral("rsum") << QStringLiteral("stdout");
    QProcess p;
    p.start(program, command);
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit) {
        sum.error = QStringLiteral("sclite did not finish");
        return sum;
    }
    const QString out = QString::fromUtf8(p.readAllStandardOutput()) + QString::fromUtf8(p.readAllStandardError());
    // "| Sum/Avg |  300  2345 | 2000  250   60   35  345  120 |" (raw counts with -o rsum).
    static const QRegularExpression line(QStringLiteral(
        "\\|\\s*Sum(?:/Avg)?\\s*\\|\\s*(\\d+)\\s+(\\d+)\\s*\\|\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*\\|"));
    const QRegularExpressionMatch m = line.match(out);
    if (p.exitCode() != 0 || !m.hasMatch()) {
        sum.error = QStringLiteral("sclite failed (exit %1): %2").arg(p.exitCode()).arg(out.right(800));
        return sum;
    }
    sum.words = m.captured(2).toLongLong();
    sum.sub = m.captured(4).toLongLong();
    sum.del = m.captured(5).toLongLong();
    sum.ins = m.captured(6).toLongLong();
    sum.errors = m.captured(7).toLongLong();
    sum.ok = true;
    return sum;
}

}  // namespace qs::test
