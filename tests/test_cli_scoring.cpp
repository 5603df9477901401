// labels: e2e
// quantscope-cli scoring end to end on a fixture model: the files, every allocation within the
// budget, the random baseline moving only the extra bits, the default rule's numbers equal to a
// plain analyze → allocate → export → evaluate run on the same split (transcripts too), per-profile runs, the same
// result for any thread count, and one clear line for bad input.
#include <QtTest>

#include <QDir>
#include <QTemporaryDir>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

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

std::vector<int> bitsOf(const json& row) { return row["bits"].get<std::vector<int>>(); }

}  // namespace

class TestCliScoring : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void filesBudgetAndRandomBaseline();
    void defaultRuleEqualsExportAndEvaluate();
    void perProfileAndThreads();
    void errors_data();
    void errors();

private:
    CliRun scoring(const QStringList& args) { return runCli(QStringLiteral(QS_CLI), "scoring", args, 300000); }
    QString path(const QString& rel) const { return dir_.filePath(rel); }
    QTemporaryDir dir_;
    QString model_, audio_;
};

void TestCliScoring::initTestCase() {
    QVERIFY(dir_.isValid());
    model_ = fixture("w2v2_traced.pt");
    audio_ = path("audio");
    const char* speakers[] = {"alice", "bob", "carol"};
    for (int s = 0; s < 3; ++s)
        for (int i = 0; i < 6; ++i) {
            const QString file = path("audio/%1/%1_%2.wav").arg(speakers[s]).arg(i);
            writeSine(file.toStdString(), AudioFormat::Wav16, 16000, 1, 0.4 + 0.05 * i, 150.0 + 120 * s + 25 * i, 0.5);
            writeText(QString(file).replace(".wav", ".txt").toStdString(), i % 2 ? "a bad cab" : "dab a cab");
        }
}

void TestCliScoring::filesBudgetAndRandomBaseline() {
    const QString out = path("s");
    const CliRun r = scoring({"--model", model_, "--audio", audio_, "--target-bits", "4,6", "--metric", "median", "--metric", "kl",
                              "--random", "3", "--test-fraction", "0.5", "--bootstrap", "300", "--out", out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(QFile::exists(out + "/scoring.json") && QFile::exists(out + "/scoring.csv"));
    QVERIFY2(r.err.contains("recommendation (wer): "), qPrintable(r.err));
    QVERIFY2(r.err.contains("median, descending (default)"), qPrintable(r.err));
    const json j = readJson(out + "/scoring.json");
    QCOMPARE(j["format"].get<std::string>(), std::string("quantscope-scoring"));
    QCOMPARE(j["profiles"].size(), std::size_t(1));
    const json& p = j["profiles"][0];
    QCOMPARE(p["profile"].get<std::string>(), std::string("every speaker"));
    QCOMPARE(p["test_clips"].get<int>(), 9);
    QCOMPARE(p["budgets"].size(), std::size_t(2));
    for (const json& b : p["budgets"]) {
        const json& rows = b["rows"];
        // The default, three random draws, then median ascending, kl descending, kl ascending.
        QCOMPARE(rows.size(), std::size_t(7));
        QCOMPARE(rows[0]["label"].get<std::string>(), std::string("median, descending (default)"));
        for (int d = 1; d <= 3; ++d) QCOMPARE(rows[d]["kind"].get<std::string>(), std::string("random"));
        QCOMPARE(rows[6]["label"].get<std::string>(), std::string("kl, ascending"));
        const double target = b["target_mb"].get<double>();
        const std::vector<int> def = bitsOf(rows[0]);
        const int low = *std::min_element(def.begin(), def.end()), high = *std::max_element(def.begin(), def.end());
        for (const json& row : rows) {
            QVERIFY2(row["size_mb"].get<double>() < target, qPrintable(QString::fromStdString(row["label"].get<std::string>())));
            for (const char* m : {"wer", "wer_vs_float", "sqnr_db", "kl"}) QVERIFY2(row["measures"].contains(m), m);
            const json& wer = row["measures"]["wer"];
            QVERIFY(wer["low"].get<double>() <= wer["difference"].get<double>() + 1e-12);
            QVERIFY(wer["difference"].get<double>() <= wer["high"].get<double>() + 1e-12);
            if (row["kind"] != "random") continue;
            // Only where the extra bit sits differs: same widths, same count at each.
            const std::vector<int> bits = bitsOf(row);
            QCOMPARE(std::count(bits.begin(), bits.end(), high), std::count(def.begin(), def.end(), high));
            QCOMPARE(std::count(bits.begin(), bits.end(), low), std::count(def.begin(), def.end(), low));
        }
        // The default against itself.
        QVERIFY(rows[0]["measures"]["wer"]["identical"].get<bool>());
        const json& rec = b["recommendation"];
        QCOMPARE(rec["measure"].get<std::string>(), std::string("wer"));
        if (!rec["switched"].get<bool>()) QCOMPARE(rec["row"].get<int>(), 0);
        else QVERIFY(rows[rec["row"].get<std::size_t>()]["measures"]["wer"]["low"].get<double>() > 0);
    }
    // scoring.csv: one line per budget, row and measure (6 measures with references).
    QFile csv(out + "/scoring.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts).size(), 1 + 2 * 7 * 6);
}

void TestCliScoring::defaultRuleEqualsExportAndEvaluate() {
    const json j = readJson(path("s/scoring.json"));
    const json& b = j["profiles"][0]["budgets"][0];
    const double target = b["target_mb"].get<double>();
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
    QVERIFY2(cli("evaluate", {"--model", model_, "--quantized", q, "--audio", audio_, "--test-fraction", "0.5", "--out", evaluation,
                              "--trn", path("p/trn")}),
             qPrintable(r.err));
    const json e = readJson(evaluation);
    QCOMPARE(e["all"]["clips"].get<int>(), 9);
    std::vector<int> bits;
    const json alloc = readJson(allocation);
    for (const json& l : alloc["layers"]) bits.push_back(l["bits"].get<int>());
    const json& def = b["rows"][0];
    QCOMPARE(bits, bitsOf(def));
    const double sqnr = def["measures"]["sqnr_db"]["value"].get<double>();
    QVERIFY2(std::abs(sqnr - e["all"]["sqnr_db"].get<double>()) < 1e-6 * std::abs(sqnr),
             qPrintable(QString("%1 vs %2").arg(sqnr, 0, 'g', 12).arg(e["all"]["sqnr_db"].get<double>(), 0, 'g', 12)));
    QCOMPARE(def["measures"]["wer_vs_float"]["value"].get<double>(), e["all"]["wer_vs_float"].get<double>());
    QCOMPARE(def["measures"]["wer"]["value"].get<double>(), e["all"]["wer_quantized"].get<double>());
    // The default rule's transcripts are the plain run's, line for line, in the same trn form.
    const QString mine = path("s/transcripts/every-speaker/");
    auto text = [](const QString& file) {
        QFile f(file);
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QStringLiteral("(missing %1)").arg(file);
    };
    const QString bitsText = QString::number(b["target_bits"].get<double>(), 'f', 2);
    QCOMPARE(text(mine + bitsText + "bits-median-descending.trn"), text(path("p/trn/quantized.trn")));
    QCOMPARE(text(mine + "float.trn"), text(path("p/trn/float.trn")));
    QCOMPARE(text(mine + "reference.trn"), text(path("p/trn/reference.trn")));
    QCOMPARE(text(mine + "float.trn").count('\n'), 9);
    // One file per budget and row (two budgets, seven rows), with the reference and float ones.
    QCOMPARE(QDir(mine).entryList({"*.trn"}, QDir::Files).size(), 2 * 7 + 2);
    QVERIFY(QFile::exists(mine + bitsText + "bits-random-3.trn"));
    QVERIFY(QFile::exists(mine + bitsText + "bits-kl-ascending.trn"));
}

void TestCliScoring::perProfileAndThreads() {
    const QStringList common = {"--model", model_, "--audio", audio_, "--target-bits", "5", "--metric", "median", "--metric", "mean",
                                "--random", "2", "--test-fraction", "0.5", "--bootstrap", "200", "--per-profile"};
    const CliRun one = scoring(common + QStringList{"--threads", "1", "--out", path("t1")});
    const CliRun two = scoring(common + QStringList{"--threads", "2", "--out", path("t2")});
    QVERIFY2(one.exitCode == 0 && two.exitCode == 0, qPrintable(one.err + two.err));
    json a = readJson(path("t1/scoring.json")), b = readJson(path("t2/scoring.json"));
    QCOMPARE(a["profiles"].size(), std::size_t(3));
    QCOMPARE(a["profiles"][1]["profile"].get<std::string>(), std::string("bob"));
    QCOMPARE(a["profiles"][1]["test_clips"].get<int>(), 3);
    for (json* x : {&a, &b}) {
        x->erase("elapsed_seconds");
        for (json& p : (*x)["profiles"]) p["run"].erase("run");
    }
    QVERIFY(a == b);
}

void TestCliScoring::errors_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("no budget") << QStringList{"--out", "x"} << "give the budgets as --target-bits or --target-mb";
    QTest::newRow("bad metric") << QStringList{"--target-bits", "4", "--metric", "loud", "--out", "x"} << "loud";
    QTest::newRow("bad random") << QStringList{"--target-bits", "4", "--random", "-1", "--out", "x"} << "--random takes 0 to 100 draws";
    QTest::newRow("unknown profile") << QStringList{"--target-bits", "4", "--profile", "dave", "--out", "x"} << "unknown profile 'dave'";
}

void TestCliScoring::errors() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QStringList full = {"--model", model_, "--audio", audio_};
    full += args;
    for (QString& a : full)
        if (a == "x") a = path("err");
    const CliRun r = scoring(full);
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QCOMPARE(r.err.count('\n'), 1);
}

QTEST_MAIN(TestCliScoring)
#include "test_cli_scoring.moc"
