// labels: e2e slow
// links: qs_base
// The fleet on a real scheduler: a single-node Slurm cluster (tests/slurm/cluster.sh: munged,
// slurmctld and slurmd on localhost, as root, without cgroups) runs packaging/slurm's array script
// over three demo users, one of whom has only corrupt audio. The good users' folders equal a direct
// personalize run; the bad user fails alone, with its reason in the fleet table; resubmitting the
// failed indices reruns only that user. The cluster lives in a temporary folder and is stopped in
// cleanupTestCase, also when a test failed.
#include <QtTest>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <unistd.h>

#include "tests/support/cli_process.h"

namespace {

const QString kCli = QStringLiteral(QS_CLI);
const QString kDemo = QStringLiteral(QS_DEMO_DIR);
const QString kSource = QDir(QStringLiteral(QS_DEMO_DIR "/../..")).canonicalPath();

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
QJsonObject json(const QString& path) { return QJsonDocument::fromJson(readAll(path)).object(); }

}  // namespace

class TestFleetSlurm : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString cluster_, env_;
    bool started_ = false;
    const QStringList options_ = {"--target-bits", "4", "--max-clips", "6", "--calibration-clips", "3"};

    QStringList slurmEnv() const { return {"SLURM_CONF=" + cluster_ + "/slurm.conf", "QUANTSCOPE_CLI=" + kCli}; }

    // sbatch --wait for the given indices; returns sbatch's result (non-zero when a task failed).
    qs::test::CliRun submit(const QString& indices) const {
        return qs::test::runProgram(
            QStringLiteral("sbatch"),
            QStringList{"--wait", "--array=" + indices, "--chdir=" + dir_.filePath("logs"), kSource + "/packaging/slurm/quantscope-users.sbatch",
             kDemo + "/model.pt", dir_.filePath("users.csv"), dir_.filePath("fleet")} +
                options_,
            slurmEnv(), 1800000);
    }

private slots:
    void initTestCase() {
        if (::geteuid() != 0) QSKIP("the test cluster's daemons run as root");
        for (const char* tool : {"munged", "slurmctld", "slurmd", "sbatch"})
            if (QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty() &&
                QStandardPaths::findExecutable(QLatin1String(tool), {"/usr/sbin", "/sbin"}).isEmpty())
                QFAIL(qPrintable(QStringLiteral("%1 is missing: run scripts/install-deps.sh (slurm-wlm, munge)").arg(tool)));
        QVERIFY(dir_.isValid());
        cluster_ = dir_.filePath("cluster");
        QVERIFY(QDir().mkpath(cluster_));
        QVERIFY(QDir().mkpath(dir_.filePath("logs")));
        started_ = true;  // stop even a half-started cluster
        const qs::test::CliRun start =
            qs::test::runProgram(QStringLiteral("bash"), {kSource + "/tests/slurm/cluster.sh", "start", cluster_}, {}, 120000);
        QVERIFY2(start.exitCode == 0, qPrintable(start.err));

        // Three users: two demo voices and one whose recordings are not audio.
        const QString users = dir_.filePath("users");
        for (const char* speaker : {"en-029_f3", "en-gb-scotland_m2"}) {
            const QString name = QLatin1String(speaker);
            QVERIFY(QDir().mkpath(users + "/" + name));
            QVERIFY(QFile::link(kDemo + "/audio/" + name, users + "/" + name + "/" + name));
        }
        QVERIFY(QDir().mkpath(users + "/corrupt/corrupt"));
        for (int i = 0; i < 3; ++i) {
            QFile f(users + QStringLiteral("/corrupt/corrupt/clip%1.flac").arg(i));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(5000, char('a' + i)));
        }
        QFile manifest(dir_.filePath("users.csv"));
        QVERIFY(manifest.open(QIODevice::WriteOnly));
        manifest.write("user,audio\nf3,users/en-029_f3\ncorrupt,users/corrupt\nm2,users/en-gb-scotland_m2\n");
    }

    void cleanupTestCase() {
        if (started_) qs::test::runProgram(QStringLiteral("bash"), {kSource + "/tests/slurm/cluster.sh", "stop", cluster_});
    }

    void arrayRunsEveryUserAndTheBadOneFailsAlone() {
        const qs::test::CliRun r = submit("0-2");
        QVERIFY2(r.exitCode != 0, "sbatch --wait reports the failed task");  // index 1 fails
        const QString fleet = dir_.filePath("fleet");
        for (const char* user : {"f3", "m2"})
            QVERIFY2(json(fleet + "/" + user + "/result.json").value("status").toString() == "ok",
                     qPrintable(readAll(dir_.filePath("logs")) + readAll(fleet + "/" + user + "/log.txt")));
        const QJsonObject bad = json(fleet + "/corrupt/result.json");
        QCOMPARE(bad.value("status").toString(), QStringLiteral("failed"));
        QCOMPARE(bad.value("failure").toString(), QStringLiteral("bad_audio"));
        QCOMPARE(bad.value("index").toInt(), 1);

        // The fleet table names the failure and its reason; index 1 is the one to rerun.
        const qs::test::CliRun report =
            qs::test::runCli(kCli, "fleet-report", {"--root", fleet, "--out", dir_.filePath("report"), "--no-figure"});
        QVERIFY2(report.exitCode == 0, qPrintable(report.err));
        const QString csv = QString::fromUtf8(readAll(dir_.filePath("report/fleet.csv")));
        QVERIFY2(csv.contains(QRegularExpression(QStringLiteral("\ncorrupt,1,failed,bad_audio,\"[^\"]*no readable audio"))),
                 qPrintable(csv));
        QVERIFY2(csv.contains(QStringLiteral("\nf3,0,ok,")) && csv.contains(QStringLiteral("\nm2,2,ok,")), qPrintable(csv));
    }

    // A user's folder from the array equals a direct personalize run of the same user.
    void arrayResultsEqualADirectRun() {
        const QString direct = dir_.filePath("direct");
        const qs::test::CliRun r = qs::test::runCli(
            kCli, "personalize",
            QStringList{"--model", kDemo + "/model.pt", "--manifest", dir_.filePath("users.csv"), "--index", "2", "--out",
                        direct, "--threads", "2"} +
                options_,
            600000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString array = dir_.filePath("fleet/m2"), here = direct + "/m2";
        QCOMPARE(json(array + "/allocation.json").value("layers"), json(here + "/allocation.json").value("layers"));
        QCOMPARE(readAll(array + "/quantized/weights.safetensors"), readAll(here + "/quantized/weights.safetensors"));
        QCOMPARE(readAll(array + "/quantized/encodings.json").size(), readAll(here + "/quantized/encodings.json").size());
        QCOMPARE(json(array + "/evaluation.json").value("all"), json(here + "/evaluation.json").value("all"));
    }

    // Resubmitting the failed indices runs only that user: the others' folders are untouched.
    void resubmitRerunsOnlyTheFailedIndex() {
        const QString fleet = dir_.filePath("fleet");
        const qs::test::CliRun failed = qs::test::runCli(kCli, "fleet-report", {"--root", fleet, "--failed-indices"});
        QCOMPARE(failed.out.trimmed(), QStringLiteral("1"));
        const QByteArray goodSteps = readAll(fleet + "/f3/steps.json");
        const QDateTime goodResult = QFileInfo(fleet + "/f3/result.json").lastModified();
        const QDateTime badResult = QFileInfo(fleet + "/corrupt/result.json").lastModified();
        QTest::qWait(1100);  // file times in whole seconds on some file systems
        const qs::test::CliRun r = submit(failed.out.trimmed());
        QVERIFY(r.exitCode != 0);  // still corrupt
        QCOMPARE(readAll(fleet + "/f3/steps.json"), goodSteps);
        QCOMPARE(QFileInfo(fleet + "/f3/result.json").lastModified(), goodResult);
        QVERIFY(QFileInfo(fleet + "/corrupt/result.json").lastModified() > badResult);
        QCOMPARE(json(fleet + "/corrupt/result.json").value("failure").toString(), QStringLiteral("bad_audio"));
    }
};

QTEST_GUILESS_MAIN(TestFleetSlurm)
#include "test_fleet_slurm.moc"
