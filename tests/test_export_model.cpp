// labels: unit
// The exported quantized TorchScript model computes exactly what quantscope's own quantized forward
// pass computes, in LibTorch and in stock PyTorch, with standard ATen operators only.
#include <QtTest>
#include <cmath>
#include <fstream>

#include "core/errors.h"
#include "core/quantizer.h"
#include "core/speech_model.h"

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
        QProcess py;
        py.start("/usr/bin/python3", {"-c", script, QString::fromStdString(out), dir.path() + "/y.bin"});
        QVERIFY(py.waitForFinished(120000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        QCOMPARE(py.readAllStandardOutput().trimmed(), QByteArray("4"));
        QFile f(dir.path() + "/y.bin");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QCOMPARE(std::size_t(bytes.size()), mine.values.size() * sizeof(float));
        const float* y = reinterpret_cast<const float*>(bytes.constData());
        double worst = 0;
        for (std::size_t i = 0; i < mine.values.size(); ++i) worst = std::max(worst, double(std::fabs(y[i] - mine.values[i])));
        // The probe differs from the C++ one only by float rounding of the sine; the same operators run.
        QVERIFY2(worst < 1e-3, qPrintable(QString::number(worst)));
    }

    void overridesWithoutActivationsKeepFloatActivations() {
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("w2v2_traced.pt"));
        const std::vector<float> x = wave(6000);
        QVERIFY(m.forwardWithWeights(x, {}, nullptr, {}).values == m.forward(x).values);
        const Plan plan = quantizeAll(m, 8);
        const std::vector<qs::ActivationQuant> one{{2, 0.01f, 0, -128, 127}};
        QVERIFY(m.forwardWithWeights(x, {}, nullptr, one).values != m.forward(x).values);
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
