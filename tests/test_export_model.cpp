// labels: unit
// The exported quantized TorchScript model computes exactly what quantscope's own quantized forward
// pass computes, in LibTorch and in stock PyTorch, with standard ATen operators only.
#include <QtTest>
#include <limits>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <fstream>
#include <map>

#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/quantize/quantizer.h"
#include "core/model/speech_model.h"

namespace {

std::string fixture(const std::string& name) { return std::string(QS_FIXTURES_DIR) + "/" + name; }

std::vector<float> wave(std::size_t n) {
    std::vector<float> w(n);
    for (std::size_t i = 0; i < n; ++i) w[i] = float(0.4 * std::sin(0.031 * double(i)) + 0.2 * std::sin(0.17 * double(i)));
    return w;
}

// Every layer's weight at `bits`, every layer input at 8 bits with a fixed range.
struct Plan {
    std::vector<std::vector<float>> weights;
    std::vector<qs::WeightOverride> overrides;
    std::vector<qs::ActivationQuant> acts;
};

Plan quantizeAll(const qs::SpeechModel& m, int bits) {
    Plan p;
    const auto& layers = m.info().layers;
    p.weights.reserve(layers.size());
    for (std::size_t l = 0; l < layers.size(); ++l) {
        p.weights.push_back(qs::quantizeWeightSymmetric(m.layerWeight(int(l)), layers[l].outChannels(), bits));
        p.overrides.push_back({int(l), &p.weights.back()});
        p.acts.push_back({int(l), 0.02f, 128, 0, 255});
    }
    return p;
}

// Each layer's input channel count (the channel dimension LayerSink reports), from one pass.
struct InputChannels : qs::LayerSink {
    std::map<int, std::size_t> channels;
    void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
    bool wantsInputs() const override { return true; }
    void observeInput(int layer, const float*, std::size_t, std::size_t c, std::size_t) override { channels[layer] = c; }
};

// Per-channel quantizers (as per-embedding-group quantization makes them) on every layer with at
// least two input channels, every channel with its own scale and zero point; per tensor on the rest.
std::vector<qs::ActivationQuant> perChannelActs(const qs::SpeechModel& m, const std::vector<float>& x) {
    InputChannels probe;
    m.forwardObserved(x, probe);
    std::vector<qs::ActivationQuant> acts;
    for (const auto& [layer, channels] : probe.channels) {
        qs::ActivationQuant q{layer, 0.02f, 128, 0, 255};
        if (channels >= 2)
            for (std::size_t c = 0; c < channels; ++c) {
                q.channelScales.push_back(0.004f * float(1 + (c * 7 + std::size_t(layer)) % 11));
                q.channelZeroPoints.push_back(std::int64_t(96 + (c * 5) % 64));
            }
        acts.push_back(q);
    }
    return acts;
}

// Runs a python script on the exported model (argv[1]) that writes its float output to argv[2];
// returns what it printed and sets *worst to the largest difference from mine.
QByteArray runStockPyTorch(const QString& script, const std::string& model, const QString& dir,
                           const std::vector<float>& mine, double* worst) {
    *worst = INFINITY;
    QProcess py;
    py.start("/usr/bin/python3", {"-c", script, QString::fromStdString(model), dir + "/y.bin"});
    if (!py.waitForFinished(120000) || py.exitCode() != 0) {
        qWarning("%s", py.readAllStandardError().constData());
        return {};
    }
    QFile f(dir + "/y.bin");
    if (!f.open(QIODevice::ReadOnly)) return {};
    const QByteArray bytes = f.readAll();
    if (std::size_t(bytes.size()) != mine.size() * sizeof(float)) return {};
    const float* y = reinterpret_cast<const float*>(bytes.constData());
    *worst = 0;
    for (std::size_t i = 0; i < mine.size(); ++i) *worst = std::max(*worst, double(std::fabs(y[i] - mine[i])));
    return py.readAllStandardOutput().trimmed();
}

}  // namespace

class TestExportModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void exportedEqualsQuantizedForward_data() {
        QTest::addColumn<QString>("model");
        QTest::newRow("traced wav2vec2") << "w2v2_traced.pt";
        QTest::newRow("scripted wav2vec2") << "w2v2_scripted.pt";
        QTest::newRow("scripted If/Loop, shared layer") << "control_flow_scripted.pt";
        QTest::newRow("multi-head attention") << "attention_scripted.pt";
    }

    void exportedEqualsQuantizedForward() {
        QFETCH(QString, model);
        QTemporaryDir dir;
        const qs::SpeechModel m = qs::SpeechModel::load(fixture(model.toStdString()));
        const Plan plan = quantizeAll(m, 4);
        const std::vector<float> x = wave(8000);
        const qs::ModelOutput mine = m.forwardWithWeights(x, plan.overrides, nullptr, plan.acts);
        const qs::ModelOutput plain = m.forward(x);
        QVERIFY(mine.values != plain.values);  // quantization did something

        const std::string out = (dir.path() + "/model.pt").toStdString();
        m.exportQuantized(out, plan.overrides, plan.acts, R"({"quantscope": {"bits": 4}})");
        const qs::SpeechModel exported = qs::SpeechModel::load(out);
        QCOMPARE(exported.info().layers.size(), m.info().layers.size());
        QCOMPARE(exported.info().sampleRate, m.info().sampleRate);
        const qs::ModelOutput theirs = exported.forward(x);
        QCOMPARE(theirs.shape, mine.shape);
        QVERIFY(theirs.values == mine.values);  // bit for bit
        QVERIFY(!QDir(dir.path()).entryList(QStringList() << "*.tmp.*", QDir::Files).size());

        // Stock PyTorch: no quantscope operator is needed to load and run it.
        const QString script = QStringLiteral(
            "import sys, math, json, torch\n"
            "files = {'model.json': ''}\n"
            "m = torch.jit.load(sys.argv[1], _extra_files=files)\n"
            "assert 'quantscope' not in str(m.forward.graph).replace('\"quantscope\"', '')\n"
            "i = torch.arange(8000, dtype=torch.float64)\n"
            "x = (0.4 * torch.sin(0.031 * i) + 0.2 * torch.sin(0.17 * i)).float().unsqueeze(0)\n"
            "with torch.no_grad():\n"
            "    y = m(x)\n"
            "y = y[0] if isinstance(y, tuple) else y\n"
            "open(sys.argv[2], 'wb').write(y.contiguous().numpy().tobytes())\n"
            "print(json.loads(files['model.json'])['quantscope']['bits'])\n");
        double worst = 0;
        QCOMPARE(runStockPyTorch(script, out, dir.path(), mine.values, &worst), QByteArray("4"));
        // The probe differs from the C++ one only by float rounding of the sine; the same operators run.
        QVERIFY2(worst < 1e-3, qPrintable(QString::number(worst)));
    }

    void exportedPerChannelEqualsQuantizedForward_data() { exportedEqualsQuantizedForward_data(); }

    void exportedPerChannelEqualsQuantizedForward() {
        QFETCH(QString, model);
        QTemporaryDir dir;
        const qs::SpeechModel m = qs::SpeechModel::load(fixture(model.toStdString()));
        Plan plan = quantizeAll(m, 6);
        const std::vector<float> x = wave(8000);
        plan.acts = perChannelActs(m, x);
        std::size_t perChannel = 0;
        for (const qs::ActivationQuant& q : plan.acts) perChannel += q.channelScales.empty() ? 0 : 1;
        QVERIFY(perChannel >= 3 && perChannel + 2 >= m.info().layers.size());  // not one-channel convolutions
        const qs::ModelOutput mine = m.forwardWithWeights(x, plan.overrides, nullptr, plan.acts);
        const Plan perTensor = quantizeAll(m, 6);
        QVERIFY(mine.values != m.forwardWithWeights(x, perTensor.overrides, nullptr, perTensor.acts).values);

        const std::string out = (dir.path() + "/model.pt").toStdString();
        m.exportQuantized(out, plan.overrides, plan.acts);
        const qs::ModelOutput theirs = qs::SpeechModel::load(out).forward(x);
        QCOMPARE(theirs.shape, mine.shape);
        QVERIFY(theirs.values == mine.values);  // bit for bit

        // Stock PyTorch loads it; the graph holds the per-channel operator and nothing of quantscope.
        const QString script = QStringLiteral(
            "import sys, torch\n"
            "m = torch.jit.load(sys.argv[1])\n"
            "g = str(m.forward.graph)\n"
            "assert 'quantscope' not in g\n"
            "print(g.count('aten::fake_quantize_per_channel_affine'), g.count('aten::fake_quantize_per_tensor_affine'))\n"
            "i = torch.arange(8000, dtype=torch.float64)\n"
            "x = (0.4 * torch.sin(0.031 * i) + 0.2 * torch.sin(0.17 * i)).float().unsqueeze(0)\n"
            "with torch.no_grad():\n"
            "    y = m(x)\n"
            "y = y[0] if isinstance(y, tuple) else y\n"
            "open(sys.argv[2], 'wb').write(y.contiguous().numpy().tobytes())\n");
        double worst = 0;
        const QList<QByteArray> counts = runStockPyTorch(script, out, dir.path(), mine.values, &worst).split(' ');
        QCOMPARE(counts.size(), 2);
        // One operator per call site: a shared layer has several.
        QVERIFY(std::size_t(counts[0].toInt()) >= perChannel);
        QVERIFY(std::size_t(counts[1].toInt()) >= plan.acts.size() - perChannel);
        QVERIFY2(worst < 1e-3, qPrintable(QString::number(worst)));
    }

    void perChannelQuantizerOfTheWrongSize() {
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("w2v2_traced.pt"));
        const std::vector<float> x = wave(4000);
        // Layer 3 (feature_projection.projection, a linear layer) takes 16 features.
        qs::ActivationQuant q{3, 0.02f, 128, 0, 255, std::vector<float>(15, 0.01f), std::vector<std::int64_t>(15, 100)};
        for (auto call : {0, 1}) {
            try {
                if (call == 0) m.forwardWithWeights(x, {}, nullptr, {q});
                else m.exportQuantized(QDir::tempPath().toStdString() + "/qs-never-written.pt", {}, {q});
                QFAIL("a quantizer of 15 channels for a 16-channel input was accepted");
            } catch (const qs::ModelError& e) {
                QVERIFY2(std::string(e.what()).find("model.encoder.feature_projection.projection has 15 channel scales") !=
                             std::string::npos, e.what());
                QVERIFY2(std::string(e.what()).find("16 channels") != std::string::npos, e.what());
            }
        }
        // Layer 4 (pos_conv_embed.conv) is a grouped convolution: weight [32, 8, 8], 4 groups, 32 inputs.
        const qs::ActivationQuant conv{4, 0.02f, 128, 0, 255, std::vector<float>(8, 0.01f), std::vector<std::int64_t>(8, 100)};
        for (auto call : {0, 1}) {
            try {
                if (call == 0) m.forwardWithWeights(x, {}, nullptr, {conv});
                else m.exportQuantized(QDir::tempPath().toStdString() + "/qs-never-written.pt", {}, {conv});
                QFAIL("a quantizer of 8 channels for a 32-channel input was accepted");
            } catch (const qs::ModelError& e) {
                QVERIFY2(std::string(e.what()) == "the activation quantizer of model.encoder.transformer.pos_conv_embed.conv "
                                                  "has 8 channel scales but the layer's input has 32 channels", e.what());
            }
        }
        QVERIFY(!QFile::exists(QDir::tempPath() + "/qs-never-written.pt"));
        q.channelZeroPoints.pop_back();  // sizes disagree
        QVERIFY_THROWS_EXCEPTION(qs::InputError, m.forwardWithWeights(x, {}, nullptr, {q}));
        q.channelScales = std::vector<float>(16, 0.01f);
        q.channelZeroPoints = std::vector<std::int64_t>(16, 100);
        q.channelZeroPoints[4] = 256;  // outside qmin..qmax
        QVERIFY_THROWS_EXCEPTION(qs::InputError, m.forwardWithWeights(x, {}, nullptr, {q}));
        q.channelZeroPoints[4] = 100;
        q.channelScales[2] = 0.0f;
        QVERIFY_THROWS_EXCEPTION(qs::InputError, m.forwardWithWeights(x, {}, nullptr, {q}));
        q.channelScales[2] = 0.01f;
        QVERIFY(m.forwardWithWeights(x, {}, nullptr, {q}).values != m.forward(x).values);
    }

    void overridesWithoutActivationsKeepFloatActivations() {
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("w2v2_traced.pt"));
        const std::vector<float> x = wave(6000);
        QVERIFY(m.forwardWithWeights(x, {}, nullptr, {}).values == m.forward(x).values);
        const Plan plan = quantizeAll(m, 8);
        const std::vector<qs::ActivationQuant> one{{2, 0.01f, 0, -128, 127}};
        QVERIFY(m.forwardWithWeights(x, {}, nullptr, one).values != m.forward(x).values);
    }

    // A cancel at any moment of writing model.pt (reloading the float model, rewriting it,
    // serialising it, writing the file) either comes too late, and the file is complete, or throws
    // Cancelled and leaves no file: serialisation never stops short (LibTorch's archive writer would
    // end the process) and never leaves a partial archive. The moments are spread over one export's
    // duration (its fastest); bench/bench_cancel measures how soon it stops on the 94M model.
    void cancelAtAnyMomentOfTheWrite() {
        QTemporaryDir dir;
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("w2v2_scripted.pt"));
        const Plan plan = quantizeAll(m, 4);
        const std::string out = (dir.path() + "/model.pt").toStdString();
        // The fastest of three exports: the first is cold, and on a busy machine one slow run would
        // put most moments after the end (then too few cancels land for the test to mean anything).
        qint64 fullUs = std::numeric_limits<qint64>::max();
        for (int run = 0; run < 3; ++run) {
            QElapsedTimer clock;
            clock.start();
            m.exportQuantized(out, plan.overrides, plan.acts);
            fullUs = std::min(fullUs, std::max<qint64>(clock.nsecsElapsed() / 1000, 1000));
        }
        const QByteArray whole = [&] { QFile f(QString::fromStdString(out)); f.open(QIODevice::ReadOnly); return f.readAll(); }();
        QVERIFY(QFile::remove(QString::fromStdString(out)));
        int cancelled = 0;
        const int moments = 24;
        for (int k = 0; k < moments; ++k) {
            std::atomic<bool> flag{false};
            std::thread canceller([&] {
                std::this_thread::sleep_for(std::chrono::microseconds(fullUs * k / moments));
                flag = true;
            });
            bool stopped = false;
            try {
                qs::CancelScope scope(&flag);
                m.exportQuantized(out, plan.overrides, plan.acts);
            } catch (const qs::Cancelled&) {
                stopped = true;
            }
            canceller.join();
            const QString path = QString::fromStdString(out);
            QCOMPARE(QDir(dir.path()).entryList(QStringList() << "*.tmp.*", QDir::Files).size(), 0);
            if (stopped) {
                ++cancelled;
                QVERIFY2(!QFileInfo::exists(path), qPrintable(QString::number(k)));
            } else {
                QFile f(path);
                QVERIFY(f.open(QIODevice::ReadOnly));
                QVERIFY2(f.readAll() == whole, qPrintable(QString::number(k)));  // the same bytes as uncancelled
                QVERIFY(QFile::remove(path));
            }
        }
        QVERIFY2(cancelled >= moments / 2, qPrintable(QString::number(cancelled)));
    }

    void badQuantizers() {
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("w2v2_traced.pt"));
        const std::vector<float> x = wave(4000);
        QVERIFY_THROWS_EXCEPTION(qs::InputError, m.forwardWithWeights(x, {}, nullptr, {{99, 0.1f, 0, 0, 255}}));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, m.forwardWithWeights(x, {}, nullptr, {{0, 0.0f, 0, 0, 255}}));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, m.forwardWithWeights(x, {}, nullptr, {{0, 0.1f, 300, 0, 255}}));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, m.exportQuantized("/nonexistent-dir/m.pt", {}, {}));
    }
};

QTEST_APPLESS_MAIN(TestExportModel)
#include "test_export_model.moc"
