// labels: unit
// links: qs_fleet
// The fleet's files: the user manifest (columns, relative folders, every malformed line named), the
// array index from the scheduler's environment, fingerprints and step records (what makes a run
// restartable), and the fleet table's CSV and failed indices.
#include <QtTest>

#include <QTemporaryDir>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "core/base/errors.h"
#include "core/fleet/fleet_table.h"
#include "core/fleet/manifest.h"
#include "core/fleet/step_records.h"

namespace {

void write(const QString& path, const std::string& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    std::ofstream(path.toStdString()) << text;
}

// The InputError message of f, or "" when it does not throw.
template <class F>
std::string errorOf(F&& f) {
    try {
        f();
    } catch (const qs::InputError& e) {
        return e.what();
    }
    return {};
}

}  // namespace

class TestFleetFiles : public QObject {
    Q_OBJECT
private slots:
    void manifestReadsColumnsInAnyOrder() {
        QTemporaryDir dir;
        const QString path = dir.filePath("users.csv");
        write(path, "# users of the pilot\naudio, user ,target_bits,profile\n/data/a,alice,3,f\n\nrel/bob,bob,,\n"
                    "\"c,d\",carol,2.5,\"x \"\"y\"\"\"\n");
        const auto users = qs::readManifest(path.toStdString());
        QCOMPARE(users.size(), std::size_t(3));
        QCOMPARE(users[0].user, std::string("alice"));
        QCOMPARE(users[0].audio, std::string("/data/a"));
        QCOMPARE(users[0].targetBits, 3.0);
        QCOMPARE(users[0].targetMb, 0.0);
        QCOMPARE(users[0].profile, std::string("f"));
        QCOMPARE(users[0].line, 3);
        QCOMPARE(users[1].audio, (dir.path() + "/rel/bob").toStdString());  // relative to the manifest
        QCOMPARE(users[1].targetBits, 0.0);
        QCOMPARE(users[2].audio, (dir.path() + "/c,d").toStdString());
        QCOMPARE(users[2].profile, std::string("x \"y\""));
    }

    void manifestErrorsNameTheLine_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown column") << "user,audio,budget\na,b,1\n" << "users.csv:1: unknown column 'budget'";
        QTest::newRow("no audio column") << "user,profile\na,b\n" << "users.csv:1: the header must name the columns user and audio";
        QTest::newRow("field count") << "user,audio\na,b,c\n" << "users.csv:2: 3 fields where the header has 2";
        QTest::newRow("duplicate user") << "user,audio\na,x\na,y\n" << "users.csv:3: user 'a' appears twice";
        QTest::newRow("unfit name") << "user,audio\na/b,x\n" << "users.csv:2: user 'a/b' must be letters";
        QTest::newRow("no audio") << "user,audio\na,\n" << "users.csv:2: user 'a' has no audio folder";
        QTest::newRow("bad budget") << "user,audio,target_mb\na,x,-2\n" << "users.csv:2: target_mb must be a positive number, not '-2'";
        QTest::newRow("nan budget") << "user,audio,target_mb\na,x,nan\n" << "users.csv:2: target_mb must be a positive number";
        QTest::newRow("both budgets") << "user,audio,target_mb,target_bits\na,x,1,3\n" << "users.csv:2: give target_mb or target_bits, not both";
        QTest::newRow("open quote") << "user,audio\n\"a,x\n" << "users.csv:2: a quoted field is not closed";
        QTest::newRow("empty") << "" << "the manifest is empty";
        QTest::newRow("no users") << "user,audio\n" << "the manifest lists no user";
    }
    void manifestErrorsNameTheLine() {
        QFETCH(QString, text);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath("users.csv");
        write(path, text.toStdString());
        const std::string e = errorOf([&] { qs::readManifest(path.toStdString()); });
        QVERIFY2(QString::fromStdString(e).contains(message), e.c_str());
    }

    void indexFromArgumentOrScheduler() {
        ::unsetenv("SLURM_ARRAY_TASK_ID");
        ::unsetenv("JOB_COMPLETION_INDEX");
        QCOMPARE(qs::manifestIndex(2, 3), 2);
        QVERIFY(QString::fromStdString(errorOf([] { qs::manifestIndex(std::nullopt, 3); })).contains("SLURM_ARRAY_TASK_ID"));
        ::setenv("JOB_COMPLETION_INDEX", "1", 1);
        QCOMPARE(qs::manifestIndex(std::nullopt, 3), 1);
        ::setenv("SLURM_ARRAY_TASK_ID", "0", 1);  // Slurm's wins over Kubernetes'
        QCOMPARE(qs::manifestIndex(std::nullopt, 3), 0);
        ::setenv("SLURM_ARRAY_TASK_ID", "3", 1);
        QVERIFY(QString::fromStdString(errorOf([] { qs::manifestIndex(std::nullopt, 3); }))
                    .contains("SLURM_ARRAY_TASK_ID is 3 but the manifest lists 3 users (0 to 2)"));
        ::setenv("SLURM_ARRAY_TASK_ID", "x1", 1);
        QVERIFY(QString::fromStdString(errorOf([] { qs::manifestIndex(std::nullopt, 3); })).contains("whole number"));
        ::unsetenv("SLURM_ARRAY_TASK_ID");
        ::unsetenv("JOB_COMPLETION_INDEX");
    }

    // Same inputs, same fingerprint; any change to a file's bytes, a text value or the order differs.
    void fingerprints() {
        QTemporaryDir dir;
        write(dir.filePath("a"), "hello");
        auto fp = [&](const std::string& opt) {
            qs::Fingerprint f;
            f.text("bits", opt).file(dir.filePath("a").toStdString());
            return f.hex();
        };
        const std::string a = fp("3");
        QCOMPARE(a.size(), std::size_t(32));
        QCOMPARE(fp("3"), a);
        QVERIFY(fp("4") != a);
        write(dir.filePath("a"), "hellp");
        QVERIFY(fp("3") != a);
        qs::Fingerprint x, y;
        x.text("ab", "c");
        y.text("a", "bc");
        QVERIFY(x.hex() != y.hex());
        QVERIFY(errorOf([&] { qs::Fingerprint().file(dir.filePath("missing").toStdString()); }).find("cannot read") == 0);
    }

    // A step is up to date only with the same fingerprint and every output present; the record
    // survives a reload; a damaged record is ignored, never trusted.
    void stepRecords() {
        QTemporaryDir dir;
        const std::string folder = dir.path().toStdString();
        write(dir.filePath("analysis.json"), "{}");
        {
            qs::StepRecords r(folder);
            QVERIFY(!r.upToDate("analyze", "f1"));
            r.record("analyze", {"f1", {"analysis.json"}, 1.5});
            QVERIFY(r.upToDate("analyze", "f1"));
            QVERIFY(!r.upToDate("analyze", "f2"));
        }
        qs::StepRecords again(folder);
        QVERIFY(again.upToDate("analyze", "f1"));
        QCOMPARE(again.find("analyze")->seconds, 1.5);
        QFile::remove(dir.filePath("analysis.json"));
        QVERIFY(!again.upToDate("analyze", "f1"));
        again.forget("analyze");
        QVERIFY(!qs::StepRecords(folder).find("analyze"));
        write(dir.filePath("steps.json"), "{\"steps\": {\"analyze\": {\"fingerprint\": 3}}}");
        QVERIFY(!qs::StepRecords(folder).find("analyze"));
    }

    void fleetTableAndFailedIndices() {
        QTemporaryDir dir;
        auto result = [&](const QString& user, const std::string& json) { write(dir.filePath(user + "/result.json"), json); };
        result("alice", R"({"user":"alice","index":0,"status":"ok","wer":0.125,"wer_vs_float":0.05,"sqnr_db":20.5,
                          "size_mb":1.5,"target_mb":1.6,"tune_clips":10,"test_clips":20,"audio_seconds":120,"seconds":30,
                          "cpu_seconds":50})");
        result("bob", R"({"user":"bob","index":1,"status":"failed","failure":"bad_audio","reason":"no clip could be decoded"})");
        result("carl", R"({"user":"carl","index":2,"status":"running"})");
        result("dora", R"({"user":"dora","index":4,"status":"ok"})");
        result("erin", "{not json");
        write(dir.filePath("notes/readme.txt"), "not a user");
        const auto rows = qs::readFleet(dir.path().toStdString());
        QCOMPARE(rows.size(), std::size_t(5));  // notes/ is not a user's folder
        QCOMPARE(rows[0].user, std::string("erin"));  // index -1 first
        QCOMPARE(rows[0].status, std::string("failed"));
        QVERIFY(rows[0].reason.find("result.json cannot be read") == 0);
        QCOMPARE(rows[1].user, std::string("alice"));
        QCOMPARE(rows[1].wer, 0.125);
        QCOMPARE(rows[3].status, std::string("incomplete"));
        QCOMPARE(qs::failedIndices(rows), std::string("1-2"));
        const std::string csv = qs::fleetCsv(rows);
        QVERIFY(csv.find("alice,0,ok,,,1.6,1.5,,,0.125,,0.05,20.5,10,20,2,30,50,25,") != std::string::npos);
        QVERIFY(csv.find("bob,1,failed,bad_audio,no clip could be decoded,") != std::string::npos);
        QVERIFY(QString::fromStdString(errorOf([&] { qs::readFleet(dir.filePath("nope").toStdString()); })).contains("does not exist"));
    }
};

QTEST_APPLESS_MAIN(TestFleetFiles)
#include "test_fleet_files.moc"
