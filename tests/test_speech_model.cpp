// labels: unit
// SpeechModel against the fixture models of tools/make_fixtures.py: the layers found in the
// TorchScript graph and the outputs the observers record must equal what eager forward hooks saw.
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks LibTorch headers

#include <QtTest>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include <caffe2/serialize/file_adapter.h>

#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/model/model_file.h"
#include "core/model/speech_model.h"

namespace {

std::string fixture(const std::string& name) { return std::string(QS_FIXTURES_DIR) + "/" + name; }

nlohmann::json expected(const std::string& model) {
    std::ifstream in(fixture(model.substr(0, model.size() - 3) + ".expected.json"));
    return nlohmann::json::parse(in);
}

// The probe waveform of tools/make_fixtures.py, built with the same LibTorch ops.
std::vector<float> probe(int samples) {
    at::Tensor t = torch::arange(samples, torch::kFloat32) / 16000;
    at::Tensor x = 0.5 * torch::sin(2 * M_PI * 220.0 * t) + 0.25 * torch::sin(2 * M_PI * 1375.0 * t);
    return std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + samples);
}

// Exact per-layer summaries in double, like the Python hooks compute them.
struct ExactSink : qs::LayerSink {
    struct Acc {
        double count = 0, sumAbs = 0, sumSq = 0, max = -INFINITY, min = INFINITY;
        std::vector<std::size_t> layout;
    };
    std::map<int, Acc> acc;
    void observe(int layer, const float* data, std::size_t outer, std::size_t channels, std::size_t inner) override {
        Acc& a = acc[layer];
        a.layout = {outer, channels, inner};
        for (std::size_t i = 0; i < outer * channels * inner; ++i) {
            const double y = data[i];
            a.count += 1;
            a.sumAbs += std::fabs(y);
            a.sumSq += y * y;
            a.max = std::max(a.max, y);
            a.min = std::min(a.min, y);
        }
    }
};

}  // namespace

class TestSpeechModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void layersAndStatistics_data() {
        QTest::addColumn<QString>("model");
        QTest::newRow("traced wav2vec2") << "w2v2_traced.pt";
        QTest::newRow("scripted wav2vec2") << "w2v2_scripted.pt";
        QTest::newRow("scripted wav2vec2, tuple output, optional argument") << "w2v2_tuple_scripted.pt";
        QTest::newRow("scripted If/Loop, shared layer, conv2d") << "control_flow_scripted.pt";
    }

    void layersAndStatistics() {
        QFETCH(QString, model);
        const nlohmann::json ex = expected(model.toStdString());
        const qs::SpeechModel m = qs::SpeechModel::load(fixture(model.toStdString()));
        const qs::ModelInfo& info = m.info();

        QCOMPARE(info.totalParams, ex["total_params"].get<int64_t>());
        const auto& exLayers = ex["layers"];
        QCOMPARE(info.layers.size(), exLayers.size());
        for (std::size_t i = 0; i < info.layers.size(); ++i) {
            QCOMPARE(info.layers[i].name, exLayers[i]["name"].get<std::string>());  // execution order
            QCOMPARE(info.layers[i].kind, exLayers[i]["kind"].get<std::string>());
            QCOMPARE(info.layers[i].params, exLayers[i]["params"].get<int64_t>());
        }

        const std::vector<float> wave = probe(ex["probe_samples"].get<int>());
        ExactSink sink;
        const qs::ModelOutput observed = m.forwardObserved(wave, sink);
        const qs::ModelOutput plain = m.forward(wave);
        QCOMPARE(observed.shape, ex["output_shape"].get<std::vector<int64_t>>());
        QCOMPARE(observed.shape, plain.shape);
        QVERIFY(observed.values == plain.values);  // observers change nothing, bit for bit

        QCOMPARE(sink.acc.size(), info.layers.size());
        for (std::size_t i = 0; i < info.layers.size(); ++i) {
            const auto& e = exLayers[i];
            const ExactSink::Acc& a = sink.acc.at(int(i));
            QCOMPARE(a.count, e["count"].get<double>());
            const double meanAbs = a.sumAbs / a.count;
            QVERIFY2(std::fabs(meanAbs - e["mean_abs"].get<double>()) <= 1e-5 * e["mean_abs"].get<double>(),
                     info.layers[i].name.c_str());
            QCOMPARE(float(a.max), e["max"].get<float>());
            QCOMPARE(float(a.min), e["min"].get<float>());
            const std::size_t channels = a.layout[1];
            QCOMPARE(int64_t(channels), info.layers[i].outChannels());
        }
    }

    void attentionProjectionsAreLayers() {
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("attention_scripted.pt"));
        std::vector<std::string> names;
        for (const auto& l : m.info().layers) names.push_back(l.name);
        const std::vector<std::string> want{"front", "self_attn.in_proj_weight", "self_attn.out_proj", "head"};
        QCOMPARE(names, want);  // execution order, though out_proj appears first in the graph
        QCOMPARE(m.info().layers[1].params, int64_t(3 * 24 * 24));
        ExactSink sink;
        m.forwardObserved(probe(8000), sink);
        QCOMPARE(sink.acc.size(), std::size_t(4));
        QCOMPARE(int64_t(sink.acc.at(1).layout[1]), int64_t(72));  // q, k and v of 24 channels each
    }

    void layerInputs() {
        struct InputSink : qs::LayerSink {
            std::map<int, std::vector<std::size_t>> layout;
            std::map<int, std::vector<float>> first;
            void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
            bool wantsInputs() const override { return true; }
            void observeInput(int layer, const float* d, std::size_t o, std::size_t c, std::size_t i) override {
                if (layout.count(layer)) return;
                layout[layer] = {o, c, i};
                first[layer].assign(d, d + o * c * i);
            }
        };
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("w2v2_traced.pt"));
        const std::vector<float> wave = probe(8000);
        InputSink sink;
        const qs::ModelOutput out = m.forwardObserved(wave, sink);
        QVERIFY(out.values == m.forward(wave).values);
        QCOMPARE(sink.layout.size(), m.info().layers.size());
        // The first convolution sees the waveform itself: [1, 1, samples].
        QCOMPARE(sink.layout.at(0), (std::vector<std::size_t>{1, 1, 8000}));
        QVERIFY(sink.first.at(0) == wave);
        for (std::size_t l = 0; l < m.info().layers.size(); ++l) {
            const qs::LayerInfo& info = m.info().layers[l];
            const std::size_t inFeatures = std::size_t(info.shape[1]);
            if (info.kind == "linear") QCOMPARE(sink.layout.at(int(l))[1], inFeatures);
        }
    }

    void metadata() {
        const qs::SpeechModel w = qs::SpeechModel::load(fixture("w2v2_traced.pt"));
        QCOMPARE(w.info().sampleRate, 16000);
        QCOMPARE(w.info().normalize, false);
        QCOMPARE(w.info().labels.size(), std::size_t(6));
        QCOMPARE(w.info().labels[0], std::string("<blank>"));
        QCOMPARE(qs::SpeechModel::load(fixture("w2v2_tuple_scripted.pt")).info().sampleRate, 8000);
        const qs::SpeechModel plain = qs::SpeechModel::load(fixture("control_flow_scripted.pt"));
        QCOMPARE(plain.info().sampleRate, 16000);  // no model.json: the documented defaults
        QCOMPARE(plain.info().normalize, true);
        QVERIFY(plain.info().labels.empty());
    }

    // A cancel at any read of a model load stops it with Cancelled, and leaks nothing: the sanitizer
    // build's LeakSanitizer checks at exit (a cancel thrown through the archive reader leaked the
    // buffer of the compressed record being read). Afterwards the same file loads whole.
    void cancelAtEveryReadOfTheLoad() {
        // Counts reads and sets the flag before read number `at` (never when at < 0).
        struct CountingFile : caffe2::serialize::ReadAdapterInterface {
            CountingFile(const std::string& path, std::atomic<bool>* flag, int at) : file(path), flag(flag), at(at) {}
            size_t size() const override { return file.size(); }
            size_t read(uint64_t pos, void* buf, size_t n, const char* what) const override {
                if (reads++ == at) *flag = true;
                return file.read(pos, buf, n, what);
            }
            caffe2::serialize::FileAdapter file;
            std::atomic<bool>* flag;
            int at;
            mutable int reads = 0;
        };
        const std::string path = fixture("w2v2_scripted.pt");
        std::atomic<bool> flag{false};
        qs::CancelScope scope(&flag);
        auto whole = std::make_shared<CountingFile>(path, &flag, -1);
        torch::jit::ExtraFilesMap extra{{"model.json", ""}};
        const torch::jit::Module m = qs::detail::loadTorchScript(whole, extra);
        QVERIFY(!extra["model.json"].empty());
        const int reads = whole->reads;
        QVERIFY2(reads > 10, qPrintable(QString::number(reads)));
        for (int at = 0; at < reads; ++at) {
            flag = false;
            torch::jit::ExtraFilesMap e{{"model.json", ""}};
            QVERIFY_THROWS_EXCEPTION(qs::Cancelled, qs::detail::loadTorchScript(std::make_shared<CountingFile>(path, &flag, at), e));
        }
        flag = false;
        int64_t params = 0;
        for (const auto& p : m.parameters()) params += p.numel();
        QVERIFY(params > 0);
        QCOMPARE(qs::SpeechModel::load(path).info().totalParams, params);
    }

    void clearErrors_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("message");
        QTest::newRow("text file") << "not_a_model.pt" << "is not a TorchScript model";
        QTest::newRow("missing file") << "no_such_model.pt" << "is not a TorchScript model";
        QTest::newRow("no layers") << "no_layers.pt" << "has no quantizable layers";
        QTest::newRow("wants images") << "wants_images.pt" << "rejected a [1, 16000] float waveform: Expected";
    }

    void clearErrors() {
        QFETCH(QString, model);
        QFETCH(QString, message);
        try {
            qs::SpeechModel::load(fixture(model.toStdString()));
            QFAIL("load should have thrown");
        } catch (const qs::ModelError& e) {
            const QString what = QString::fromStdString(e.what());
            QVERIFY2(what.contains(message), qPrintable(what));
            QVERIFY2(!what.contains('\n'), qPrintable(what));  // one line
        }
    }
};

QTEST_APPLESS_MAIN(TestSpeechModel)
#include "test_speech_model.moc"
