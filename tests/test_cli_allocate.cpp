// labels: e2e
// links: qs_base
// quantscope-cli allocate end to end: a hand-written analysis.json in, allocation.json out, and one
// clear line on stderr with a non-zero exit code for every kind of bad input.
#include <QtTest>

#include "tests/support/cli_process.h"

#include <QProcess>
#include <QTemporaryDir>

#include <fstream>
#include <nlohmann/json.hpp>

using nlohmann::json;

Q_DECLARE_METATYPE(std::vector<int>)

namespace {

// The statistics block of one layer for one speaker, with every key analysis.json carries.
json stats(double median) {
    return {{"count", 1000},         {"nonfinite", 0},
            {"mean_abs", median * 1.1}, {"std_abs", median * 0.5}, {"var_abs", median * median * 0.25},
            {"min", -median * 4},    {"max", median * 3},      {"abs_max", median * 4},
            {"median_abs", median},  {"p99_abs", median * 2.5}, {"p99_9_abs", median * 3},
            {"p99_99_abs", median * 3.5}, {"p0_1", -median * 3}, {"p99_9", median * 3},
            {"kurtosis", 3.0},
            {"histogram", {{"lo", -median * 4}, {"hi", median * 3}, {"counts", {100, 500, 400}}}},
            {"channel_abs_max", {median * 4, median * 2}}};
}

// Three layers of 2^18, 2^19 and 2^18 weights plus 2^18 other parameters: the float model is 5 MB,
// and one bit of a 2^18-weight layer is 1/32 MB.
//   all:   medians 0.5, 2, 1   -> descending order enc.1, enc.2, enc.0
//   alice: medians 3, 1, 2     -> descending order enc.0, enc.2, enc.1
json analysisDocument() {
    const double all[] = {0.5, 2.0, 1.0}, alice[] = {3.0, 1.0, 2.0};
    const int params[] = {1 << 18, 1 << 19, 1 << 18};
    json layers = json::array();
    for (int i = 0; i < 3; ++i)
        layers.push_back({{"name", "enc." + std::to_string(i)},
                          {"kind", i == 1 ? "conv1d" : "linear"},
                          {"params", params[i]},
                          {"shape", {512, params[i] / 512}},
                          {"stats", {{"all", stats(all[i])}, {"alice", stats(alice[i])}}}});
    return {{"model", {{"path", "tiny.pt"}, {"total_params", 5 << 18}, {"size_mb", 5.0}}},
            {"speakers", {{{"name", "alice"}, {"clips", 2}, {"files", 2}, {"seconds", 7.5}}}},
            {"layers", layers},
            {"skipped", json::array()}};
}

using Run = qs::test::CliRun;

}  // namespace

class TestCliAllocate : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void allocates_data();
    void allocates();
    void errors_data();
    void errors();
    void missingAndMalformedFiles();
    void startsWithoutLibTorch();

private:
    Run run(const QStringList& args);
    QTemporaryDir dir_;
    QString analysis_;
};

void TestCliAllocate::initTestCase() {
    QVERIFY(dir_.isValid());
    analysis_ = dir_.filePath("analysis.json");
    std::ofstream(analysis_.toStdString()) << analysisDocument().dump(2);
}

// allocate runs no model, so it never loads the engine or LibTorch (issue 11: start-up in ~0.15 s
// instead of ~1 s). analyze, the control, loads both as soon as it needs the model.
void TestCliAllocate::startsWithoutLibTorch() {
    Run r;
    const QStringList allocate = qs::test::loadedLibraries(
        QStringLiteral(QS_CLI), {"allocate", "--analysis", analysis_, "--target-mb", "4.5", "--out", dir_.filePath("a.json")}, &r);
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(allocate.contains("libqs_allocation.so"), qPrintable(allocate.join(' ')));
    for (const QString& lib : allocate)
        QVERIFY2(!lib.startsWith("libtorch") && !lib.startsWith("libc10") && lib != "libqs_engine.so", qPrintable(lib));

    const QStringList analyze = qs::test::loadedLibraries(
        QStringLiteral(QS_CLI), {"analyze", "--model", QStringLiteral(QS_FIXTURES_DIR "/w2v2_traced.pt"), "--audio",
                                 dir_.filePath("no-such-folder"), "--out", dir_.filePath("x.json")}, &r);
    QVERIFY(r.exitCode != 0);  // the folder is missing, after the model loaded
    QVERIFY2(analyze.contains("libqs_engine.so"), qPrintable(analyze.join(' ')));
    QVERIFY2(!analyze.filter(QRegularExpression("^libtorch_cpu\\.so")).isEmpty(), qPrintable(analyze.join(' ')));
}

Run TestCliAllocate::run(const QStringList& args) {
    return qs::test::runCli(QStringLiteral(QS_CLI), "allocate", args, 60000);
}

void TestCliAllocate::allocates_data() {
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<std::vector<int>>("bits");
    QTest::addColumn<double>("sizeMb");

    // Descending, target 4.5: a pass saves 4/32 MB; after 4 passes the size is exactly 4.5 (not
    // below), so decrement 13 takes enc.1 to 27 bits: 4.4375 MB.
    QTest::newRow("descending, strict stop") << QStringList{"--target-mb", "4.5"} << std::vector<int>{28, 27, 28} << 4.4375;
    // Ascending (enc.0, enc.2, enc.1): decrement 13 takes enc.0: 4.46875 MB.
    QTest::newRow("ascending") << QStringList{"--target-mb", "4.5", "--order", "ascending"}
                               << std::vector<int>{27, 28, 28} << 4.46875;
    // alice's order (enc.0, enc.2, enc.1) under descending: decrement 13 takes enc.0.
    QTest::newRow("speaker alice") << QStringList{"--target-mb", "4.5", "--speaker", "alice"}
                                   << std::vector<int>{27, 28, 28} << 4.46875;
    // Mean |y| is 1.1 × median: the same order as the median.
    QTest::newRow("metric mean") << QStringList{"--target-mb", "4.5", "--metric", "mean"}
                                 << std::vector<int>{28, 27, 28} << 4.4375;
    // Above the float size: nothing to do.
    QTest::newRow("float fits") << QStringList{"--target-mb", "6"} << std::vector<int>{32, 32, 32} << 5.0;
    // Floor 8 bits: 1 MB + 2^20 weights × 8 bits = 2 MB is the last state; 2.01 reaches it.
    QTest::newRow("min bits 8") << QStringList{"--target-mb", "2.01", "--min-bits", "8"}
                                << std::vector<int>{8, 8, 8} << 2.0;
}

void TestCliAllocate::allocates() {
    QFETCH(QStringList, options);
    QFETCH(std::vector<int>, bits);
    QFETCH(double, sizeMb);

    const QString out = dir_.filePath("allocation.json");
    QFile::remove(out);
    const Run r = run(QStringList{"--analysis", analysis_, "--out", out} + options);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(r.err.count('\n'), 1);  // one summary line
    QVERIFY2(r.err.contains("MB") && r.err.contains("bits"), qPrintable(r.err));

    std::ifstream in(out.toStdString());
    QVERIFY(in.good());
    const json j = json::parse(in);
    QCOMPARE(j.at("size_mb").get<double>(), sizeMb);
    QCOMPARE(j.at("float_size_mb").get<double>(), 5.0);
    QCOMPARE(j.at("target_mb").get<double>(), options.at(1).toDouble());
    QCOMPARE(j.at("compression_ratio").get<double>(), 5.0 / sizeMb);
    const bool ascending = options.contains("ascending");
    QCOMPARE(j.at("order").get<std::string>(), std::string(ascending ? "ascending" : "descending"));
    const int mbAt = int(options.indexOf("--metric"));
    QCOMPARE(j.at("metric").get<std::string>(), mbAt >= 0 ? options.at(mbAt + 1).toStdString() : std::string("median"));
    const int spAt = int(options.indexOf("--speaker"));
    QCOMPARE(j.at("speaker").get<std::string>(), spAt >= 0 ? options.at(spAt + 1).toStdString() : std::string("all"));
    const int minAt = int(options.indexOf("--min-bits"));
    QCOMPARE(j.at("min_bits").get<int>(), minAt >= 0 ? options.at(minAt + 1).toInt() : 2);

    const json& layers = j.at("layers");
    QCOMPARE(int(layers.size()), 3);
    double weighted = 0;
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(layers[i].at("name").get<std::string>(), "enc." + std::to_string(i));
        QCOMPARE(layers[i].at("bits").get<int>(), bits[i]);
        QVERIFY(layers[i].contains("score"));
        weighted += layers[i].at("params").get<double>() * bits[i];
    }
    QCOMPARE(j.at("average_bits").get<double>(), weighted / double(1 << 20));
}

void TestCliAllocate::errors_data() {
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QString>("message");  // a part of the one error line

    QTest::newRow("bad metric") << QStringList{"--target-mb", "4", "--metric", "loudness"}
                                << "--metric must be one of median, mean, max, abs_max, std, var, kl, l1, l2, cosine, sqnr, not 'loudness'";
    QTest::newRow("unknown speaker") << QStringList{"--target-mb", "4", "--speaker", "bob"}
                                     << "unknown speaker 'bob' (available: all, alice)";
    // 2-bit floor: 1 MB of other parameters + 2^20 weights × 2 bits = 1.25 MB.
    QTest::newRow("unreachable") << QStringList{"--target-mb", "1"}
                                 << "target 1.00 MB is below the smallest size reachable with 2-bit layers, 1.25 MB";
    QTest::newRow("bad order") << QStringList{"--target-mb", "4", "--order", "random"} << "--order must be one of";
    QTest::newRow("min bits 0") << QStringList{"--target-mb", "4", "--min-bits", "0"} << "--min-bits must be 1 to 31";
    QTest::newRow("min bits 32") << QStringList{"--target-mb", "4", "--min-bits", "32"} << "--min-bits must be 1 to 31";
    QTest::newRow("negative target") << QStringList{"--target-mb", "-3"} << "--target-mb must be a positive";
    QTest::newRow("target not a number") << QStringList{"--target-mb", "lots"} << "--target-mb takes a number";
    QTest::newRow("missing target") << QStringList{} << "missing --target-mb";
    QTest::newRow("unknown option") << QStringList{"--target-mb", "4", "--bits", "4"} << "unknown option --bits";
}

void TestCliAllocate::errors() {
    QFETCH(QStringList, options);
    QFETCH(QString, message);

    const QString out = dir_.filePath("error-allocation.json");
    const Run r = run(QStringList{"--analysis", analysis_, "--out", out} + options);
    QVERIFY2(r.exitCode != 0 && r.exitCode != -1, qPrintable(r.err));
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.startsWith("quantscope-cli allocate: "), qPrintable(r.err));
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(!QFile::exists(out));
}

// Not in the table: these messages name paths that only exist at run time.
void TestCliAllocate::missingAndMalformedFiles() {
    const QString out = dir_.filePath("file-error-allocation.json");
    const QString missing = dir_.filePath("no-such-analysis.json");
    Run r = run({"--analysis", missing, "--target-mb", "4", "--out", out});
    QVERIFY2(r.exitCode == 1, qPrintable(r.err));
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains(missing), qPrintable(r.err));

    const QString broken = dir_.filePath("broken.json");
    std::ofstream(broken.toStdString()) << "{\"model\": {\"total_params\": ";
    r = run({"--analysis", broken, "--target-mb", "4", "--out", out});
    QVERIFY2(r.exitCode == 1, qPrintable(r.err));
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains(broken), qPrintable(r.err));

    // Valid JSON, wrong document: no layers.
    json doc = analysisDocument();
    doc.erase("layers");
    const QString noLayers = dir_.filePath("no-layers.json");
    std::ofstream(noLayers.toStdString()) << doc.dump();
    r = run({"--analysis", noLayers, "--target-mb", "4", "--out", out});
    QVERIFY2(r.exitCode == 1, qPrintable(r.err));
    QCOMPARE(r.err.count('\n'), 1);

    // An output folder that does not exist.
    r = run({"--analysis", analysis_, "--target-mb", "4", "--out", dir_.filePath("nowhere/allocation.json")});
    QVERIFY2(r.exitCode == 1, qPrintable(r.err));
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY(!QFile::exists(out));
}

QTEST_GUILESS_MAIN(TestCliAllocate)
#include "test_cli_allocate.moc"
