// labels: unit
// Learned rounding through the export: AdaRound and GPTQ codes lie on each layer's grid and
// weights.safetensors, encodings.json and model.pt agree bit for bit; the codes do not depend on the
// thread count; sequential mode puts layers with the same input (q, k, v) in one stage; a cancelled
// run stops inside the optimisation within a second and leaves nothing behind.
#include <QtTest>
#include <chrono>
#include <cmath>

#include "core/allocation/allocation.h"
#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/export/packed_weights.h"
#include "core/export/quantized_export.h"
#include "core/quantize/learned_rounding.h"
#include "core/stats/analyzer.h"
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
        for (int i = 0; i < 4; ++i) {
            std::vector<float> x = qs::test::sine(16000, 0.6, 180.0 + 90 * i, 0.4);
            const std::vector<float> y = qs::test::sine(16000, 0.6, 1230.0 + 170 * i, 0.2);
            for (std::size_t k = 0; k < x.size(); ++k) x[k] += y[k];
            qs::test::writeAudio((root + "/ann/c" + QString::number(i) + ".wav").toStdString(), qs::test::AudioFormat::Wav16,
                                 16000, 1, x);
        }
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

    qs::ExportOptions options(qs::WeightRounding method, const char* granularity = "per_channel") const {
        qs::ExportOptions o;
        o.rounding.method = method;
        o.rounding.adaround.iterations = 60;
        o.weights.granularity = qs::parseGranularity(granularity);
        o.weights.groupSize = 16;
        return o;
    }
};

}  // namespace

class TestLearnedRoundingExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void exportedWeightsLieOnTheGrid_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("granularity");
        for (const char* m : {"adaround", "gptq"})
            for (const char* g : {"per_channel", "per_group", "per_tensor"})
                QTest::newRow((std::string(m) + " " + g).c_str()) << m << g;
    }

    void exportedWeightsLieOnTheGrid() {
        QFETCH(QString, method);
        QFETCH(QString, granularity);
        Setup s;
        const qs::Allocation a = s.allocate(0.14);  // about 3 bits
        const std::string out = (s.dir.path() + "/export").toStdString();
        const qs::ExportOptions o = s.options(qs::parseWeightRounding(method.toStdString()), qPrintable(granularity));
        const qs::ExportSummary sum = qs::exportQuantizedModel(s.model, s.analysis, a, s.corpus.get(), o, out);
        QVERIFY(sum.roundedLayers > 0);

        const qs::SpeechModel exported = qs::SpeechModel::load(out + "/model.pt");
        const qs::PackedWeights packed = qs::readPackedWeights(out + "/weights.safetensors");
        const nlohmann::json enc = qs::readJson(out + "/encodings.json");
        QCOMPARE(QString::fromStdString(enc["quantizer"]["weights"].get<std::string>()).endsWith(method + " rounding"), true);
        int changed = 0, checked = 0;
        for (const qs::WeightEntry& e : packed.entries) {
            if (!e.quantized) continue;
            std::size_t l = 0;
            while (a.layers[l].name != e.name) ++l;
            const qs::QuantizedCodes& q = *e.quantized;
            QCOMPARE(q.bits, a.layers[l].bits);
            QCOMPARE(qs::granularityName(q.granularity), granularity.toStdString());
            for (std::int32_t c : q.codes) QVERIFY(c >= q.range.qmin && c <= q.range.qmax);
            // model.pt computes with exactly the weights the codes and scales give.
            QVERIFY(qs::dequantize(e) == exported.layerWeight(int(l)));
            // encodings.json lists those scales.
            const nlohmann::json& scales = enc["param_encodings"].at(e.name + ".weight");
            QCOMPARE(scales.size(), q.scales.size());
            for (std::size_t k = 0; k < q.scales.size(); ++k) QCOMPARE(scales[k]["scale"].get<float>(), q.scales[k]);
            const nlohmann::json& layer = enc["layers"].at(e.name);
            QCOMPARE(QString::fromStdString(layer["weight_rounding"].get<std::string>()), method);
            QVERIFY(layer["rounding"]["output_error"].get<double>() <= layer["rounding"]["nearest_output_error"].get<double>());
            // Nearest rounding on the same scales, for comparison.
            const std::vector<float> w = s.model.layerWeight(int(l));
            const qs::QuantizedCodes nearest =
                qs::quantizeCodes(w, s.model.info().layers[l].shape, q.bits, q.range, q.granularity, q.groupSize, q.scales, q.zeroPoints);
            for (std::size_t i = 0; i < q.codes.size(); ++i) changed += q.codes[i] != nearest.codes[i];
            ++checked;
        }
        QCOMPARE(checked, int(a.layers.size()));
        QVERIFY2(changed > 0, "learned rounding changed no code");
    }

    void codesDoNotDependOnTheThreadCount_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<bool>("sequential");
        QTest::newRow("adaround") << "adaround" << false;
        QTest::newRow("gptq") << "gptq" << false;
        QTest::newRow("gptq sequential") << "gptq" << true;
    }

    void codesDoNotDependOnTheThreadCount() {
        QFETCH(QString, method);
        QFETCH(bool, sequential);
        Setup s;
        const qs::Allocation a = s.allocate(0.14);
        std::vector<int> bits;
        for (const auto& l : a.layers) bits.push_back(l.bits);
        const std::vector<const qs::Clip*> clips = qs::pickCalibrationClips(*s.corpus, 0);
        qs::LearnedRoundingOptions r = s.options(qs::parseWeightRounding(method.toStdString())).rounding;
        r.sequential = sequential;
        std::vector<std::vector<qs::WeightEncoding>> runs;
        for (int threads : {1, 2, 3}) {
            qs::WeightCalibrationOptions w;
            w.threads = threads;
            std::vector<qs::WeightEncoding> e = qs::calibrateWeights(s.model, bits, nullptr, {}, w);
            const qs::LearnedRoundingSummary sum = qs::learnRounding(s.model, e, *s.corpus, clips, {}, w, r, {}, threads);
            QCOMPARE(sum.clipsUsed, 4);
            if (sequential) QVERIFY2(sum.passes < int(a.layers.size()), "q, k and v should share a stage");
            else QCOMPARE(sum.passes, 1);
            runs.push_back(std::move(e));
        }
        for (std::size_t l = 0; l < runs[0].size(); ++l) {
            QVERIFY(runs[0][l].codes.codes == runs[1][l].codes.codes);
            QVERIFY(runs[0][l].codes.codes == runs[2][l].codes.codes);
            QCOMPARE(runs[0][l].outputError, runs[1][l].outputError);
        }
    }

    void cancelStopsInsideTheOptimisationAndLeavesNothing() {
        Setup s;
        const std::string out = (s.dir.path() + "/export").toStdString();
        qs::ExportOptions o = s.options(qs::WeightRounding::AdaRound);
        o.rounding.adaround.iterations = 10000000;  // hours: only a cancel inside the loop ends it
        using Clock = std::chrono::steady_clock;
        Clock::time_point asked{};
        bool rounding = false;
        auto progress = [&](const qs::Progress& p) {
            // Once layers are being optimised ("adaround: <layer names>"), ask to stop.
            if (!rounding && p.message.rfind("adaround: model.", 0) == 0) rounding = true, asked = Clock::now();
            return !rounding;
        };
        QVERIFY_THROWS_EXCEPTION(qs::Cancelled, qs::exportQuantizedModel(s.model, s.analysis, s.allocate(0.14), s.corpus.get(),
                                                                          o, out, progress));
        const double seconds = std::chrono::duration<double>(Clock::now() - asked).count();
        QVERIFY(rounding);
        qInfo("cancelled %.3f s after asking", seconds);
        QVERIFY2(seconds < 1.0, qPrintable(QString::number(seconds)));
        QVERIFY(!QFileInfo::exists(QString::fromStdString(out)));
        QCOMPARE(QDir(s.dir.path()).entryList(QStringList() << "*.tmp.*" << "*.old.*", QDir::Dirs | QDir::Files).size(), 0);
    }

    void learnedRoundingNeedsAudio() {
        Setup s;
        qs::ExportOptions o = s.options(qs::WeightRounding::Gptq);
        o.activationBits = 0;
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::exportQuantizedModel(s.model, s.analysis, s.allocate(0.2), nullptr, o,
                                                                           (s.dir.path() + "/x").toStdString()));
    }
};

QTEST_APPLESS_MAIN(TestLearnedRoundingExport)
#include "test_learned_rounding_export.moc"
