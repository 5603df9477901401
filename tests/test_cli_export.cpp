// labels: e2e
// quantscope-cli export end to end: analyze → allocation → export with each calibration option, the
// folder's files agreeing with the options, and one clear stderr line, a non-zero exit and no folder
// for bad options.
#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/stats/analysis.h"
#include "core/base/json_io.h"
#include "core/export/packed_weights.h"
#include "tests/support/audio_files.h"

#include <QtTest>

#include "tests/support/cli_process.h"

#include <QDir>
#include <QTemporaryDir>

#include <fstream>
#include <nlohmann/json.hpp>

namespace {

QString fixture(const char* name) { return QStringLiteral(QS_FIXTURES_DIR) + "/" + name; }

QStringList lines(const QString& text) { return text.split('\n', Qt::SkipEmptyParts); }

}  // namespace

class TestCliExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void exportsWithOptions_data();
    void exportsWithOptions();
    void errors_data();
    void errors();

private:
    QString path(const QString& rel) const { return dir_.path() + "/" + rel; }
    QTemporaryDir dir_;
    QString model_, audio_, analysis_, allocation_;
};

void TestCliExport::initTestCase() {
    QVERIFY(dir_.isValid());
    model_ = fixture("w2v2_traced.pt");
    audio_ = path("audio");
    for (int i = 0; i < 3; ++i)
        qs::test::writeSine(path("audio/ann/a%1.wav").arg(i).toStdString(), qs::test::AudioFormat::Wav16, 16000, 1,
                            0.6, 200 + 80 * i, 0.5);
    for (int i = 0; i < 2; ++i)
        qs::test::writeSine(path("audio/ben/b%1.flac").arg(i).toStdString(), qs::test::AudioFormat::Flac16, 16000, 1,
                            0.5, 450 + 60 * i, 0.4);
    analysis_ = path("analysis.json");
    const qs::test::CliRun a = qs::test::runCli(QStringLiteral(QS_CLI), "analyze",
                                                {"--model", model_, "--audio", audio_, "--out", analysis_});
    QVERIFY2(a.exitCode == 0, qPrintable(a.err));
    const qs::Analysis analysis = qs::loadAnalysis(analysis_.toStdString());
    qs::AllocationRequest r;
    r.targetMb = analysis.model.sizeMb() * 0.2;
    allocation_ = path("allocation.json");
    qs::saveAllocation(allocation_.toStdString(), qs::allocateAnalysis(analysis, r));
}

void TestCliExport::exportsWithOptions_data() {
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<QString>("inputs");  // activation calibration and granularity; empty: weights only
    QTest::newRow("defaults") << QStringList{} << "mse" << "per_channel" << "mse per_tensor";
    QTest::newRow("minmax per tensor, weights only")
        << QStringList{"--weight-calibration", "minmax", "--weight-granularity", "tensor", "--activation-bits", "0"}
        << "minmax" << "per_tensor" << "";
    QTest::newRow("cosine per group")
        << QStringList{"--weight-calibration", "cosine", "--weight-granularity", "group", "--weight-group-size", "8",
                       "--clip-candidates", "20", "--calibration-clips", "2"}
        << "cosine" << "per_group" << "mse per_tensor";
    QTest::newRow("percentile activations in groups")
        << QStringList{"--activation-calibration", "percentile", "--activation-percentile", "99.5",
                       "--activation-groups", "3", "--activation-groups-all", "--activation-bits", "6"}
        << "mse" << "per_channel" << "percentile per_embedding_group";
}

void TestCliExport::exportsWithOptions() {
    QFETCH(QStringList, options);
    QFETCH(QString, method);
    QFETCH(QString, granularity);
    QFETCH(QString, inputs);
    const QString out = path("out_" + QString(QTest::currentDataTag()).replace(' ', '_').remove(','));
    const qs::test::CliRun r = qs::test::runCli(
        QStringLiteral(QS_CLI), "export",
        QStringList{"--model", model_, "--analysis", analysis_, "--allocation", allocation_, "--out", out} + options);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(lines(r.err).last().startsWith("exported " + out + ": "), qPrintable(r.err));

    const nlohmann::json enc = qs::readJson((out + "/encodings.json").toStdString());
    QVERIFY(!enc["layers"].empty());
    for (const auto& [name, layer] : enc["layers"].items()) {
        QCOMPARE(layer["granularity"].get<std::string>(), granularity.toStdString());
        const std::string used = layer["weight_calibration"].get<std::string>();
        QVERIFY2(used == method.toStdString() || (method == "cosine" && used == "mse"), name.c_str());
        QCOMPARE(layer.contains("input"), !inputs.isEmpty());
        if (inputs.isEmpty()) continue;
        const nlohmann::json& in = layer["input"];
        // Grouping needs two channels at least: the first convolution's one-channel input stays per tensor.
        const QString expected = in["channels"].get<int>() < 2 ? inputs.section(' ', 0, 0) + " per_tensor" : inputs;
        QCOMPARE(QString::fromStdString(in["calibration"].get<std::string>() + " " + in["granularity"].get<std::string>()),
                 expected);
        QCOMPARE(in["bits"].get<int>(), options.contains("6") ? 6 : 8);
        const std::size_t perTensor = in["granularity"] == "per_tensor" ? 1 : in["channels"].get<std::size_t>();
        QCOMPARE(enc["activation_encodings"].at(name + ".input").size(), perTensor);
    }
    QCOMPARE(enc["activation_encodings"].empty(), inputs.isEmpty());
    const qs::PackedWeights packed = qs::readPackedWeights((out + "/weights.safetensors").toStdString());
    for (const qs::WeightEntry& e : packed.entries)
        if (e.quantized) {
            QCOMPARE(qs::granularityName(e.quantized->granularity), granularity.toStdString());
            if (granularity == "per_group") QCOMPARE(e.quantized->groupSize, std::int64_t(8));
        }
    std::ifstream csv((out + "/report.csv").toStdString());
    std::string head, row;
    std::getline(csv, head);
    std::getline(csv, row);
    QVERIFY2(QString::fromStdString(row).contains("," + method + "," + granularity + ","), row.c_str());
    QVERIFY2(QString::fromStdString(row).contains("," + (inputs.isEmpty() ? QString("none") : inputs.section(' ', 0, 0)) + ","),
             row.c_str());
}

void TestCliExport::errors_data() {
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown method") << QStringList{"--weight-calibration", "maxx"}
                                    << "--weight-calibration must be one of mse, cosine, minmax, adaround, gptq, not 'maxx'";
    QTest::newRow("unknown granularity") << QStringList{"--weight-granularity", "row"}
                                         << "--weight-granularity must be one of channel, tensor, group, not 'row'";
    QTest::newRow("group size") << QStringList{"--weight-group-size", "0"} << "--weight-group-size must be 1 or more";
    QTest::newRow("candidates") << QStringList{"--clip-candidates", "0"} << "--clip-candidates must be 1 or more";
    QTest::newRow("activation bits") << QStringList{"--activation-bits", "1"}
                                     << "activation bits must be 0 (off) or 2..16";
    QTest::newRow("activation method") << QStringList{"--activation-calibration", "kl"}
                                       << "--activation-calibration must be one of mse, percentile, minmax, not 'kl'";
    QTest::newRow("percentile") << QStringList{"--activation-percentile", "40"}
                                << "the activation percentile must be in [50, 100], not 40";
    QTest::newRow("outlier ratio") << QStringList{"--outlier-ratio", "0.5"}
                                   << "the outlier ratio must be a finite number >= 1";
}

void TestCliExport::errors() {
    QFETCH(QStringList, options);
    QFETCH(QString, message);
    const QString out = path("bad");
    const qs::test::CliRun r = qs::test::runCli(
        QStringLiteral(QS_CLI), "export",
        QStringList{"--model", model_, "--analysis", analysis_, "--allocation", allocation_, "--out", out} + options);
    QVERIFY(r.exitCode != 0);
    QCOMPARE(lines(r.err).size(), 1);
    QCOMPARE(lines(r.err).first(), "quantscope-cli export: " + message);
    QVERIFY(!QFileInfo::exists(out));
    QCOMPARE(QDir(dir_.path()).entryList(QStringList() << "bad*", QDir::AllEntries).size(), 0);
}

QTEST_APPLESS_MAIN(TestCliExport)
#include "test_cli_export.moc"
