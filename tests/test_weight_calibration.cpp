// labels: unit
// core/weight_calibration: minmax equals LibTorch's fake-quantize; the mse search finds the exact
// argmin over its candidates (checked by brute force with LibTorch); per-tensor / per-channel /
// per-group layouts; the cosine search's layer outputs equal at::linear / at::conv1d, and calibration
// is deterministic whatever the thread count.
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks LibTorch headers

#include <QtTest>
#include <atomic>
#include <cmath>

#include "core/audio/audio_corpus.h"
#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/quantize/layer_input_samples.h"
#include "core/export/packed_weights.h"
#include "core/quantize/quantizer.h"
#include "core/quantize/weight_calibration.h"
#include "tests/support/audio_files.h"

namespace {

std::vector<float> toVector(const at::Tensor& t) {
    const at::Tensor c = t.contiguous().to(at::kFloat);
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<float> decoded(const qs::WeightEncoding& e, const std::vector<int64_t>& shape) {
    return qs::dequantize({"w", shape, {}, e.codes});
}

// Laplacian-ish weights with a few large outliers: clipping pays off at low bits.
at::Tensor heavyTailed(int64_t rows, int64_t cols, uint64_t seed) {
    torch::manual_seed(seed);
    at::Tensor u = torch::rand({rows, cols}) - 0.5;
    at::Tensor w = -0.02 * torch::sign(u) * torch::log1p(-2 * u.abs() + 1e-7);
    w.index_put_({0, 3}, 0.9f);
    w.index_put_({rows - 1, 0}, -1.1f);
    return w;
}

std::string fixture(const std::string& name) { return std::string(QS_FIXTURES_DIR) + "/" + name; }

}  // namespace

class TestWeightCalibration : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void candidatesSpanTheRangeAndIncludeOne() {
        const std::vector<double> c = qs::clipCandidates({});
        QCOMPARE(c.size(), std::size_t(101));
        QCOMPARE(c.front(), 0.01);
        QCOMPARE(c.back(), 1.2);
        QVERIFY(std::find(c.begin(), c.end(), 1.0) != c.end());
        QVERIFY(std::is_sorted(c.begin(), c.end()));
        qs::WeightCalibrationOptions bad;
        bad.minFactor = 0;
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::clipCandidates(bad));
        QCOMPARE(qs::parseWeightRange("cosine"), qs::WeightRange::Cosine);
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::parseWeightRange("max"));
    }

    void minmaxPerChannelEqualsLibTorch() {
        const at::Tensor w = heavyTailed(16, 40, 1);
        const std::vector<int64_t> shape{16, 40};
        qs::WeightCalibrationOptions o;
        o.method = qs::WeightRange::MinMax;
        for (int bits : {2, 4, 8}) {
            const qs::WeightEncoding e = qs::calibrateWeight(toVector(w), shape, bits, o);
            QCOMPARE(e.codes.scales, qs::symmetricChannelScales(toVector(w), 16, bits));
            const qs::IntRange r = qs::signedRange(bits);
            const at::Tensor ref = at::fake_quantize_per_channel_affine(
                w, torch::tensor(e.codes.scales), torch::zeros({16}, torch::kInt32), 0, r.qmin, r.qmax);
            QCOMPARE(decoded(e, shape), toVector(ref));
            QCOMPARE(e.clipFactors, std::vector<float>(16, 1.0f));
        }
    }

    void mseSearchFindsTheArgminPerTensor() {
        const at::Tensor w = heavyTailed(64, 256, 2);
        const std::vector<int64_t> shape{64, 256};
        qs::WeightCalibrationOptions o;
        o.granularity = qs::Granularity::PerTensor;
        const int bits = 4;
        const qs::WeightEncoding e = qs::calibrateWeight(toVector(w), shape, bits, o);
        QCOMPARE(e.codes.scales.size(), std::size_t(1));

        // Brute force with LibTorch's operator over the same candidates.
        const qs::IntRange r = qs::signedRange(bits);
        const float absMax = w.abs().max().item<float>();
        double best = INFINITY, bestFactor = 0;
        for (double f : qs::clipCandidates(o)) {
            const float s = qs::clippedScale(absMax, f, bits);
            const double err = (at::fake_quantize_per_tensor_affine(w, s, 0, r.qmin, r.qmax) - w)
                                   .to(at::kDouble).pow(2).sum().item<double>();
            if (err <= best) best = err, bestFactor = f;  // ascending with <=: ties keep the larger
        }
        QCOMPARE(double(e.clipFactors[0]), double(float(bestFactor)));
        QVERIFY(e.clipFactors[0] < 0.5f);  // the outliers are clipped
        const at::Tensor ref = at::fake_quantize_per_tensor_affine(w, e.codes.scales[0], 0, r.qmin, r.qmax);
        QCOMPARE(decoded(e, shape), toVector(ref));
        QVERIFY(std::fabs(e.mse - best / double(w.numel())) <= 1e-12);

        o.method = qs::WeightRange::MinMax;
        const qs::WeightEncoding plain = qs::calibrateWeight(toVector(w), shape, bits, o);
        QVERIFY(e.mse < 0.7 * plain.mse);
    }

    void mseNeverWorseThanMinmaxPerChannel() {
        const at::Tensor w = heavyTailed(32, 48, 3);
        const std::vector<int64_t> shape{32, 48};
        for (int bits : {3, 6, 8}) {
            qs::WeightCalibrationOptions o;
            const qs::WeightEncoding mse = qs::calibrateWeight(toVector(w), shape, bits, o);
            o.method = qs::WeightRange::MinMax;
            const qs::WeightEncoding plain = qs::calibrateWeight(toVector(w), shape, bits, o);
            QCOMPARE(mse.codes.scales.size(), std::size_t(32));
            QVERIFY(mse.mse <= plain.mse);
        }
    }

    void perGroupLayout() {
        const at::Tensor w = heavyTailed(6, 40, 4);
        const std::vector<int64_t> shape{6, 40};
        qs::WeightCalibrationOptions o;
        o.granularity = qs::Granularity::PerGroup;
        o.groupSize = 8;
        const qs::WeightEncoding e = qs::calibrateWeight(toVector(w), shape, 4, o);
        QCOMPARE(e.codes.scales.size(), std::size_t(6 * 5));
        QCOMPARE(e.clipFactors.size(), std::size_t(6 * 5));
        // Each group of 8 is one channel of a [30, 8] view for LibTorch's per-channel operator.
        const qs::IntRange r = qs::signedRange(4);
        const at::Tensor ref = at::fake_quantize_per_channel_affine(
            w.reshape({30, 8}), torch::tensor(e.codes.scales), torch::zeros({30}, torch::kInt32), 0, r.qmin, r.qmax);
        QCOMPARE(decoded(e, shape), toVector(ref));
        // A group size that does not divide the row: the last group of each row is shorter.
        o.groupSize = 16;
        QCOMPARE(qs::calibrateWeight(toVector(w), shape, 4, o).codes.scales.size(), std::size_t(6 * 3));
    }

    void probeOutputsEqualLibTorch() {
        torch::manual_seed(5);
        // linear: rows of 12 inputs, weight [5, 12]
        qs::detail::InputSample lin;
        lin.channels = 12;
        lin.rows = 7;
        lin.values = toVector(torch::randn({7, 12}));
        const at::Tensor x = torch::from_blob(lin.values.data(), {7, 12}).clone();
        const at::Tensor w = torch::randn({5, 12}), w2 = torch::randn({5, 12});
        qs::detail::LayerOutputProbe probe("linear", {5, 12}, {lin});
        probe.setReference(toVector(w));
        const at::Tensor a = at::linear(x, w).to(at::kDouble).reshape(-1), b = at::linear(x, w2).to(at::kDouble).reshape(-1);
        const double expected = (a * b).sum().item<double>() / (a.norm().item<double>() * b.norm().item<double>());
        QVERIFY(std::fabs(probe.cosine(toVector(w2)) - expected) < 1e-6);
        QVERIFY(std::fabs(probe.cosine(toVector(w)) - 1.0) < 1e-12);
        QCOMPARE(probe.positions(), int64_t(7));

        // grouped conv1d: 4 input channels, 2 groups, kernel 3, two segments
        std::vector<qs::detail::InputSample> segs(2);
        std::vector<at::Tensor> xs;
        for (int i = 0; i < 2; ++i) {
            segs[i].channels = 4;
            segs[i].length = 9 + i;
            segs[i].values = toVector(torch::randn({4, 9 + i}));
            xs.push_back(torch::from_blob(segs[i].values.data(), {1, 4, 9 + i}).clone());
        }
        const at::Tensor cw = torch::randn({6, 2, 3}), cw2 = torch::randn({6, 2, 3});
        qs::detail::LayerOutputProbe conv("conv1d", {6, 2, 3}, segs);
        conv.setReference(toVector(cw));
        auto conv1d = [](const at::Tensor& x, const at::Tensor& k) {
            return at::conv1d(x, k, at::Tensor(), at::IntArrayRef{1}, at::IntArrayRef{0}, at::IntArrayRef{1}, 2).reshape(-1);
        };
        auto out = [&](const at::Tensor& k) { return at::cat({conv1d(xs[0], k), conv1d(xs[1], k)}).to(at::kDouble); };
        const at::Tensor ca = out(cw), cb = out(cw2);
        const double cexp = (ca * cb).sum().item<double>() / (ca.norm().item<double>() * cb.norm().item<double>());
        QVERIFY(std::fabs(conv.cosine(toVector(cw2)) - cexp) < 1e-6);
        QCOMPARE(conv.positions(), int64_t(7 + 8));
    }

    void cosineOnAModelIsDeterministic() {
        QTemporaryDir dir;
        for (int i = 0; i < 3; ++i)
            qs::test::writeSine((dir.path() + "/a/c" + QString::number(i) + ".wav").toStdString(),
                                qs::test::AudioFormat::Wav16, 16000, 1, 0.6, 180.0 + 90 * i, 0.5);
        qs::CorpusOptions co;
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan(dir.path().toStdString(), co);
        std::vector<const qs::Clip*> clips;
        for (const qs::Clip& c : corpus.speakers().at(0).clips) clips.push_back(&c);
        const qs::SpeechModel model = qs::SpeechModel::load(fixture("w2v2_traced.pt"));
        std::vector<int> bits(model.info().layers.size(), 4);
        bits[0] = 32;  // kept in float: no encoding
        qs::WeightCalibrationOptions o;
        o.method = qs::WeightRange::Cosine;
        o.candidates = 20;
        o.threads = 1;
        int used = 0;
        const std::vector<qs::WeightEncoding> one = qs::calibrateWeights(model, bits, &corpus, clips, o, {}, &used);
        QCOMPARE(used, 3);
        o.threads = 2;
        const std::vector<qs::WeightEncoding> two = qs::calibrateWeights(model, bits, &corpus, clips, o);
        QCOMPARE(one.size(), model.info().layers.size());
        QCOMPARE(one[0].layer, -1);
        int cosineLayers = 0;
        for (std::size_t l = 1; l < one.size(); ++l) {
            QCOMPARE(one[l].layer, int(l));
            QCOMPARE(one[l].codes.codes, two[l].codes.codes);
            QCOMPARE(one[l].codes.scales, two[l].codes.scales);
            const std::string& kind = model.info().layers[l].kind;
            if (kind == "linear" || kind == "conv1d") {
                QCOMPARE(one[l].method, qs::WeightRange::Cosine);
                QVERIFY(one[l].sampleRows > 0);
                QVERIFY2(one[l].outputCosine > 0.8 && one[l].outputCosine <= 1.0 + 1e-9,
                         qPrintable(QString::fromStdString(model.info().layers[l].name)));
                ++cosineLayers;
            }
        }
        QVERIFY(cosineLayers > 0);
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::calibrateWeights(model, bits, nullptr, {}, o));
    }

    // The searches stop at a cancel flag of the thread (core/base/cancel.h), between candidates; the
    // same search without it is unaffected.
    void searchesStopAtACancelRequest() {
        std::vector<float> w(64 * 96);
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(std::sin(0.37 * double(i)));
        qs::WeightCalibrationOptions o;
        const qs::WeightEncoding free = qs::calibrateWeight(w, {64, 96}, 4, o);
        std::atomic<bool> flag{true};
        {
            qs::CancelScope scope(&flag);
            QVERIFY_THROWS_EXCEPTION(qs::Cancelled, qs::calibrateWeight(w, {64, 96}, 4, o));
            flag = false;
            QCOMPARE(qs::calibrateWeight(w, {64, 96}, 4, o).codes.codes, free.codes.codes);
        }
    }
};

QTEST_APPLESS_MAIN(TestWeightCalibration)
#include "test_weight_calibration.moc"
