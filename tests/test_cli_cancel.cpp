// labels: e2e
// Ctrl-C (SIGINT) and SIGTERM on quantscope-cli analyze with distance passes, export and evaluate
// (analyze alone: test_cli_analyze): at whatever moment it comes (model loading, statistics, distance
// passes, calibration, writing, evaluation) the command exits with 130 within a few seconds, says it
// was cancelled, and leaves nothing: no analysis.json, no export folder, no temporary folder or file,
// no evaluation.json, and an existing export's report.csv unchanged. (The 1 s bound on the
// wav2vec2-base-sized model is measured by bench/run_cancel_bench.sh, not timed here.)
#include <QtTest>

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>

#include <signal.h>

#include "tests/support/audio_files.h"
#include "tests/support/cli_process.h"

namespace {

QString fixture(const QString& name) { return QStringLiteral(QS_FIXTURES_DIR) + "/" + name; }
QStringList lines(const QString& text) { return text.split('\n', Qt::SkipEmptyParts); }

struct Interrupted {
    int exitCode = -1;
    QString err;
    qint64 stopMs = -1;
};

// Starts the CLI, sends sig after delayMs, and waits for it to exit.
Interrupted interrupt(const QStringList& args, int delayMs, int sig = SIGINT) {
    QProcess p;
    p.start(QStringLiteral(QS_CLI), args);
    Interrupted r;
    if (!p.waitForStarted()) return r;
    QTest::qWait(delayMs);
    if (p.state() != QProcess::Running) {  // finished first: the caller's delay was too long
        p.waitForFinished();
        r.exitCode = p.exitCode();
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }
    QElapsedTimer clock;
    clock.start();
    ::kill(pid_t(p.processId()), sig);
    p.waitForFinished(60000);
    r.stopMs = clock.elapsed();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

}  // namespace

class TestCliCancel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        audio_ = dir_.filePath(QStringLiteral("audio"));
        for (int s = 0; s < 2; ++s)
            for (int k = 0; k < 6; ++k)
                qs::test::writeSine(QString("%1/spk%2/clip%3.wav").arg(audio_).arg(s).arg(k).toStdString(),
                                    qs::test::AudioFormat::Wav16, 16000, 1, 6.0, 170.0 + 40 * s + 9 * k, 0.4);
        model_ = fixture(QStringLiteral("w2v2_scripted.pt"));
        analysis_ = dir_.filePath(QStringLiteral("analysis.json"));
        allocation_ = dir_.filePath(QStringLiteral("allocation.json"));
        auto run = [](const QString& command, const QStringList& args) {
            return qs::test::runCli(QStringLiteral(QS_CLI), command, args, 600000);
        };
        qs::test::CliRun r = run("analyze", {"--model", model_, "--audio", audio_, "--max-clips", "2", "--out", analysis_});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = run("allocate", {"--analysis", analysis_, "--target-mb", "0.03", "--out", allocation_});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        exported_ = dir_.filePath(QStringLiteral("exported"));
        r = run("export", {"--model", model_, "--analysis", analysis_, "--allocation", allocation_, "--activation-bits", "0",
                           "--out", exported_});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    // Early (loading, the statistics), later (the distance passes).
    void analyzeLeavesNothing_data() {
        QTest::addColumn<int>("delayMs");
        QTest::addColumn<int>("sig");
        QTest::newRow("SIGINT 300 ms") << 300 << SIGINT;
        QTest::newRow("SIGTERM 1500 ms") << 1500 << SIGTERM;
        QTest::newRow("SIGINT 4000 ms") << 4000 << SIGINT;
    }
    void analyzeLeavesNothing() {
        QFETCH(int, delayMs);
        QFETCH(int, sig);
        const QString parent = dir_.filePath(QStringLiteral("cancelled_analysis_%1").arg(delayMs));
        QVERIFY(QDir().mkpath(parent));
        const Interrupted r = interrupt({"analyze", "--model", model_, "--audio", audio_, "--distance-clips", "3", "--out",
                                         parent + "/analysis.json"},
                                        delayMs, sig);
        if (r.stopMs < 0) QSKIP("the analysis finished before the signal");
        QCOMPARE(r.exitCode, 130);
        QVERIFY2(lines(r.err).last() == "quantscope-cli analyze: cancelled, nothing written", qPrintable(r.err));
        QVERIFY2(r.stopMs < 5000, qPrintable(QString("took %1 ms to stop").arg(r.stopMs)));
        QCOMPARE(QDir(parent).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList{});
    }

    // Early (loading), in the calibration, later (calibration or writing); SIGTERM as well as SIGINT.
    void exportLeavesNothing_data() {
        QTest::addColumn<int>("delayMs");
        QTest::addColumn<int>("sig");
        for (int ms : {300, 2500, 6000}) QTest::newRow(qPrintable(QString("SIGINT %1 ms").arg(ms))) << ms << SIGINT;
        QTest::newRow("SIGTERM 2500 ms") << 2500 << SIGTERM;
    }
    void exportLeavesNothing() {
        QFETCH(int, delayMs);
        QFETCH(int, sig);
        const QString parent = dir_.filePath(QStringLiteral("cancelled_export_%1_%2").arg(delayMs).arg(sig));
        QVERIFY(QDir().mkpath(parent));
        const Interrupted r = interrupt({"export", "--model", model_, "--analysis", analysis_, "--allocation", allocation_,
                                         "--audio", audio_, "--calibration-clips", "6", "--weight-calibration", "cosine",
                                         "--out", parent + "/export"},
                                        delayMs, sig);
        if (r.stopMs < 0) QSKIP("the export finished before the interrupt");
        QCOMPARE(r.exitCode, 130);
        QVERIFY2(lines(r.err).last() == "quantscope-cli export: cancelled, nothing written", qPrintable(r.err));
        QVERIFY2(r.stopMs < 5000, qPrintable(QString("took %1 ms to stop").arg(r.stopMs)));
        QCOMPARE(QDir(parent).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList{});
    }

    void evaluateLeavesNothing_data() {
        QTest::addColumn<int>("delayMs");
        QTest::addColumn<int>("sig");
        QTest::newRow("SIGINT 300 ms") << 300 << SIGINT;
        QTest::newRow("SIGINT 3000 ms") << 3000 << SIGINT;
        QTest::newRow("SIGTERM 3000 ms") << 3000 << SIGTERM;
    }
    void evaluateLeavesNothing() {
        QFETCH(int, delayMs);
        QFETCH(int, sig);
        QFile report(exported_ + "/report.csv");
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QByteArray before = report.readAll();
        report.close();
        const QString parent = dir_.filePath(QStringLiteral("cancelled_evaluation_%1_%2").arg(delayMs).arg(sig));
        QVERIFY(QDir().mkpath(parent));
        const Interrupted r = interrupt({"evaluate", "--model", model_, "--quantized", exported_, "--audio", audio_, "--out",
                                         parent + "/evaluation.json"},
                                        delayMs, sig);
        if (r.stopMs < 0) QSKIP("the evaluation finished before the interrupt");
        QCOMPARE(r.exitCode, 130);
        QVERIFY2(lines(r.err).last() == "quantscope-cli evaluate: cancelled, nothing written", qPrintable(r.err));
        QVERIFY2(r.stopMs < 5000, qPrintable(QString("took %1 ms to stop").arg(r.stopMs)));
        QCOMPARE(QDir(parent).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList{});
        QVERIFY(report.open(QIODevice::ReadOnly));
        QCOMPARE(report.readAll(), before);
    }

private:
    QTemporaryDir dir_;
    QString audio_, model_, analysis_, allocation_, exported_;
};

QTEST_GUILESS_MAIN(TestCliCancel)
#include "test_cli_cancel.moc"
