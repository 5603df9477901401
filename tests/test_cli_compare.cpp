// labels: e2e
// quantscope-cli compare end to end on a fixture model: the files and their contract, tune and test
// clips kept apart in every report, the uniform scheme's size, the same matrix for any thread count,
// the all-profiles cell equal to analyze + allocate + export + evaluate on the same split, speaker
// groups as profiles, and one clear line for bad input.
#include <QtTest>

#include <QDir>
#include <QTemporaryDir>

#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "core/allocation/size_model.h"
#include "core/model/speech_model.h"
#include "core/personalization/personalization.h"
#include "tests/support/audio_files.h"
#include "tests/support/cli_process.h"

using nlohmann::json;
using namespace qs::test;

namespace {

QString fixture(const QString& name) { return QStringLiteral(QS_FIXTURES_DIR) + "/" + name; }

json readJson(const QString& path) {
    std::ifstream in(path.toStdString());
    return json::parse(in);
}

QStringList csvLines(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
}

}  // namespace

class TestCliCompare : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void matrixFilesAndSplit();
    void sameForAnyThreadCount();
    void allCellEqualsExportAndEvaluate();
    void speakerGroups();
    void errors_data();
    void errors();

private:
    CliRun compare(const QStringList& args) { return runCli(QStringLiteral(QS_CLI), "compare", args, 300000); }
    QString path(const QString& rel) const { return dir_.filePath(rel); }
    QTemporaryDir dir_;
    QString model_, audio_;
};

void TestCliCompare::initTestCase() {
    QVERIFY(dir_.isValid());
    model_ = fixture("w2v2_traced.pt");
    audio_ = path("audio");
    // Three speakers with six clips each, each speaker its own pitch range, with references.
    const char* speakers[] = {"alice", "bob", "carol"};
    for (int s = 0; s < 3; ++s)
        for (int i = 0; i < 6; ++i) {
            const QString file = path("audio/%1/%1_%2.wav").arg(speakers[s]).arg(i);
            writeSine(file.toStdString(), AudioFormat::Wav16, 16000, 1, 0.4 + 0.05 * i, 150.0 + 120 * s + 25 * i, 0.5);
            writeText(QString(file).replace(".wav", ".txt").toStdString(), i % 2 ? "a bad cab" : "dab a cab");
        }
    writeText(path("speakers.csv").toStdString(), "speaker,group,sex\nalice,g1,F\nbob,g1,M\ncarol,g2,F\n");
    writeText(path("bad_split.csv").toStdString(), "path,part\nalice/alice_0.wav,test\nalice/alice_1.wav,dev\n");
}

void TestCliCompare::matrixFilesAndSplit() {
    const QString out = path("m");
    const CliRun r = compare({"--model", model_, "--audio", audio_, "--target-bits", "4,6", "--test-fraction", "0.5",
                              "--out", out, "--bootstrap", "500"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    for (const char* f : {"personalization.json", "matrix.csv", "gains.csv", "clips.csv"})
        QVERIFY2(QFile::exists(out + "/" + f), f);
    QVERIFY2(r.err.contains("compare: wrote " + out), qPrintable(r.err));
    QVERIFY2(r.err.contains("own scheme against the all-profiles scheme:"), qPrintable(r.err));

    const json j = readJson(out + "/personalization.json");
    QCOMPARE(j["format"].get<std::string>(), std::string("quantscope-personalization"));
    QCOMPARE(j["profiles"].size(), std::size_t(3));
    QCOMPARE(j["matrices"].size(), std::size_t(2));
    QCOMPARE(j["primary_measure"].get<std::string>(), std::string("wer"));
    // Tune and test: 3 of each speaker's 6 files; every test clip is a test file, every
    // calibration clip a tune file.
    std::set<std::string> tune, test;
    for (const json& f : j["split"]["files"])
        (f["part"] == "tune" ? tune : test).insert(f["path"].get<std::string>());
    QCOMPARE(tune.size(), std::size_t(9));
    QCOMPARE(test.size(), std::size_t(9));
    for (const json& c : j["test_clips"]) QVERIFY(test.count(c["path"].get<std::string>()));
    for (const json& set : j["calibration_sets"])
        for (const json& c : set["clips"]) QVERIFY(tune.count(c.get<std::string>()));
    QCOMPARE(j["test_clips"].size(), std::size_t(9));
    // clips.csv says what each file served for.
    const QStringList clips = csvLines(out + "/clips.csv");
    QCOMPARE(clips.size(), 19);
    for (const QString& line : clips.mid(1)) {
        QVERIFY2(line.contains(",tune,analysis") || line.endsWith(",test,evaluation"), qPrintable(line));
    }

    // Rows: own per profile, all, uniform; columns: the profiles and all.
    const qs::SpeechModel m = qs::SpeechModel::load(model_.toStdString());
    const qs::SizeModel size = qs::SizeModel::fromModel(m.info());
    for (const json& matrix : j["matrices"]) {
        QCOMPARE(matrix["rows"].size(), std::size_t(5));
        QCOMPARE(matrix["columns"].size(), std::size_t(4));
        QCOMPARE(matrix["cells"]["wer"].size(), std::size_t(5));
        const json& uniform = j["schemes"][matrix["rows"][4].get<std::size_t>()];
        QCOMPARE(uniform["kind"].get<std::string>(), std::string("uniform"));
        // The uniform scheme is every layer at the width closest to the budget, and its size is
        // the size model's for exactly that.
        const int b = uniform["uniform_bits"].get<int>();
        QCOMPARE(b, int(std::lround(matrix["target_bits"].get<double>())));
        QCOMPARE(uniform["size_mb"].get<double>(), size.sizeMb(std::vector<int>(m.info().layers.size(), b)));
        for (int bits : uniform["bits"]) QCOMPARE(bits, b);
        // Every profile has its gains against all, best other and uniform on the primary measure.
        int wer = 0;
        for (const json& g : matrix["gains"]) wer += g["measure"] == "wer";
        QCOMPARE(wer, 9);
        for (const json& g : matrix["gains"]) {
            const bool zero = g["low"].get<double>() <= 0 && g["high"].get<double>() >= 0;
            if (zero && !g["identical"].get<bool>()) QCOMPARE(g["verdict"].get<std::string>(), std::string("no measurable difference"));
            QVERIFY(g["low"].get<double>() <= g["gain"].get<double>() + 1e-12);
            QVERIFY(g["gain"].get<double>() <= g["high"].get<double>() + 1e-12);
        }
    }
    const QStringList matrixCsv = csvLines(out + "/matrix.csv");
    QCOMPARE(matrixCsv.size(), 1 + 2 * 5 * 4);
    QVERIFY(matrixCsv[0].startsWith("target_mb,target_bits,spread,scheme,kind,tune_profile,test_profile,clips"));
}

void TestCliCompare::sameForAnyThreadCount() {
    const QStringList common = {"--model", model_, "--audio", audio_, "--target-bits", "5", "--spread", "1,3",
                                "--test-fraction", "0.5", "--bootstrap", "300"};
    const CliRun one = compare(common + QStringList{"--threads", "1", "--out", path("t1")});
    const CliRun two = compare(common + QStringList{"--threads", "2", "--out", path("t2")});
    QVERIFY2(one.exitCode == 0 && two.exitCode == 0, qPrintable(one.err + two.err));
    json a = readJson(path("t1/personalization.json")), b = readJson(path("t2/personalization.json"));
    a.erase("run"), b.erase("run");
    QVERIFY(a == b);
    QCOMPARE(a["matrices"].size(), std::size_t(2));  // spreads 1 and 3
    QCOMPARE(a["matrices"][1]["spread"].get<int>(), 3);
}

void TestCliCompare::allCellEqualsExportAndEvaluate() {
    // The matrix's all-profiles scheme is what the export pipeline writes and evaluate measures,
    // on the same test clips.
    const QString out = path("m");  // from matrixFilesAndSplit
    const json j = readJson(out + "/personalization.json");
    const json& matrix = j["matrices"][0];
    const double target = matrix["target_mb"].get<double>();
    const QString analysis = path("p/analysis.json"), allocation = path("p/allocation.json"), q = path("p/q"),
                  evaluation = path("p/evaluation.json");
    QVERIFY(QDir().mkpath(path("p")));
    CliRun r;
    auto cli = [&](const QString& command, const QStringList& args) {
        r = runCli(QStringLiteral(QS_CLI), command, args, 300000);
        return r.exitCode == 0;
    };
    QVERIFY2(cli("analyze", {"--model", model_, "--audio", audio_, "--test-fraction", "0.5", "--out", analysis}), qPrintable(r.err));
    QVERIFY2(cli("allocate", {"--analysis", analysis, "--target-mb", QString::number(target, 'g', 17), "--out", allocation}),
             qPrintable(r.err));
    QVERIFY2(cli("export", {"--model", model_, "--analysis", analysis, "--allocation", allocation, "--out", q}), qPrintable(r.err));
    QVERIFY2(r.err.contains("calibrating on tune clips only"), qPrintable(r.err));
    QVERIFY2(cli("evaluate", {"--model", model_, "--quantized", q, "--audio", audio_, "--test-fraction", "0.5", "--out", evaluation}),
             qPrintable(r.err));

    const json e = readJson(evaluation);
    QCOMPARE(e["all"]["clips"].get<int>(), 9);
    QCOMPARE(e["split"]["method"].get<std::string>(), std::string("fraction"));
    const json& allScheme = j["schemes"][matrix["rows"][3].get<std::size_t>()];
    QCOMPARE(allScheme["kind"].get<std::string>(), std::string("all"));
    const json alloc = readJson(allocation);
    // Every report says which clips served which purpose.
    QVERIFY(QString::fromStdString(alloc["split"].get<std::string>()).startsWith("50% of each speaker's files for test"));
    QCOMPARE(readJson(analysis)["split"]["tune_files"].get<int>(), 9);
    QCOMPARE(readJson(q + "/encodings.json")["calibration_clips"].size(), std::size_t(9));
    QVERIFY(csvLines(q + "/report.csv")[0].split(',').contains("split"));
    std::vector<int> bits;
    for (const json& l : alloc["layers"]) bits.push_back(l["bits"].get<int>());
    QCOMPARE(bits, allScheme["bits"].get<std::vector<int>>());
    const double cellSqnr = matrix["cells"]["sqnr_db"][3][3].get<double>();
    QVERIFY2(std::abs(cellSqnr - e["all"]["sqnr_db"].get<double>()) < 1e-6 * std::abs(cellSqnr),
             qPrintable(QString("%1 vs %2").arg(cellSqnr, 0, 'g', 12).arg(e["all"]["sqnr_db"].get<double>(), 0, 'g', 12)));
    QCOMPARE(matrix["cells"]["wer_vs_float"][3][3].get<double>(), e["all"]["wer_vs_float"].get<double>());
    QCOMPARE(matrix["cells"]["wer"][3][3].get<double>(), e["all"]["wer_quantized"].get<double>());
    // The export recorded its calibration files; evaluating on the whole folder leaves them out.
    QVERIFY2(cli("evaluate", {"--model", model_, "--quantized", q, "--audio", audio_, "--out", path("p/whole.json")}), qPrintable(r.err));
    QVERIFY2(r.err.contains("left out 9 clips the calibration used"), qPrintable(r.err));
    QCOMPARE(readJson(path("p/whole.json"))["all"]["clips"].get<int>(), 9);
}

void TestCliCompare::speakerGroups() {
    const QString out = path("g");
    const CliRun r = compare({"--model", model_, "--audio", audio_, "--target-bits", "5", "--test-fraction", "0.5",
                              "--speaker-groups", path("speakers.csv"), "--out", out, "--bootstrap", "200"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const json j = readJson(out + "/personalization.json");
    QCOMPARE(j["profiles"].size(), std::size_t(2));
    QCOMPARE(j["profiles"][0]["name"].get<std::string>(), std::string("g1"));
    QCOMPARE(j["profiles"][0]["speakers"].get<std::vector<std::string>>(), (std::vector<std::string>{"alice", "bob"}));
    QCOMPARE(j["profiles"][0]["test_clips"].get<int>(), 6);
    // g1 calibrates on its members' tune clips only.
    for (const json& c : j["calibration_sets"][0]["clips"]) QVERIFY(c.get<std::string>().rfind("carol", 0) != 0);
    // By another attribute, one profile chosen.
    const CliRun bySex = compare({"--model", model_, "--audio", audio_, "--target-bits", "5", "--speaker-groups",
                                  path("speakers.csv"), "--group-by", "sex", "--profile", "F", "--profile", "M",
                                  "--out", path("s"), "--bootstrap", "200"});
    QVERIFY2(bySex.exitCode == 0, qPrintable(bySex.err));
    QCOMPARE(readJson(path("s/personalization.json"))["profiles"][0]["speakers"].get<std::vector<std::string>>(),
             (std::vector<std::string>{"alice", "carol"}));
}

void TestCliCompare::errors_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("no budget") << QStringList{} << "give the budgets as --target-bits or --target-mb";
    QTest::newRow("two budgets") << QStringList{"--target-bits", "4", "--target-mb", "0.01"}
                                 << "give the budgets as --target-bits or --target-mb";
    QTest::newRow("bad list") << QStringList{"--target-bits", "4,x"} << "--target-bits takes positive numbers separated by commas, not '4,x'";
    QTest::newRow("bad split") << QStringList{"--target-bits", "4", "--split", "@bad_split.csv"}
                               << "@bad_split.csv line 3: part 'dev' is not tune or test";
    QTest::newRow("unknown profile") << QStringList{"--target-bits", "4", "--profile", "dave"}
                                     << "unknown profile 'dave' (available: alice, bob, carol)";
    QTest::newRow("no tune clips") << QStringList{"--target-bits", "4", "--max-clips", "1"}
                                   << "leaves no tune clip in";
}

void TestCliCompare::errors() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    for (QString& a : args)
        if (a.startsWith('@')) a = path(a.mid(1));
    message.replace("@", dir_.path() + "/");
    const CliRun r = compare(QStringList{"--model", model_, "--audio", audio_, "--out", path("err")} + args);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("quantscope-cli compare: ") && r.err.contains(message), qPrintable(r.err));
    QVERIFY(!QFile::exists(path("err/personalization.json")));
}

QTEST_MAIN(TestCliCompare)
#include "test_cli_compare.moc"
