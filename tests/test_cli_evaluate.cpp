// labels: e2e
// quantscope-cli evaluate end to end: a 4-bit export made with core's exporter against its float model
// on a generated corpus; evaluation.json with the contract's keys, the per-speaker summary on stderr,
// --quantized as an export folder or a .pt file, and one clear stderr line, a non-zero exit and no
// output file for bad input.
#include "core/export/export_report.h"
#include "core/base/json_io.h"
#include "core/quantize/quantizer.h"
#include "core/model/speech_model.h"
#include "tests/support/audio_files.h"

#include <QtTest>

#include "tests/support/cli_process.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using nlohmann::json;
using namespace qs::test;

namespace {

QString fixture(const QString& name) { return QStringLiteral(QS_FIXTURES_DIR) + "/" + name; }

using Run = qs::test::CliRun;

QStringList lines(const QString& text) { return text.split('\n', Qt::SkipEmptyParts); }

json readJson(const QString& path) {
    std::ifstream in(path.toStdString());
    return json::parse(in);
}

}  // namespace

class TestCliEvaluate : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void evaluates();
    void quantizedFileAndOptions();
    void errors_data();
    void errors();

private:
    Run run(const QStringList& args, int timeoutMs = 120000);
    QString path(const QString& rel) const { return dir_.filePath(rel); }

    QTemporaryDir dir_;
    QString model_, audio_, export_;
};

void TestCliEvaluate::initTestCase() {
    QVERIFY(dir_.isValid());
    QVERIFY2(QFile::exists(QStringLiteral(QS_CLI)), QS_CLI);
    model_ = fixture("w2v2_traced.pt");
    audio_ = path("audio");
    export_ = path("q4");

    // The "quantized" model: every layer's weight at 4 bits, exported by core as DIR/model.pt.
    QVERIFY(QDir().mkpath(export_));
    const qs::SpeechModel m = qs::SpeechModel::load(model_.toStdString());
    const auto& layers = m.info().layers;
    std::vector<std::vector<float>> weights;
    weights.reserve(layers.size());
    std::vector<qs::WeightOverride> overrides;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        weights.push_back(qs::quantizeWeightSymmetric(m.layerWeight(int(l)), layers[l].outChannels(), 4));
        overrides.push_back({int(l), &weights.back()});
    }
    m.exportQuantized((export_ + "/model.pt").toStdString(), overrides, {});
    // An export folder's report, with its evaluation fields still empty.
    qs::ReportRow report{{"model", model_.toStdString()}};
    for (auto& f : qs::emptyEvaluationFields()) report.push_back(f);
    report.emplace_back("layer_bits", "4;4");
    qs::writeFileAtomic((export_ + "/report.csv").toStdString(), qs::reportCsv(report));

    const double aliceSeconds[] = {0.5, 0.7, 0.9};
    for (int i = 0; i < 3; ++i)
        writeSine(path("audio/alice/a%1.wav").arg(i).toStdString(), AudioFormat::Wav16, 16000, 1, aliceSeconds[i],
                  200 + 90 * i, 0.6);
    writeText(path("audio/alice/a0.txt").toStdString(), "a bad cab\n");
    for (int i = 0; i < 2; ++i)
        writeSine(path("audio/bob/b%1.flac").arg(i).toStdString(), AudioFormat::Flac16, 22050, 2, 0.6, 500 + 130 * i,
                  0.3);
    QVERIFY(QDir().mkpath(path("no_model")));
    for (const char* d : {"ok", "opt", "err"}) QVERIFY(QDir().mkpath(path(d)));
}

Run TestCliEvaluate::run(const QStringList& args, int timeoutMs) {
    return qs::test::runCli(QStringLiteral(QS_CLI), "evaluate", args, timeoutMs);
}

void TestCliEvaluate::evaluates() {
    const QString out = path("ok/evaluation.json");
    const Run r = run({"--model", model_, "--quantized", export_, "--audio", audio_, "--out", out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));

    QStringList err = lines(r.err);
    QCOMPARE(err.last(), "evaluate: added the measures to " + export_ + "/report.csv");
    err.removeLast();
    QVERIFY2(err.first().startsWith("evaluate: " + export_ + "/model.pt against " + model_ +
                                    "; 2 speakers, 5 clips (0 files skipped)"),
             qPrintable(r.err));
    QVERIFY2(r.err.contains("evaluate: 5/5 clips"), qPrintable(r.err));  // progress, off a terminal
    // One summary line per speaker, then "all", then where the file went.
    QVERIFY2(err.size() >= 5, qPrintable(r.err));
    const QStringList tail = err.mid(err.size() - 4);
    QVERIFY2(tail[0].startsWith("alice: 3 clips, SQNR ") && tail[0].contains(" dB, KL ") &&
                 tail[0].contains("WER vs float ") && tail[0].contains("%, WER ") && tail[0].contains("(float "),
             qPrintable(tail[0]));
    QVERIFY2(tail[1].startsWith("bob: 2 clips, SQNR ") && tail[1].contains("WER vs float ") &&
                 !tail[1].contains("(float "),  // bob has no references
             qPrintable(tail[1]));
    QVERIFY2(tail[2].startsWith("all: 5 clips, SQNR "), qPrintable(tail[2]));
    QVERIFY2(tail[3].startsWith("evaluate: wrote " + out + " (3.3 s of audio"), qPrintable(tail[3]));

    QCOMPARE(QDir(path("ok")).entryList(QDir::Files), QStringList{"evaluation.json"});  // no temporary left
    const json j = readJson(out);
    for (const char* key : {"float_model", "quantized_model", "speakers", "all", "clips", "skipped"})
        QVERIFY2(j.contains(key), key);
    QCOMPARE(j["float_model"].at("path").get<std::string>(), model_.toStdString());
    QCOMPARE(j["quantized_model"].at("path").get<std::string>(), (export_ + "/model.pt").toStdString());
    const json& speakers = j["speakers"];
    QCOMPARE(speakers.size(), std::size_t(2));
    QCOMPARE(speakers[0].at("name").get<std::string>(), std::string("alice"));
    QCOMPARE(speakers[0].at("clips").get<int>(), 3);
    QVERIFY(std::fabs(speakers[0].at("seconds").get<double>() - 2.1) < 1e-9);
    QCOMPARE(speakers[1].at("name").get<std::string>(), std::string("bob"));
    QCOMPARE(speakers[1].at("clips").get<int>(), 2);
    for (const json* s : {&speakers[0], &speakers[1], &j["all"]}) {
        for (const char* key : {"name", "clips", "seconds", "sqnr_db", "kl", "l1", "l2", "cosine", "wer_vs_float",
                                "cer_vs_float", "wer_float", "cer_float", "wer_quantized", "cer_quantized"})
            QVERIFY2(s->contains(key), key);
        const double sqnr = s->at("sqnr_db").get<double>();
        QVERIFY2(sqnr < 300.0 && sqnr > -300.0, std::to_string(sqnr).c_str());  // 4 bits changed something
        QVERIFY(s->at("kl").get<double>() > 0);
        QVERIFY(s->at("wer_vs_float").is_number());
    }
    QVERIFY(speakers[0]["wer_float"].is_number());
    QVERIFY(speakers[0]["wer_quantized"].is_number());
    QVERIFY(speakers[1]["wer_float"].is_null());
    QVERIFY(speakers[1]["cer_quantized"].is_null());
    QCOMPARE(j["all"]["name"].get<std::string>(), std::string("all"));
    QCOMPARE(j["all"]["clips"].get<int>(), 5);
    QCOMPARE(j["clips"].size(), std::size_t(5));
    QCOMPARE(j["clips"][0]["reference"].get<std::string>(), std::string("a bad cab"));
    QVERIFY(j["clips"][0]["float_transcript"].is_string());
    QVERIFY(j["clips"][0]["quantized_transcript"].is_string());
    QVERIFY(j["skipped"].is_array() && j["skipped"].empty());

    // The export folder's report.csv now carries the measures, in its own columns.
    std::ifstream csv((export_ + "/report.csv").toStdString());
    std::stringstream text;
    text << csv.rdbuf();
    const qs::ReportRow row = qs::parseReportCsv(text.str(), "report.csv");
    std::map<std::string, std::string> f(row.begin(), row.end());
    QCOMPARE(row.size(), std::size_t(12));
    QCOMPARE(row.back().first, std::string("layer_bits"));
    QVERIFY(std::fabs(std::stod(f["wer"]) - j["all"]["wer_quantized"].get<double>()) < 1e-6);
    QVERIFY(std::fabs(std::stod(f["cer_float"]) - j["all"]["cer_float"].get<double>()) < 1e-6);
    QVERIFY(std::fabs(std::stod(f["wer_vs_float"]) - j["all"]["wer_vs_float"].get<double>()) < 1e-6);
    QVERIFY(std::fabs(std::stod(f["sqnr_db"]) - j["all"]["sqnr_db"].get<double>()) < 1e-3);
    QCOMPARE(f["eval_clips"], std::string("5"));
    QCOMPARE(f["eval_audio"], audio_.toStdString());
}

// --quantized as a .pt file; --speaker, --max-clips and --threads as in analyze.
void TestCliEvaluate::quantizedFileAndOptions() {
    const QString out = path("opt/evaluation.json");
    const Run r = run({"--model", model_, "--quantized", export_ + "/model.pt", "--audio", audio_, "--speaker", "bob",
                       "--max-clips", "1", "--threads", "1", "--out", out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const json j = readJson(out);
    QCOMPARE(j["speakers"].size(), std::size_t(1));
    QCOMPARE(j["speakers"][0]["name"].get<std::string>(), std::string("bob"));
    QCOMPARE(j["speakers"][0]["clips"].get<int>(), 1);
    QCOMPARE(j["all"]["clips"].get<int>(), 1);
    QCOMPARE(j["run"]["threads"].get<int>(), 1);
    QVERIFY(j["all"]["wer_float"].is_null());
    QVERIFY2(!r.err.contains("all: "), qPrintable(r.err));  // one speaker: no separate "all" line
}

void TestCliEvaluate::errors_data() {
    QTest::addColumn<QStringList>("args");     // {model}, {quantized}, {audio}, {out} are substituted
    QTest::addColumn<QString>("message");

    const QStringList base{"--model", "{model}", "--audio", "{audio}", "--out", "{out}"};
    QTest::newRow("no --quantized") << base << "quantscope-cli evaluate: missing --quantized";
    QTest::newRow("missing folder") << base + QStringList{"--quantized", "{dir}/nowhere"}
                                    << "quantscope-cli evaluate: --quantized: {dir}/nowhere does not exist";
    QTest::newRow("folder without model.pt") << base + QStringList{"--quantized", "{dir}/no_model"}
                                             << "quantscope-cli evaluate: --quantized: the folder {dir}/no_model holds no model.pt";
    QTest::newRow("not a model") << base + QStringList{"--quantized", fixture("not_a_model.pt")}
                                 << "quantscope-cli evaluate: ";
    QTest::newRow("another sample rate") << base + QStringList{"--quantized", fixture("w2v2_tuple_scripted.pt")}
                                         << "expects 8000 Hz audio but the float model";
    QTest::newRow("no labels") << base + QStringList{"--quantized", fixture("control_flow_scripted.pt")}
                               << "has other labels (0: none)";
    QTest::newRow("missing audio") << QStringList{"--model", "{model}", "--quantized", "{dir}/q4", "--audio",
                                                  "{dir}/nowhere", "--out", "{out}"}
                                   << "quantscope-cli evaluate: ";
    QTest::newRow("bad --max-clips") << base + QStringList{"--quantized", "{dir}/q4", "--max-clips", "-2"}
                                     << "--max-clips must be 0";
}

void TestCliEvaluate::errors() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const QString out = path("err/evaluation.json");
    for (QString& a : args)
        a.replace("{model}", model_).replace("{audio}", audio_).replace("{out}", out).replace("{dir}", dir_.path());
    message.replace("{dir}", dir_.path());
    const Run r = run(args);
    QVERIFY2(r.exitCode > 0, qPrintable(QString::number(r.exitCode) + ": " + r.err));
    const QStringList err = lines(r.err);
    QVERIFY2(err.size() == 1, qPrintable(r.err));
    QVERIFY2(err[0].startsWith("quantscope-cli evaluate: ") && err[0].contains(message), qPrintable(r.err));
    QVERIFY(!QFile::exists(out));
    QVERIFY(QDir(path("err")).entryList(QDir::Files).isEmpty());
}

QTEST_GUILESS_MAIN(TestCliEvaluate)
#include "test_cli_evaluate.moc"
