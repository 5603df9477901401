// labels: e2e
// links: qs_fleet
// quantscope-cli personalize on demo users: one folder per user whose files equal the four commands
// run by hand; tune clips for analysis and calibration, test clips for evaluation, never both; a rerun
// skips every step whose inputs and options are unchanged, a changed option reruns from its step, a
// killed run resumes, and Ctrl-C at any moment leaves result.json saying "cancelled"; bad audio, a bad model and an unreachable budget fail with their own exit codes
// and kinds in result.json; the manifest picks a user by index or from SLURM_ARRAY_TASK_ID; and
// fleet-report lists every user with the failures' reasons and the indices to rerun.
#include <QtTest>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>

#include <signal.h>

#include "tests/support/cli_process.h"

namespace {

const QString kCli = QStringLiteral(QS_CLI);
const QString kDemo = QStringLiteral(QS_DEMO_DIR);
const QString kSpeaker = QStringLiteral("en-029_f3");

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
QJsonObject json(const QString& path) { return QJsonDocument::fromJson(readAll(path)).object(); }

int countMatches(const QString& text, const QString& pattern) {
    int n = 0;
    for (auto it = QRegularExpression(pattern).globalMatch(text); it.hasNext(); it.next()) ++n;
    return n;
}

}  // namespace

class TestCliPersonalize : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString users_, root_;
    int ctrlCRuns_ = 0;

    // The common options: few clips so that each run takes seconds.
    QStringList run(const QStringList& extra) const {
        return QStringList{"--model", kDemo + "/model.pt", "--out", root_, "--target-bits", "4", "--max-clips", "6",
                           "--calibration-clips", "3", "--threads", "2"} +
               extra;
    }
    qs::test::CliRun personalize(const QStringList& args, const QStringList& env = {}) const {
        return qs::test::runProgram(kCli, QStringList{"personalize"} + args, env, 600000);
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        users_ = dir_.filePath("users");
        root_ = dir_.filePath("fleet");
        // alice: one demo voice; mallory: recordings that are not audio.
        QVERIFY(QDir().mkpath(users_ + "/alice"));
        QVERIFY(QFile::link(kDemo + "/audio/" + kSpeaker, users_ + "/alice/" + kSpeaker));
        QVERIFY(QDir().mkpath(users_ + "/mallory/mallory"));
        for (int i = 0; i < 3; ++i) {
            QFile f(users_ + QStringLiteral("/mallory/mallory/clip%1.flac").arg(i));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(4000, char('x' + i)));
        }
        QFile manifest(dir_.filePath("users.csv"));
        QVERIFY(manifest.open(QIODevice::WriteOnly));
        manifest.write("user,audio\nalice,users/alice\nmallory,users/mallory\n");
    }

    // A user's folder holds what analyze, allocate, export and evaluate write when run by hand with
    // the same options, and result.json the measures; calibration read only tune clips, evaluation
    // only test clips.
    void oneUserEqualsTheCommandsByHand() {
        const qs::test::CliRun r = personalize(run({"--audio", users_ + "/alice"}));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList lines = r.err.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 5);  // one line per step, and the last one
        for (int i = 0; i < 4; ++i) QVERIFY2(lines[i].contains(QStringLiteral("[%1/4]").arg(i + 1)), qPrintable(lines[i]));
        QVERIFY2(lines[4].startsWith("personalize alice: ok"), qPrintable(lines[4]));

        const QString user = root_ + "/alice";
        const QJsonObject result = json(user + "/result.json");
        QCOMPARE(result.value("status").toString(), QStringLiteral("ok"));
        QCOMPARE(result.value("user").toString(), QStringLiteral("alice"));
        QCOMPARE(result.value("tune_clips").toInt(), 3);  // 6 clips, half for test
        QCOMPARE(result.value("test_clips").toInt(), 3);
        const QJsonObject all = json(user + "/evaluation.json").value("all").toObject();
        QCOMPARE(result.value("wer").toDouble(), all.value("wer_quantized").toDouble());
        QCOMPARE(result.value("sqnr_db").toDouble(), all.value("sqnr_db").toDouble());
        QVERIFY(result.value("sqnr_db").toDouble() > 0);
        const QJsonObject allocation = json(user + "/allocation.json");
        QCOMPARE(result.value("size_mb").toDouble(), allocation.value("size_mb").toDouble());
        QVERIFY(std::abs(allocation.value("average_bits").toDouble() - 4.0) < 0.1);

        // Tune and test apart: the calibration files are the analysis's tune files, none evaluated.
        QSet<QString> calibration;
        for (const QJsonValue& c : json(user + "/quantized/encodings.json").value("calibration_clips").toArray())
            calibration << QFileInfo(c.toString()).fileName();
        QCOMPARE(calibration.size(), 3);
        QSet<QString> evaluated;
        for (const QJsonValue& c : json(user + "/evaluation.json").value("clips").toArray())
            evaluated << QFileInfo(c.toObject().value("path").toString()).fileName();
        QCOMPARE(evaluated.size(), 3);
        QVERIFY(!evaluated.intersects(calibration));

        // By hand, the same four commands give the same allocation, weights and measures.
        const QString hand = dir_.filePath("hand");
        const QString model = kDemo + "/model.pt", audio = users_ + "/alice";
        auto cli = [&](const QString& command, const QStringList& args) {
            const qs::test::CliRun c = qs::test::runCli(kCli, command, args, 600000);
            QVERIFY2(c.exitCode == 0, qPrintable(command + ": " + c.err));
        };
        QVERIFY(QDir().mkpath(hand));
        cli("analyze", {"--model", model, "--audio", audio, "--out", hand + "/analysis.json", "--max-clips", "6",
                        "--threads", "2", "--test-fraction", "0.5"});
        cli("allocate", {"--analysis", hand + "/analysis.json", "--out", hand + "/allocation.json", "--target-mb",
                         QString::number(allocation.value("target_mb").toDouble(), 'g', 9)});
        cli("export", {"--model", model, "--analysis", hand + "/analysis.json", "--allocation", hand + "/allocation.json",
                       "--audio", audio, "--out", hand + "/quantized", "--calibration-clips", "3", "--threads", "2"});
        cli("evaluate", {"--model", model, "--quantized", hand + "/quantized", "--audio", audio, "--out",
                         hand + "/evaluation.json", "--max-clips", "6", "--threads", "2", "--test-fraction", "0.5"});
        QCOMPARE(json(hand + "/allocation.json").value("layers"), allocation.value("layers"));
        QCOMPARE(readAll(hand + "/quantized/weights.safetensors"), readAll(user + "/quantized/weights.safetensors"));
        QCOMPARE(json(hand + "/evaluation.json").value("all"), QJsonValue(all));
    }

    // Unchanged inputs and options: every step is skipped and no file changes.
    void rerunSkipsEveryStep() {
        const QString user = root_ + "/alice";
        const QByteArray weights = readAll(user + "/quantized/weights.safetensors");
        const QDateTime written = QFileInfo(user + "/allocation.json").lastModified();
        const qs::test::CliRun r = personalize(run({"--audio", users_ + "/alice"}));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(countMatches(r.err, QStringLiteral("up to date, skipped")), 4);
        QCOMPARE(readAll(user + "/quantized/weights.safetensors"), weights);
        QCOMPARE(QFileInfo(user + "/allocation.json").lastModified(), written);
        QCOMPARE(json(user + "/result.json").value("status").toString(), QStringLiteral("ok"));
    }

    // Another metric changes the allocation's options: analyze is kept, the rest runs again.
    void changedOptionRerunsFromItsStep() {
        const qs::test::CliRun r = personalize(run({"--audio", users_ + "/alice", "--metric", "max"}));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("[1/4] analyze: up to date, skipped")), qPrintable(r.err));
        for (const char* step : {"[2/4] allocate: done", "[3/4] export: done", "[4/4] evaluate: done"})
            QVERIFY2(r.err.contains(QLatin1String(step)), qPrintable(r.err));
        QCOMPARE(json(root_ + "/alice/allocation.json").value("metric").toString(), QStringLiteral("max"));
    }

    // Killed after analysis: result.json said "running" and the rerun starts at allocate.
    void killedRunResumes() {
        const QString root = dir_.filePath("killed");
        QProcess p;
        p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QStringList args = run({"--audio", users_ + "/alice"});
        args[args.indexOf("--out") + 1] = root;
        p.start(kCli, QStringList{"personalize"} + args);
        QVERIFY(p.waitForStarted());
        const QString steps = root + "/alice/steps.json";
        QElapsedTimer clock;
        clock.start();
        while (!readAll(steps).contains("\"analyze\"") && clock.elapsed() < 300000 && p.state() == QProcess::Running)
            QTest::qWait(50);
        QCOMPARE(json(root + "/alice/result.json").value("status").toString(), QStringLiteral("running"));
        p.kill();
        p.waitForFinished();
        QFile::remove(root + "/alice/allocation.json");  // in case the kill came after allocate
        const qs::test::CliRun r = personalize(args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("[1/4] analyze: up to date, skipped")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("[2/4] allocate: done")), qPrintable(r.err));
        QCOMPARE(json(root + "/alice/result.json").value("status").toString(), QStringLiteral("ok"));
    }

    // Ctrl-C at any moment of the pipeline (a step loading the model, which ends the process at
    // once; a step's work; between steps) exits with 130 and leaves result.json saying the run was
    // cancelled, never "running", and no stray file; a rerun resumes.
    void ctrlCLeavesTheResultCancelled_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("afterMs");
        QTest::newRow("step 1 starts (model load)") << "log.txt" << "== analyze" << 0;
        QTest::newRow("step 1 working") << "log.txt" << "== analyze" << 1500;
        QTest::newRow("step 1 done") << "steps.json" << "\"analyze\"" << 0;
        QTest::newRow("step 3 starts (model load)") << "log.txt" << "== export" << 0;
        QTest::newRow("step 4 starts") << "log.txt" << "== evaluate" << 0;
    }
    void ctrlCLeavesTheResultCancelled() {
        QFETCH(QString, file);
        QFETCH(QString, text);
        QFETCH(int, afterMs);
        const QString root = dir_.filePath(QStringLiteral("ctrlc-%1").arg(++ctrlCRuns_));
        QStringList args = run({"--audio", users_ + "/alice"});
        args[args.indexOf("--out") + 1] = root;
        QProcess p;
        p.start(kCli, QStringList{"personalize"} + args);
        QVERIFY(p.waitForStarted());
        QElapsedTimer clock;
        clock.start();
        while (!readAll(root + "/alice/" + file).contains(text.toUtf8()) && clock.elapsed() < 300000 &&
               p.state() == QProcess::Running)
            QTest::qWait(5);
        QTest::qWait(afterMs);
        QVERIFY2(p.state() == QProcess::Running, "finished before the Ctrl-C");
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 130, qPrintable(QString::number(p.exitCode()) + ": " + err));
        QVERIFY2(err.contains(QStringLiteral("cancelled")), qPrintable(err));
        const QJsonObject result = json(root + "/alice/result.json");
        QCOMPARE(result.value("status").toString(), QStringLiteral("failed"));
        QCOMPARE(result.value("failure").toString(), QStringLiteral("cancelled"));
        QCOMPARE(result.value("user").toString(), QStringLiteral("alice"));
        const QStringList left = QDir(root + "/alice").entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
        for (const QString& name : left)
            QVERIFY2(!name.startsWith('.') && !name.contains(".tmp"), qPrintable(left.join(' ')));
        const qs::test::CliRun again = personalize(args);
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QCOMPARE(json(root + "/alice/result.json").value("status").toString(), QStringLiteral("ok"));
    }

    void failuresHaveTheirKindAndExitCode_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("reason");
        const QString alice = dir_.filePath("users/alice");
        QTest::newRow("only corrupt audio") << QStringList{"--audio", dir_.filePath("users/mallory")} << 3
                                            << "bad_audio" << "mallory" << "no readable audio";
        QTest::newRow("budget below the floor") << QStringList{"--audio", alice, "--user", "tiny", "--target-mb", "0.001"}
                                                << 5 << "budget" << "tiny" << "below";
        QTest::newRow("a model that is not one") << QStringList{"--audio", alice, "--user", "nomodel", "--model",
                                                                dir_.filePath("users.csv")}
                                                 << 4 << "bad_model" << "nomodel" << "";
    }
    void failuresHaveTheirKindAndExitCode() {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, kind);
        QFETCH(QString, user);
        QFETCH(QString, reason);
        QStringList all = run({});
        if (args.contains("--target-mb")) all.removeAt(all.indexOf("--target-bits") + 1), all.removeAll("--target-bits");
        if (args.contains("--model")) all.removeAt(all.indexOf("--model") + 1), all.removeAt(all.indexOf("--model"));
        const qs::test::CliRun r = personalize(all + args);
        QVERIFY2(r.exitCode == exitCode, qPrintable(QString::number(r.exitCode) + ": " + r.err));
        QVERIFY2(r.err.contains("failed (" + kind + ")"), qPrintable(r.err));
        const QJsonObject result = json(root_ + "/" + user + "/result.json");
        QCOMPARE(result.value("status").toString(), QStringLiteral("failed"));
        QCOMPARE(result.value("failure").toString(), kind);
        QVERIFY2(result.value("reason").toString().contains(reason), qPrintable(result.value("reason").toString()));
    }

    // --index, or the scheduler's variable, picks the manifest's user; folders are relative to it.
    void manifestPicksTheUser() {
        const QString manifest = dir_.filePath("users.csv");
        const QString root = dir_.filePath("array");
        QStringList args = run({"--manifest", manifest});
        args[args.indexOf("--out") + 1] = root;
        const qs::test::CliRun bad = personalize(args, {"SLURM_ARRAY_TASK_ID=1"});
        QCOMPARE(bad.exitCode, 3);
        QCOMPARE(json(root + "/mallory/result.json").value("index").toInt(), 1);
        const qs::test::CliRun good = personalize(args + QStringList{"--index", "0"}, {"SLURM_ARRAY_TASK_ID=1"});
        QVERIFY2(good.exitCode == 0, qPrintable(good.err));
        QCOMPARE(json(root + "/alice/result.json").value("status").toString(), QStringLiteral("ok"));
        const qs::test::CliRun none = personalize(args, {"-SLURM_ARRAY_TASK_ID", "-JOB_COMPLETION_INDEX"});
        QCOMPARE(none.exitCode, 1);
        QVERIFY2(none.err.contains("SLURM_ARRAY_TASK_ID"), qPrintable(none.err));

        // The fleet table: alice ok, mallory failed with her reason; index 1 to rerun.
        const qs::test::CliRun indices = qs::test::runCli(kCli, "fleet-report", {"--root", root, "--failed-indices"});
        QCOMPARE(indices.exitCode, 0);
        QCOMPARE(indices.out.trimmed(), QStringLiteral("1"));
        const qs::test::CliRun report =
            qs::test::runCli(kCli, "fleet-report", {"--root", root, "--out", dir_.filePath("report"), "--no-figure"});
        QVERIFY2(report.exitCode == 0, qPrintable(report.err));
        const QStringList csv = QString::fromUtf8(readAll(dir_.filePath("report/fleet.csv"))).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(csv.size(), 3);
        QVERIFY2(csv[1].startsWith("alice,0,ok,"), qPrintable(csv[1]));
        QVERIFY2(csv[2].startsWith("mallory,1,failed,bad_audio,") && csv[2].contains("no readable audio"), qPrintable(csv[2]));
    }
};

QTEST_GUILESS_MAIN(TestCliPersonalize)
#include "test_cli_personalize.moc"
