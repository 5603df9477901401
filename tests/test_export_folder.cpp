// labels: unit
// quantscope's export folder: model.pt, weights.safetensors, encodings.json and report.csv agree
// with each other, with the allocation and with the size model, and appear all at once or not at all.
#include <QtTest>
#include <cmath>
#include <atomic>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/allocation/allocation.h"
#include "core/stats/analyzer.h"
#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/export/export_report.h"
#include "core/base/json_io.h"
#include "core/export/packed_weights.h"
#include "core/export/quantized_export.h"
#include "tests/support/audio_files.h"

namespace {

std::string fixture(const std::string& name) { return std::string(QS_FIXTURES_DIR) + "/" + name; }

struct Setup {
    QTemporaryDir dir;
    qs::SpeechModel model = qs::SpeechModel::load(fixture("w2v2_traced.pt"));
    std::unique_ptr<qs::AudioCorpus> corpus;
    qs::Analysis analysis;

    Setup() {
        const QString root = dir.path() + "/audio";
        for (int i = 0; i < 3; ++i)
            qs::test::writeSine((root + "/ann/c" + QString::number(i) + ".wav").toStdString(), qs::test::AudioFormat::Wav16,
                                16000, 1, 0.5, 200.0 + 70 * i, 0.5);
        qs::CorpusOptions co;
        co.normalize = false;
        corpus = std::make_unique<qs::AudioCorpus>(qs::AudioCorpus::scan(root.toStdString(), co));
        analysis = qs::analyze(model, *corpus);
    }

    qs::Allocation allocate(double fraction) const {
        qs::AllocationRequest r;
        r.targetMb = analysis.model.sizeMb() * fraction;
        return qs::allocateAnalysis(analysis, r);
    }
};

std::vector<float> wave() {
    std::vector<float> w(7000);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(0.3 * std::sin(0.043 * double(i)));
    return w;
}

}  // namespace

class TestExportFolder : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void filesAgree() {
        Setup s;
        const qs::Allocation a = s.allocate(0.22);  // about 6-7 bits
        const std::string out = (s.dir.path() + "/export").toStdString();
        const qs::ExportSummary sum = qs::exportQuantizedModel(s.model, s.analysis, a, s.corpus.get(), {}, out);
        for (const char* f : {"model.pt", "weights.safetensors", "encodings.json", "report.csv"})
            QVERIFY2(QFile::exists(QString::fromStdString(out) + "/" + f), f);
        QCOMPARE(QDir(s.dir.path()).entryList(QStringList() << "*.tmp.*", QDir::Dirs | QDir::Files).size(), 0);
        QCOMPARE(sum.calibrationClips, 3);

        // weights.safetensors decodes to exactly the weights model.pt computes with.
        const qs::SpeechModel exported = qs::SpeechModel::load(out + "/model.pt");
        const qs::PackedWeights packed = qs::readPackedWeights(out + "/weights.safetensors");
        std::vector<std::vector<float>> weights(a.layers.size());
        for (const qs::WeightEntry& e : packed.entries) {
            if (!e.quantized) continue;
            for (std::size_t l = 0; l < a.layers.size(); ++l)
                if (a.layers[l].name == e.name) {
                    QCOMPARE(e.quantized->bits, a.layers[l].bits);
                    weights[l] = qs::dequantize(e);
                    QVERIFY(weights[l] == exported.layerWeight(int(l)));
                }
        }
        for (std::size_t l = 0; l < a.layers.size(); ++l) QVERIFY2(!weights[l].empty(), a.layers[l].name.c_str());

        // Its size is the size model's, apart from scales and header.
        const double fileMb = double(QFileInfo(QString::fromStdString(out + "/weights.safetensors")).size()) / 1048576.0;
        QVERIFY(std::fabs(sum.packedMb - sum.sizeModelMb) <= 0.02 * sum.sizeModelMb);
        QVERIFY(std::fabs(fileMb - (sum.packedMb + sum.overheadMb)) < 1e-9);
        QCOMPARE(sum.sizeModelMb, a.sizeMb);

        // encodings.json + the decoded weights reproduce model.pt through quantscope's own forward.
        const nlohmann::json enc = qs::readJson(out + "/encodings.json");
        std::vector<qs::WeightOverride> overrides;
        std::vector<qs::ActivationQuant> acts;
        for (std::size_t l = 0; l < a.layers.size(); ++l) {
            overrides.push_back({int(l), &weights[l]});
            const nlohmann::json& e = enc["activation_encodings"].at(a.layers[l].name + ".input")[0];
            QCOMPARE(e["bitwidth"].get<int>(), 8);
            acts.push_back({int(l), e["scale"].get<float>(), e["zero_point"].get<int64_t>(), 0, 255});
            QCOMPARE(enc["param_encodings"].at(a.layers[l].name + ".weight").size(),
                     std::size_t(s.model.info().layers[l].outChannels()));
        }
        const std::vector<float> x = wave();
        QVERIFY(exported.forward(x).values == s.model.forwardWithWeights(x, overrides, nullptr, acts).values);

        // report.csv: one run row with the myQASR-style fields.
        std::ifstream csv(out + "/report.csv");
        std::string head, row;
        std::getline(csv, head);
        std::getline(csv, row);
        for (const char* field : {"avg_bits", "min_layer_bits", "max_layer_bits", "std_layer_bits", "size_mb", "metric",
                                  "order", "weight_calibration", "calibration_clips", "calibration_seconds", "wer", "cer",
                                  "layer_bits"})
            QVERIFY2(QString::fromStdString(head).split(',').contains(field), field);
        std::string bits;
        for (const auto& l : a.layers) bits += (bits.empty() ? "" : ";") + std::to_string(l.bits);
        QVERIFY(QString::fromStdString(row).endsWith(QString::fromStdString(bits)));
    }

    void weightOptionsReachEveryFile_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("granularity");
        QTest::newRow("minmax per_tensor") << "minmax" << "per_tensor";
        QTest::newRow("mse per_group") << "mse" << "per_group";
        QTest::newRow("cosine per_channel") << "cosine" << "per_channel";
    }

    void weightOptionsReachEveryFile() {
        QFETCH(QString, method);
        QFETCH(QString, granularity);
        Setup s;
        const qs::Allocation a = s.allocate(0.2);
        qs::ExportOptions o;
        o.weights.method = qs::parseWeightRange(method.toStdString());
        o.weights.granularity = qs::parseGranularity(granularity.toStdString());
        o.weights.groupSize = 16;
        o.weights.candidates = 25;
        const std::string out = (s.dir.path() + "/export").toStdString();
        const qs::ExportSummary sum = qs::exportQuantizedModel(s.model, s.analysis, a, s.corpus.get(), o, out);
        const qs::SpeechModel exported = qs::SpeechModel::load(out + "/model.pt");
        const qs::PackedWeights packed = qs::readPackedWeights(out + "/weights.safetensors");
        const nlohmann::json enc = qs::readJson(out + "/encodings.json");
        int checked = 0;
        for (const qs::WeightEntry& e : packed.entries) {
            if (!e.quantized) continue;
            const int l = int(std::find_if(a.layers.begin(), a.layers.end(), [&](const auto& x) { return x.name == e.name; }) -
                              a.layers.begin());
            QCOMPARE(qs::granularityName(e.quantized->granularity), granularity.toStdString());
            QVERIFY(qs::dequantize(e) == exported.layerWeight(l));
            const nlohmann::json& layer = enc["layers"].at(e.name);
            QCOMPARE(layer["granularity"].get<std::string>(), granularity.toStdString());
            QCOMPARE(enc["param_encodings"].at(e.name + ".weight").size(), e.quantized->scales.size());
            QCOMPARE(layer["clip_factors"].size(), e.quantized->scales.size());
            const std::string used = layer["weight_calibration"].get<std::string>();
            const std::string kind = s.model.info().layers[std::size_t(l)].kind;
            QCOMPARE(used, method == "cosine" && kind == "conv2d" ? std::string("mse") : method.toStdString());
            if (method == "minmax")
                for (const auto& f : layer["clip_factors"]) QCOMPARE(f.get<float>(), 1.0f);
            if (used == "cosine") QVERIFY(layer["output_cosine"].get<double>() > 0.5);
            if (granularity == "per_tensor") QCOMPARE(e.quantized->scales.size(), std::size_t(1));
            ++checked;
        }
        QCOMPARE(checked, int(a.layers.size()));
        QVERIFY(std::fabs(sum.packedMb - sum.sizeModelMb) <= 0.02 * sum.sizeModelMb);
        const qs::ReportRow row = qs::parseReportCsv(
            [&] { std::ifstream f(out + "/report.csv"); std::stringstream t; t << f.rdbuf(); return t.str(); }(), "report.csv");
        auto field = [&](const std::string& k) {
            for (const auto& [name, v] : row)
                if (name == k) return v;
            return std::string("<missing>");
        };
        QCOMPARE(field("weight_calibration"), method.toStdString());
        QCOMPARE(field("weight_granularity"), granularity.toStdString());
        QCOMPARE(field("wer"), std::string());
    }

    void activationOptionsReachEveryFile_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<bool>("groupsAll");
        QTest::newRow("minmax") << "minmax" << false;
        QTest::newRow("percentile") << "percentile" << false;
        QTest::newRow("mse, PEG on every layer") << "mse" << true;
    }

    // The calibrated input quantizers are calibrateActivations' own, written to encodings.json (one
    // AIMET encoding per tensor, or per channel when grouped) and report.csv, and baked into model.pt.
    void activationOptionsReachEveryFile() {
        QFETCH(QString, method);
        QFETCH(bool, groupsAll);
        Setup s;
        const qs::Allocation a = s.allocate(0.25);
        qs::ExportOptions o;
        o.activationBits = 6;
        o.activations.method = qs::parseActivationRange(method.toStdString());
        o.activations.percentile = 99.9;
        o.activations.groups = 4;
        o.activations.groupsAllLayers = groupsAll;
        const std::string out = (s.dir.path() + "/export").toStdString();
        const qs::ExportSummary sum = qs::exportQuantizedModel(s.model, s.analysis, a, s.corpus.get(), o, out);

        std::vector<const qs::Clip*> clips;
        for (const qs::Clip& c : s.corpus->speakers()[0].clips) clips.push_back(&c);
        qs::ActivationCalibrationOptions direct = o.activations;
        direct.bits = 6;
        const std::vector<qs::ActivationEncoding> expected = qs::calibrateActivations(
            s.model, *s.corpus, clips, std::vector<bool>(a.layers.size(), true), direct);

        const nlohmann::json enc = qs::readJson(out + "/encodings.json");
        const qs::SpeechModel exported = qs::SpeechModel::load(out + "/model.pt");
        std::vector<std::vector<float>> weights(a.layers.size());
        std::vector<qs::WeightOverride> overrides;
        std::vector<qs::ActivationQuant> acts;
        int grouped = 0;
        for (std::size_t l = 0; l < a.layers.size(); ++l) {
            const std::string name = a.layers[l].name;
            const qs::ActivationEncoding& e = expected[l];
            QVERIFY2(e.on, name.c_str());
            const nlohmann::json& input = enc["layers"].at(name).at("input");
            QCOMPARE(input["calibration"].get<std::string>(), method.toStdString());
            QCOMPARE(input["bits"].get<int>(), 6);
            QCOMPARE(input["scale"].get<float>(), e.scale);
            QCOMPARE(input["zero_point"].get<std::int64_t>(), e.zeroPoint);
            QCOMPARE(input["min"].get<float>(), e.min);
            QCOMPARE(input["max"].get<float>(), e.max);
            QCOMPARE(sum.layers[l].input.scale, e.scale);
            const nlohmann::json& list = enc["activation_encodings"].at(name + ".input");
            qs::ActivationQuant q{int(l), list[0]["scale"].get<float>(), list[0]["zero_point"].get<std::int64_t>(), 0, 63};
            if (e.groups > 0) {
                ++grouped;
                QCOMPARE(input["granularity"].get<std::string>(), std::string("per_embedding_group"));
                QCOMPARE(input["groups"].get<int>(), e.groups);
                QCOMPARE(list.size(), e.channels);
                for (std::size_t c = 0; c < list.size(); ++c) {
                    const std::size_t g = std::size_t(e.channelGroup[c]);
                    QCOMPARE(list[c]["scale"].get<float>(), e.groupScale[g]);
                    q.channelScales.push_back(list[c]["scale"].get<float>());
                    q.channelZeroPoints.push_back(list[c]["zero_point"].get<std::int64_t>());
                }
            } else {
                QCOMPARE(input["granularity"].get<std::string>(), std::string("per_tensor"));
                QCOMPARE(list.size(), std::size_t(1));
            }
            acts.push_back(q);
            weights[l] = exported.layerWeight(int(l));
            overrides.push_back({int(l), &weights[l]});
        }
        QCOMPARE(sum.groupedLayers, grouped);
        if (groupsAll) QVERIFY(grouped >= int(a.layers.size()) - 1);  // all but single-channel inputs

        // model.pt computes exactly what quantscope's forward does with these quantizers.
        const std::vector<float> x = wave();
        QVERIFY(exported.forward(x).values == s.model.forwardWithWeights(x, overrides, nullptr, acts).values);

        std::ifstream f(out + "/report.csv");
        std::stringstream t;
        t << f.rdbuf();
        const qs::ReportRow row = qs::parseReportCsv(t.str(), "report.csv");
        auto field = [&](const std::string& k) {
            for (const auto& [n, v] : row)
                if (n == k) return v;
            return std::string("<missing>");
        };
        QCOMPARE(field("activation_calibration"), method.toStdString());
        QCOMPARE(field("activation_bits"), std::string("6"));
        QCOMPARE(field("activation_percentile"), method == "percentile" ? std::string("99.9") : std::string());
        QCOMPARE(field("activation_grouped_layers"), std::to_string(grouped));
        QVERIFY(QString::fromStdString(enc["quantizer"]["activations"].get<std::string>()).contains(method));
    }

    // Calibration clips are spread over each speaker's recordings, not its first few.
    void calibrationClipsSpreadOverEachSpeaker() {
        QTemporaryDir dir;
        for (int i = 0; i < 10; ++i)
            qs::test::writeSine(QStringLiteral("%1/a/c%2.wav").arg(dir.path()).arg(i, 2, 10, QLatin1Char('0')).toStdString(),
                                qs::test::AudioFormat::Wav16, 16000, 1, 0.2, 300.0, 0.3);
        for (int i = 0; i < 3; ++i)
            qs::test::writeSine(QStringLiteral("%1/b/c%2.wav").arg(dir.path()).arg(i).toStdString(),
                                qs::test::AudioFormat::Wav16, 16000, 1, 0.2, 300.0, 0.3);
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan(dir.path().toStdString());
        auto ids = [](const std::vector<const qs::Clip*>& clips) {
            std::vector<std::string> out;
            for (const qs::Clip* c : clips) out.push_back(c->speaker + "/" + c->id);
            return out;
        };
        QCOMPARE(ids(qs::pickCalibrationClips(corpus, 4)),
                 (std::vector<std::string>{"a/c00", "a/c02", "a/c05", "a/c07", "b/c0", "b/c1", "b/c2"}));
        QCOMPARE(qs::pickCalibrationClips(corpus, 0).size(), std::size_t(13));
        QCOMPARE(qs::pickCalibrationClips(corpus, 10).size(), std::size_t(13));
        QCOMPARE(ids(qs::pickCalibrationClips(corpus, 1)), (std::vector<std::string>{"a/c00", "b/c0"}));
    }

    void reportCsvRoundTripsAndUpdates() {
        QTemporaryDir dir;
        const qs::ReportRow row{{"model", "/a,b/\"q\".pt"}, {"wer", ""}, {"layer_bits", "8;4"}};
        const std::string path = (dir.path() + "/report.csv").toStdString();
        qs::writeFileAtomic(path, qs::reportCsv(row));
        QCOMPARE(qs::parseReportCsv(qs::reportCsv(row), path), row);
        qs::updateReportCsv(path, {{"wer", "0.125"}, {"sqnr_db", "31.5"}});
        std::ifstream f(path);
        std::stringstream t;
        t << f.rdbuf();
        const qs::ReportRow updated = qs::parseReportCsv(t.str(), path);
        QCOMPARE(updated.size(), std::size_t(4));
        QCOMPARE(updated[0].second, std::string("/a,b/\"q\".pt"));
        QCOMPARE(updated[1].second, std::string("0.125"));
        QCOMPARE(updated[3], (std::pair<std::string, std::string>("sqnr_db", "31.5")));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::parseReportCsv("a,b\n1\n", "x.csv"));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::updateReportCsv((dir.path() + "/none.csv").toStdString(), {}));
    }

    void weightsOnlyNeedsNoAudio() {
        Setup s;
        qs::ExportOptions o;
        o.activationBits = 0;
        const std::string out = (s.dir.path() + "/w").toStdString();
        qs::exportQuantizedModel(s.model, s.analysis, s.allocate(0.3), nullptr, o, out);
        const nlohmann::json enc = qs::readJson(out + "/encodings.json");
        QVERIFY(enc["activation_encodings"].empty());
    }

    // A clip that cannot be decoded any more (changed after the scan) is skipped, not counted, and
    // listed once with its reason; when none can be decoded the export is one clear error and writes
    // nothing.
    void undecodableCalibrationClipsAreSkipped() {
        Setup s;
        auto spoil = [&](int i) {
            QFile f(s.dir.path() + "/audio/ann/c" + QString::number(i) + ".wav");
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write("not audio any more");
        };
        spoil(1);
        const std::string out = (s.dir.path() + "/export").toStdString();
        const qs::ExportSummary sum = qs::exportQuantizedModel(s.model, s.analysis, s.allocate(0.3), s.corpus.get(), {}, out);
        QCOMPARE(sum.calibrationClips, 2);
        const std::string spoiled = (s.dir.path() + "/audio/ann/c1.wav").toStdString();
        QCOMPARE(sum.skipped.size(), std::size_t(1));
        QCOMPARE(sum.skipped[0].path, spoiled);
        QVERIFY2(sum.skipped[0].reason.find("c1.wav") != std::string::npos, sum.skipped[0].reason.c_str());
        std::ifstream f(out + "/report.csv");
        std::stringstream t;
        t << f.rdbuf();
        int fields = 0;
        for (const auto& [name, value] : qs::parseReportCsv(t.str(), "report.csv")) {
            if (name == "calibration_clips") {
                QCOMPARE(value, std::string("2"));
                ++fields;
            }
            if (name == "skipped_clips") {
                QCOMPARE(value, std::string("1"));
                ++fields;
            }
        }
        QCOMPARE(fields, 2);

        // The cosine weight search reads the same clips: listed by it when activations are off.
        qs::ExportOptions cosine;
        cosine.activationBits = 0;
        cosine.weights.method = qs::WeightRange::Cosine;
        cosine.weights.candidates = 5;
        const qs::ExportSummary w = qs::exportQuantizedModel(s.model, s.analysis, s.allocate(0.3), s.corpus.get(), cosine,
                                                             (s.dir.path() + "/cosine").toStdString());
        QCOMPARE(w.skipped.size(), std::size_t(1));
        QCOMPARE(w.skipped[0].path, spoiled);

        spoil(0);
        spoil(2);
        const std::string none = (s.dir.path() + "/none").toStdString();
        try {
            qs::exportQuantizedModel(s.model, s.analysis, s.allocate(0.3), s.corpus.get(), {}, none);
            QFAIL("exported without a decodable calibration clip");
        } catch (const qs::InputError& e) {
            QCOMPARE(std::string(e.what()), std::string("no calibration clip could be decoded"));
        }
        QVERIFY(!QFileInfo::exists(QString::fromStdString(none)));
        QCOMPARE(QDir(s.dir.path()).entryList(QStringList() << "*.tmp.*", QDir::Dirs | QDir::Files).size(), 0);
    }

    void failureLeavesTheOldFolder() {
        Setup s;
        const std::string out = (s.dir.path() + "/export").toStdString();
        qs::exportQuantizedModel(s.model, s.analysis, s.allocate(0.3), s.corpus.get(), {}, out);
        const QByteArray before = [&] { QFile f(QString::fromStdString(out + "/report.csv")); f.open(QIODevice::ReadOnly); return f.readAll(); }();

        qs::Allocation wrong = s.allocate(0.3);
        wrong.layers.pop_back();
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::exportQuantizedModel(s.model, s.analysis, wrong, s.corpus.get(), {}, out));
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(qs::Cancelled, qs::exportQuantizedModel(s.model, s.analysis, s.allocate(0.25), s.corpus.get(), {},
                                                                          out, [&](const qs::Progress&) { return ++calls < 1; }));
        QFile f(QString::fromStdString(out + "/report.csv"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), before);
        QCOMPARE(QDir(s.dir.path()).entryList(QStringList() << "*.tmp.*" << "*.old.*", QDir::Dirs | QDir::Files).size(), 0);
    }

    // A cancel once the folder is being written (after calibration) stops it there: no folder, no
    // temporary one. The write runs on a worker that checks between parameters and files, while this
    // thread asks the progress callback (bench/bench_cancel measures how soon it stops mid-way).
    void cancelWhileWritingLeavesNothing() {
        Setup s;
        const std::string out = (s.dir.path() + "/writing").toStdString();
        int writingCalls = 0;
        QVERIFY_THROWS_EXCEPTION(qs::Cancelled,
                                 qs::exportQuantizedModel(s.model, s.analysis, s.allocate(0.25), s.corpus.get(), {}, out,
                                                          [&](const qs::Progress& p) {
                                                              if (p.message.rfind("writing ", 0) != 0) return true;
                                                              ++writingCalls;
                                                              return false;
                                                          }));
        QCOMPARE(writingCalls, 1);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(out)));
        QCOMPARE(QDir(s.dir.path()).entryList(QStringList() << "*.tmp.*", QDir::Dirs | QDir::Files).size(), 0);
    }

    // A large file (a model.pt of a few hundred MB) is written in chunks with a cancel check between
    // them: a cancel leaves neither the file nor its temporary; without one the bytes are exact.
    void largeWritesStopOnCancel() {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/big.bin").toStdString();
        std::string bytes(std::size_t(40) << 20, '\0');
        for (std::size_t i = 0; i < bytes.size(); i += 4096) bytes[i] = char(i / 4096);
        std::atomic<bool> flag{true};
        {
            qs::CancelScope scope(&flag);
            QVERIFY_THROWS_EXCEPTION(qs::Cancelled, qs::writeFileAtomic(path, bytes));
            qs::writeFileAtomic(path + ".small", "a small file is written whole");  // one chunk: no check
        }
        QVERIFY(!QFileInfo::exists(QString::fromStdString(path)));
        QCOMPARE(QDir(dir.path()).entryList(QStringList() << "*.tmp.*", QDir::Files).size(), 0);
        qs::writeFileAtomic(path, bytes);
        std::ifstream in(path, std::ios::binary);
        const std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        QVERIFY(back == bytes);
    }
};

QTEST_APPLESS_MAIN(TestExportFolder)
#include "test_export_folder.moc"
