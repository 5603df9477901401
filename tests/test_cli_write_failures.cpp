// labels: e2e
// links: qs_allocation
// Writes that fail (item 5 of the reliability issue): quantscope-cli analyze and export under a
// file-size limit (RLIMIT_FSIZE, set in the child before exec: the CLI must ignore SIGXFSZ so the
// write fails with EFBIG), into a read-only folder (root's override capabilities dropped in the
// child) and onto a full disk (a tiny tmpfs mounted in a private mount namespace). Each must exit
// non-zero with one line saying what happened, and leave no partial file or folder; an export that
// fails leaves an earlier export in place.
#include <QtTest>

#include <QDir>
#include <QDirIterator>
#include <QProcess>
#include <QTemporaryDir>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <linux/capability.h>
#include <unistd.h>

#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/stats/analysis.h"
#include "tests/support/audio_files.h"
#include "tests/support/cli_process.h"

namespace {

QString fixture(const char* name) { return QStringLiteral(QS_FIXTURES_DIR) + "/" + name; }

struct Limits {
    rlim_t fileSize = RLIM_INFINITY;  // RLIMIT_FSIZE in bytes
    bool dropOverrides = false;       // drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (root ignores modes)
};

// Runs program with args in a child whose limits are set between fork and exec.
qs::test::CliRun runLimited(const QString& program, const QStringList& args, const Limits& limits) {
    QProcess p;
    p.setChildProcessModifier([limits] {
        if (limits.dropOverrides) {
            ::prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0);
            ::prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0);
        }
        if (limits.fileSize != RLIM_INFINITY) {
            const rlimit r{limits.fileSize, limits.fileSize};
            ::setrlimit(RLIMIT_FSIZE, &r);
        }
    });
    p.start(program, args);
    if (!p.waitForFinished(180000)) {
        p.kill();
        p.waitForFinished();
        return {-1, QString::fromUtf8(p.readAllStandardError()), {}};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardError()),
            QString::fromUtf8(p.readAllStandardOutput())};
}

QString lastLine(const QString& text) {
    const QStringList lines = text.split('\n', Qt::SkipEmptyParts);
    return lines.isEmpty() ? QString() : lines.back();
}

// Everything in dir, recursively, relative to it (what a failed run must not leave behind).
QStringList contents(const QString& dir) {
    QStringList out;
    QDirIterator it(dir, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) out << QDir(dir).relativeFilePath(it.next());
    out.sort();
    return out;
}

}  // namespace

class TestCliWriteFailures : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void analyzePastFileSizeLimit();
    void exportPastFileSizeLimit();
    void exportKeepsEarlierExport();
    void readOnlyFolder_data();
    void readOnlyFolder();
    void fullDisk_data();
    void fullDisk();

private:
    QStringList analyzeArgs(const QString& out) const {
        return {"analyze", "--model", model_, "--audio", audio_, "--out", out};
    }
    QStringList exportArgs(const QString& out) const {
        return {"export", "--model", model_, "--analysis", analysis_, "--allocation", allocation_, "--out", out,
                "--calibration-clips", "1"};
    }
    QString path(const QString& rel) const { return dir_.path() + "/" + rel; }
    QTemporaryDir dir_;
    QString model_, audio_, analysis_, allocation_;
};

void TestCliWriteFailures::initTestCase() {
    QVERIFY(dir_.isValid());
    model_ = fixture("w2v2_traced.pt");
    audio_ = path("audio");
    for (int i = 0; i < 2; ++i)
        qs::test::writeSine(path("audio/ann/a%1.wav").arg(i).toStdString(), qs::test::AudioFormat::Wav16, 16000, 1,
                            0.5, 220 + 90 * i, 0.5);
    analysis_ = path("analysis.json");
    const qs::test::CliRun a = qs::test::runCli(QStringLiteral(QS_CLI), "analyze",
                                                {"--model", model_, "--audio", audio_, "--out", analysis_});
    QVERIFY2(a.exitCode == 0, qPrintable(a.err));
    QVERIFY(QFileInfo(analysis_).size() > 16384);  // larger than every limit below
    const qs::Analysis analysis = qs::loadAnalysis(analysis_.toStdString());
    qs::AllocationRequest r;
    r.targetMb = analysis.model.sizeMb() * 0.2;
    allocation_ = path("allocation.json");
    qs::saveAllocation(allocation_.toStdString(), qs::allocateAnalysis(analysis, r));
}

void TestCliWriteFailures::analyzePastFileSizeLimit() {
    QDir().mkpath(path("limited"));
    const qs::test::CliRun r = runLimited(QS_CLI, analyzeArgs(path("limited/analysis.json")), {4096});
    QCOMPARE(r.exitCode, 1);  // not killed by SIGXFSZ
    QCOMPARE(lastLine(r.err), "quantscope-cli analyze: cannot write " + path("limited/analysis.json") +
                                  ": the file-size limit was reached (File too large)");
    QCOMPARE(contents(path("limited")), QStringList());
}

void TestCliWriteFailures::exportPastFileSizeLimit() {
    QDir().mkpath(path("limited-export"));
    const QString out = path("limited-export/q");
    const qs::test::CliRun r = runLimited(QS_CLI, exportArgs(out), {8192});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(lastLine(r.err), "quantscope-cli export: cannot write " + out +
                                  "/model.pt: the file-size limit was reached (File too large); nothing was written");
    QCOMPARE(contents(path("limited-export")), QStringList());
}

// A failed export into a folder that holds an earlier export leaves that export as it was.
void TestCliWriteFailures::exportKeepsEarlierExport() {
    QDir().mkpath(path("kept"));  // export writes into an existing folder (checked before any work)
    const QString out = path("kept/q");
    const qs::test::CliRun ok = qs::test::runProgram(QS_CLI, exportArgs(out));
    QVERIFY2(ok.exitCode == 0, qPrintable(ok.err));
    const QStringList before = contents(path("kept"));
    QVERIFY(before.contains("q/weights.safetensors"));
    QFile model(out + "/model.pt");
    QVERIFY(model.open(QIODevice::ReadOnly));
    const QByteArray bytes = model.readAll();
    model.close();

    const qs::test::CliRun r = runLimited(QS_CLI, exportArgs(out), {8192});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(lastLine(r.err).contains("the file-size limit was reached"), qPrintable(r.err));
    QCOMPARE(contents(path("kept")), before);
    QVERIFY(model.open(QIODevice::ReadOnly));
    QCOMPARE(model.readAll(), bytes);
}

void TestCliWriteFailures::readOnlyFolder_data() {
    QTest::addColumn<bool>("exportFolder");
    QTest::newRow("analyze") << false;
    QTest::newRow("export") << true;
}

// Refused before the long work starts, by checkWritable.
void TestCliWriteFailures::readOnlyFolder() {
    QFETCH(bool, exportFolder);
    const QString ro = path(exportFolder ? "ro-export" : "ro-analyze");
    QDir().mkpath(ro);
    QVERIFY(QFile::setPermissions(ro, QFileDevice::ReadOwner | QFileDevice::ExeOwner | QFileDevice::ReadGroup |
                                          QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::ExeOther));
    const QString out = ro + (exportFolder ? "/q" : "/analysis.json");
    const qs::test::CliRun r =
        runLimited(QS_CLI, exportFolder ? exportArgs(out) : analyzeArgs(out), {RLIM_INFINITY, true});
    QFile::setPermissions(ro, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    if (r.exitCode == 0 && ::geteuid() == 0) QSKIP("root's CAP_DAC_OVERRIDE cannot be dropped here");
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(lastLine(r.err).contains("folder " + ro + " is not writable"), qPrintable(r.err));
    QCOMPARE(contents(ro), QStringList());
}

void TestCliWriteFailures::fullDisk_data() {
    QTest::addColumn<bool>("exportFolder");
    QTest::newRow("analyze") << false;
    QTest::newRow("export") << true;
}

// A 8 KiB tmpfs in a private mount namespace (unshare: as root, or in a user namespace). The shell
// lists what is left on it after the CLI exits, since the mount goes with the namespace.
void TestCliWriteFailures::fullDisk() {
    QFETCH(bool, exportFolder);
    const QString disk = path(exportFolder ? "full-export" : "full-analyze");
    QDir().mkpath(disk);
    const QString out = disk + (exportFolder ? "/q" : "/analysis.json");
    const QString script = QStringLiteral(
        "mount -t tmpfs -o size=8k quantscope-full \"$0\" || exit 97; shift; \"$@\"; rc=$?; "
        "echo \"left:$(ls -A \"$0\" | tr '\\n' ' ')\"; exit $rc");
    QStringList args{"sh", "-c", script, disk, "x", QS_CLI};
    args += exportFolder ? exportArgs(out) : analyzeArgs(out);
    qs::test::CliRun r = qs::test::runProgram("unshare", QStringList{"-m"} + args);
    if (r.exitCode != 1) r = qs::test::runProgram("unshare", QStringList{"-Urm"} + args);
    if (r.exitCode != 1 && !r.out.contains("left:")) QSKIP(qPrintable("cannot mount a tmpfs here: " + r.err));
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(lastLine(r.err), exportFolder ? "quantscope-cli export: cannot write " + out +
                                                 "/model.pt: the disk is full (No space left on device); nothing was written"
                                           : "quantscope-cli analyze: cannot write " + out +
                                                 ": the disk is full (No space left on device)");
    QCOMPARE(r.out.trimmed(), QStringLiteral("left:"));
}

QTEST_GUILESS_MAIN(TestCliWriteFailures)
#include "test_cli_write_failures.moc"
