// labels: unit
// Learned rounding (core/quantize/adaround.h, gptq.h, layer_rows.h, layer_rounding.h): AdaRound with 0
// iterations and GPTQ with white inputs (H ∝ I) are exactly nearest rounding, at every granularity;
// sampled and unfolded layer inputs times the weight are LibTorch's own convolution outputs, whatever
// the stride, padding, dilation and groups; on real layer inputs (every layer kind of the fixtures:
// strided and grouped conv1d, padded conv2d, linear, MultiheadAttention's in_proj) each method's
// layer-output error, measured with LibTorch's operators on the whole input, is at most nearest
// rounding's; results do not depend on the thread count, nor on which worker runs which piece of a
// layer.
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks LibTorch headers

#include <QtTest>
#include <cmath>
#include <thread>

#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/quantize/adaround.h"
#include "core/quantize/gptq.h"
#include "core/quantize/layer_rounding.h"
#include "core/quantize/layer_rows.h"
#include "core/quantize/rounding_estimate.h"
#include "core/quantize/weight_calibration.h"

namespace {

std::string fixture(const std::string& name) { return std::string(QS_FIXTURES_DIR) + "/" + name; }

std::vector<float> values(const at::Tensor& t) {
    const at::Tensor c = t.contiguous().to(at::kFloat);
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Heavy-tailed weights with exact ties (w = (k + ½)·s lands on a half after w × (1/s)).
at::Tensor weights(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
    torch::manual_seed(seed);
    at::Tensor u = torch::rand({rows, cols}) - 0.5;
    return -0.05 * torch::sign(u) * torch::log1p(-2 * u.abs() + 1e-6);
}

qs::LayerInfo linearLayer(std::int64_t out, std::int64_t in) {
    qs::LayerInfo l;
    l.name = "test.linear";
    l.kind = "linear";
    l.shape = {out, in};
    l.params = out * in;
    l.geometryKnown = true;
    return l;
}

// A Conv1d of `out` filters in `groups` groups, each over `channelsPerGroup` inputs; kernel k, stride 1, no padding.
qs::LayerInfo convLayer(std::int64_t out, std::int64_t channelsPerGroup, std::int64_t k, std::int64_t groups) {
    qs::LayerInfo l;
    l.name = "test.conv1d";
    l.kind = "conv1d";
    l.shape = {out, channelsPerGroup, k};
    l.params = out * channelsPerGroup * k;
    l.stride = {1};
    l.padBegin = {0};
    l.padEnd = {0};
    l.dilation = {1};
    l.groups = groups;
    l.geometryKnown = true;
    return l;
}

qs::WeightCalibrationOptions withGranularity(const QString& g) {
    qs::WeightCalibrationOptions o;
    o.granularity = qs::parseGranularity(g.toStdString());
    o.groupSize = 16;
    return o;
}

// Every input of every layer of one forward pass, with its shape.
struct WholeInputs : qs::LayerSink {
    std::map<int, std::pair<std::vector<std::int64_t>, std::vector<float>>> inputs;
    void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
    bool wantsInputs() const override { return true; }
    void observeInputTensor(int layer, const float* d, const std::vector<std::int64_t>& shape, int) override {
        if (inputs.count(layer)) return;
        std::int64_t n = 1;
        for (auto s : shape) n *= s;
        inputs[layer] = {shape, std::vector<float>(d, d + n)};
    }
};

std::vector<float> wave(std::size_t n, double f1, double f2, std::uint64_t seed) {
    std::vector<float> w(n);
    std::uint64_t state = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < n; ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const double noise = double(state >> 40) / double(1ull << 24) - 0.5;
        w[i] = float(0.4 * std::sin(f1 * double(i)) + 0.2 * std::sin(f2 * double(i)) + 0.05 * noise);
    }
    return w;
}

// The layer's output (no bias) for a whole input, by LibTorch's own operator.
at::Tensor layerOutput(const qs::LayerInfo& l, const at::Tensor& x, const at::Tensor& w) {
    if (l.kind == "linear") return at::matmul(x, w.t());
    if (l.kind == "conv1d") {
        // 'same'-style asymmetric padding is applied by hand; symmetric goes to the operator.
        const at::Tensor padded = at::constant_pad_nd(x, {l.padBegin[0], l.padEnd[0]});
        return at::conv1d(padded, w, at::Tensor(), l.stride, at::IntArrayRef{0}, l.dilation, l.groups);
    }
    const at::Tensor padded = at::constant_pad_nd(x, {l.padBegin[1], l.padEnd[1], l.padBegin[0], l.padEnd[0]});
    return at::conv2d(padded, w, at::Tensor(), l.stride, at::IntArrayRef{0, 0}, l.dilation, l.groups);
}

double relativeError(const qs::LayerInfo& l, const at::Tensor& x, const at::Tensor& w, const at::Tensor& q) {
    const at::Tensor y = layerOutput(l, x, w).to(at::kDouble), e = layerOutput(l, x, w - q).to(at::kDouble);
    return e.pow(2).sum().item<double>() / y.pow(2).sum().item<double>();
}

at::Tensor dequantized(const qs::LayerInfo& l, const qs::QuantizedCodes& c) {
    std::vector<float> v = qs::dequantizeCodes(l.name, l.shape, c);
    return at::from_blob(v.data(), l.shape, at::kFloat).clone();
}

}  // namespace

class TestLearnedRounding : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qs::setComputeThreads(1); }

    void adaRoundWithoutIterationsIsNearest_data() {
        QTest::addColumn<QString>("granularity");
        QTest::addColumn<int>("bits");
        for (const char* g : {"per_channel", "per_tensor", "per_group"})
            for (int bits : {2, 3, 4, 8}) QTest::newRow((std::string(g) + " " + std::to_string(bits)).c_str()) << g << bits;
    }

    void adaRoundWithoutIterationsIsNearest() {
        QFETCH(QString, granularity);
        QFETCH(int, bits);
        const qs::LayerInfo l = linearLayer(12, 40);
        at::Tensor w = weights(12, 40, 7);
        const qs::WeightCalibrationOptions o = withGranularity(granularity);
        qs::WeightEncoding e = qs::calibrateWeight(values(w), l.shape, bits, o);
        // Exact ties: a few weights put on half-steps of their scale (both parities of the floor).
        const qs::ScaleLayout layout = qs::scaleLayout(l.name, l.shape, e.codes.granularity, e.codes.groupSize);
        std::vector<float> v = values(w);
        for (std::int64_t i = 0; i < l.params; i += 7) {
            const float s = e.codes.scales[layout.indexOf(i, e.codes.granularity, e.codes.groupSize)];
            v[std::size_t(i)] = float(double(i % 5) - 2.5) * s;
        }
        e = qs::calibrateWeight(v, l.shape, bits, o);
        const std::vector<std::int32_t> nearest = e.codes.codes;

        qs::LearnedRoundingOptions r;
        r.adaround.iterations = 0;
        r.keepBetter = false;
        const at::Tensor x = torch::randn({64, 40});
        qs::detail::roundLayer(l, v, e, {x}, qs::WeightRounding::AdaRound, o, r, 0);
        QVERIFY(e.codes.codes == nearest);
        QCOMPARE(e.rounding, qs::WeightRounding::AdaRound);
        QCOMPARE(e.outputError, e.nearestOutputError);
    }

    void gptqWithWhiteInputsIsNearest_data() { adaRoundWithoutIterationsIsNearest_data(); }

    void gptqWithWhiteInputsIsNearest() {
        QFETCH(QString, granularity);
        QFETCH(int, bits);
        const qs::LayerInfo l = linearLayer(10, 48);
        const at::Tensor w = weights(10, 48, 3);
        const qs::WeightCalibrationOptions o = withGranularity(granularity);
        qs::WeightEncoding e = qs::calibrateWeight(values(w), l.shape, bits, o);
        const qs::QuantizedCodes nearest = e.codes;
        // White inputs: the rows of 3·I, so H = 2·9·I/48 exactly; every error update is 0.
        const at::Tensor x = 3.0 * torch::eye(48);
        qs::LearnedRoundingOptions r;
        r.keepBetter = false;
        qs::detail::roundLayer(l, values(w), e, {x}, qs::WeightRounding::Gptq, o, r, 0);
        QVERIFY(e.codes.codes == nearest.codes);
        QVERIFY(e.codes.scales == nearest.scales);  // per group: re-fitted on unchanged weights
        QCOMPARE(e.outputError, e.nearestOutputError);
    }

    // The products over a layer's whole sample run in slices of rows with a cancel check between
    // them (seconds of work on a wide layer otherwise); sliced, they are still the whole product.
    void wholeSampleProductsAreSlicedForCancel() {
        torch::manual_seed(5);
        const at::Tensor x = torch::randn({1300, 24}, torch::TensorOptions().dtype(torch::kFloat));
        qs::Gptq gptq(24, {});
        gptq.addBatch(x);
        const at::Tensor expected = (2.0 / 1300.0) * at::mm(x.to(at::kDouble).t(), x.to(at::kDouble));
        QVERIFY(at::allclose(gptq.hessian().to(at::kDouble), expected, 1e-5, 1e-6));

        const qs::LayerInfo l = linearLayer(10, 24);
        const at::Tensor w = weights(10, 24, 3);
        qs::WeightEncoding e = qs::calibrateWeight(values(w), l.shape, 3, withGranularity("per_channel"));
        const at::Tensor diff = w - dequantized(l, e.codes);
        const double expectedError = at::mm(x.to(at::kDouble), diff.to(at::kDouble).t()).pow(2).sum().item<double>() /
                                     at::mm(x.to(at::kDouble), w.to(at::kDouble).t()).pow(2).sum().item<double>();
        QVERIFY(std::abs(qs::detail::outputError(l, values(w), e.codes, {x}) - expectedError) <= 1e-5 * expectedError);

        std::atomic<bool> flag{true};
        qs::CancelScope scope(&flag);
        qs::Gptq cancelled(24, {});
        QVERIFY_THROWS_EXCEPTION(qs::Cancelled, cancelled.addBatch(x));
        QVERIFY_THROWS_EXCEPTION(qs::Cancelled, qs::detail::outputError(l, values(w), e.codes, {x}));
    }

    void gptqLowersTheReconstructionErrorOfCorrelatedInputs() {
        // Strongly correlated columns: GPTQ's error feedback must beat nearest rounding by a margin.
        torch::manual_seed(5);
        const at::Tensor base = torch::randn({512, 8});
        const at::Tensor x = at::matmul(base, torch::randn({8, 64})) + 0.05 * torch::randn({512, 64});
        const qs::LayerInfo l = linearLayer(16, 64);
        const at::Tensor w = weights(16, 64, 9);
        for (const char* g : {"per_channel", "per_group", "per_tensor"}) {
            qs::WeightEncoding e = qs::calibrateWeight(values(w), l.shape, 3, withGranularity(g));
            qs::LearnedRoundingOptions r;
            r.keepBetter = false;
            qs::detail::roundLayer(l, values(w), e, {x}, qs::WeightRounding::Gptq, withGranularity(g), r, 0);
            QVERIFY2(e.outputError < 0.5 * e.nearestOutputError, g);
            for (std::int32_t c : e.codes.codes) QVERIFY(c >= -4 && c <= 3);
        }
    }

    void deadInputsAreZeroed() {
        torch::manual_seed(2);
        at::Tensor x = torch::randn({200, 24});
        x.index_put_({torch::indexing::Slice(), 5}, 0.0f);
        const qs::LayerInfo l = linearLayer(6, 24);
        const at::Tensor w = weights(6, 24, 4);
        qs::WeightEncoding e = qs::calibrateWeight(values(w), l.shape, 4, {});
        qs::LearnedRoundingOptions r;
        r.keepBetter = false;
        qs::detail::roundLayer(l, values(w), e, {x}, qs::WeightRounding::Gptq, {}, r, 0);
        for (std::int64_t row = 0; row < 6; ++row) QCOMPARE(e.codes.codes[std::size_t(row * 24 + 5)], 0);
    }

    // A layer's pieces (GPTQ: one per convolution group) may run on different workers in any order;
    // the result is roundLayer's, bit for bit, with group-wise scales re-fitted too.
    void piecesOnTwoThreadsAreTheSequentialResult() {
        qs::LayerInfo l;
        l.name = "test.grouped";
        l.kind = "conv1d";
        l.groups = 4;
        l.shape = {8, 6, 8};  // 8 out channels, 24 in channels in 4 groups, kernel 8: 48 columns
        l.params = 8 * 6 * 8;
        l.stride = {1};
        l.padBegin = l.padEnd = {0};
        l.dilation = {1};
        l.geometryKnown = true;
        torch::manual_seed(8);
        std::vector<at::Tensor> rows;
        for (int g = 0; g < 4; ++g)
            rows.push_back(at::matmul(torch::randn({300, 6}), torch::randn({6, 48})) + 0.1 * torch::randn({300, 48}));
        const std::vector<float> w = values(weights(8, 48, 6));
        for (const char* granularity : {"per_channel", "per_group", "per_tensor"}) {
            const qs::WeightCalibrationOptions o = withGranularity(granularity);
            const qs::WeightEncoding nearest = qs::calibrateWeight(w, l.shape, 3, o);
            qs::LearnedRoundingOptions r;
            r.gptq.maxColumns = 32;  // two chunks per group as well
            qs::WeightEncoding sequential = nearest;
            qs::detail::roundLayer(l, w, sequential, rows, qs::WeightRounding::Gptq, o, r, 0);

            qs::detail::LayerRounding pieces(l, w, nearest, qs::WeightRounding::Gptq, o, r, 0);
            QCOMPARE(pieces.pieces(), std::size_t(4));
            auto runSome = [&](std::vector<std::size_t> ks) {
                for (std::size_t k : ks) pieces.run(k, {rows[std::size_t(pieces.groupOf(k))]});
            };
            std::thread a(runSome, std::vector<std::size_t>{3, 1}), b(runSome, std::vector<std::size_t>{2, 0});
            a.join();
            b.join();
            qs::WeightEncoding parallel = nearest;
            pieces.finish(parallel, [&](std::int64_t g) { return rows[std::size_t(g)]; });
            QVERIFY2(parallel.codes.codes == sequential.codes.codes, granularity);
            QVERIFY2(parallel.codes.scales == sequential.codes.scales, granularity);
            QVERIFY2(parallel.clipFactors == sequential.clipFactors, granularity);
            QCOMPARE(parallel.outputError, sequential.outputError);
            QCOMPARE(parallel.nearestOutputError, sequential.nearestOutputError);
            QVERIFY2(sequential.codes.codes != nearest.codes.codes, granularity);  // GPTQ did change codes
            QVERIFY2(sequential.outputError < sequential.nearestOutputError, granularity);
        }
    }

    // The studio's time estimate takes the rows clips really offer (from the analysis): GPTQ's 16,384
    // requested rows on 8 short clips are 8 × 200 here.
    void estimateUsesTheRowsClipsOffer() {
        const std::vector<qs::LayerInfo> layers(4, linearLayer(768, 768));
        const std::vector<int> bits(4, 3);
        qs::LearnedRoundingOptions o;
        o.method = qs::WeightRounding::Gptq;
        QCOMPARE(qs::rowsPerLayer(o), 16384);
        const double requested = qs::estimateRoundingSeconds(layers, bits, o, 8, 2, 10.0);
        const double offered = qs::estimateRoundingSeconds(layers, bits, o, 8, 2, 10.0, std::vector<double>(4, 199.5));
        QCOMPARE(requested, 4.0 * qs::roundingCost(layers[0], o.method, o, 16384) / 2.0 + 10.0);
        QCOMPARE(offered, 4.0 * qs::roundingCost(layers[0], o.method, o, 1600) / 2.0 + 10.0);
        QVERIFY(offered < requested);
        o.method = qs::WeightRounding::AdaRound;
        QCOMPARE(qs::rowsPerLayer(o), 4096);
        o.sampleRows = 100;
        QCOMPARE(qs::rowsPerLayer(o), 100);
    }

    // GPTQ's cost counts the chunks gptqGroup really solves: rows of 3,072 columns are a chunk of
    // 2,048 and one of 1,024 (not two of 2,048), so the layer costs what those two layers cost. A
    // grouped convolution's AdaRound costs more than a dense layer of as many weights (a batched
    // matmul of skinny products).
    void costFollowsTheChunksAndGroups() {
        qs::LearnedRoundingOptions o;
        QCOMPARE(o.gptq.maxColumns, 2048);
        const auto gptq = [&](std::int64_t columns) {
            return qs::roundingCost(linearLayer(768, columns), qs::WeightRounding::Gptq, o, 1600);
        };
        QVERIFY(std::abs(gptq(3072) - (gptq(2048) + gptq(1024))) <= 1e-12 * gptq(3072));
        QVERIFY(gptq(3072) < 1.5 * gptq(2048));
        const qs::LayerInfo grouped = convLayer(768, 48, 128, 16);
        const qs::LayerInfo dense = convLayer(768, 768, 8, 1);
        QCOMPARE(grouped.params, dense.params);
        QVERIFY(qs::roundingCost(grouped, qs::WeightRounding::AdaRound, o, 1600) >
                2.0 * qs::roundingCost(dense, qs::WeightRounding::AdaRound, o, 1600));
    }

    void rowCounterCountsEveryLinearRow() {
        qs::ModelInfo info;
        info.layers = {linearLayer(4, 16)};
        qs::detail::RowCounter counter(info);
        const std::vector<float> x(2 * 5 * 16, 1.0f);
        counter.observeInputTensor(0, x.data(), {2, 5, 16}, 2);
        QCOMPARE(counter.rows.at(0), std::int64_t(10));
    }

    // H accumulates over addBatch calls (float within a call, double across), symmetric although
    // BLAS syrk fills one triangle.
    void hessianOverSeveralBatchesIsSymmetricAndExact() {
        torch::manual_seed(12);
        const at::Tensor x = torch::randn({700, 37});
        qs::Gptq gptq(37, {});
        gptq.addBatch(x.narrow(0, 0, 300));
        gptq.addBatch(x.narrow(0, 300, 400));
        const at::Tensor h = gptq.hessian();
        QVERIFY(at::equal(h, h.t()));
        const at::Tensor expected = (2.0 / 700.0) * at::mm(x.to(at::kDouble).t(), x.to(at::kDouble));
        QVERIFY(at::allclose(h.to(at::kDouble), expected, 1e-5, 1e-6));
        QCOMPARE(gptq.rows(), std::int64_t(700));
    }

    void gptqRetriesWithMoreDampening() {
        // Rank one inputs: H is singular and float Cholesky may fail; GPTQ must still finish.
        const at::Tensor v = torch::randn({1, 32});
        const at::Tensor x = at::matmul(torch::randn({100, 1}), v);
        qs::Gptq gptq(32);
        gptq.addBatch(x);
        qs::GptqGrid grid;
        grid.range = qs::signedRange(4);
        grid.scales.assign(4, 0.01f);
        const at::Tensor codes = gptq.quantize(weights(4, 32, 1), grid);
        QCOMPARE(codes.sizes().vec(), (std::vector<std::int64_t>{4, 32}));
        QVERIFY(gptq.dampeningUsed() > 0.0);
    }

    void rowsAreLibTorchsConvolutionInputs_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("padding");
        QTest::addColumn<int>("paddingEnd");
        QTest::addColumn<int>("dilation");
        QTest::addColumn<int>("groups");
        QTest::addColumn<int>("rowsPerClip");
        QTest::newRow("conv1d plain") << "conv1d" << 1 << 0 << 0 << 1 << 1 << 100000;
        QTest::newRow("conv1d strided, padded") << "conv1d" << 3 << 2 << 2 << 1 << 1 << 100000;
        QTest::newRow("conv1d same, dilated, groups") << "conv1d" << 1 << 3 << 4 << 2 << 4 << 100000;
        QTest::newRow("conv1d window") << "conv1d" << 2 << 1 << 1 << 1 << 2 << 7;
        QTest::newRow("conv2d padded") << "conv2d" << 1 << 1 << 1 << 1 << 1 << 100000;
        QTest::newRow("conv2d strided, groups") << "conv2d" << 2 << 1 << 1 << 1 << 2 << 100000;
        QTest::newRow("conv2d window") << "conv2d" << 1 << 0 << 0 << 2 << 1 << 9;
    }

    void rowsAreLibTorchsConvolutionInputs() {
        QFETCH(QString, kind);
        QFETCH(int, stride);
        QFETCH(int, padding);
        QFETCH(int, paddingEnd);
        QFETCH(int, dilation);
        QFETCH(int, groups);
        QFETCH(int, rowsPerClip);
        const bool two = kind == "conv2d";
        qs::LayerInfo l;
        l.name = "test.conv";
        l.kind = kind.toStdString();
        const std::int64_t channels = 8, out = 8, k = 3;
        l.shape = two ? std::vector<std::int64_t>{out, channels / groups, k, 2} : std::vector<std::int64_t>{out, channels / groups, k};
        l.params = out * (channels / groups) * k * (two ? 2 : 1);
        const std::size_t dims = two ? 2 : 1;
        l.stride.assign(dims, stride);
        l.padBegin.assign(dims, padding);
        l.padEnd.assign(dims, paddingEnd);
        l.dilation.assign(dims, dilation);
        l.groups = groups;
        l.geometryKnown = true;
        qs::ModelInfo info;
        info.layers = {l};
        torch::manual_seed(11);
        const at::Tensor x = two ? torch::randn({1, channels, 13, 11}) : torch::randn({1, channels, 37});
        const at::Tensor w = torch::randn(l.shape);
        qs::detail::RowSampler sampler(info, {true}, rowsPerClip);
        sampler.observeInputTensor(0, x.data_ptr<float>(), x.sizes().vec(), 1);
        QCOMPARE(sampler.samples.size(), std::size_t(1));
        const at::Tensor y = layerOutput(l, x, w)[0];  // [out, positions...]
        const std::int64_t positions = y.size(1);
        // The sampler's window: centred, rowsPerClip output positions along the first spatial dimension.
        const std::int64_t wanted = two ? (rowsPerClip + y.size(2) - 1) / y.size(2) : rowsPerClip;
        const std::int64_t taken = std::min(positions, wanted), first = (positions - taken) / 2;
        const at::Tensor expected = y.narrow(1, first, taken).reshape({out, -1});  // [out, rows]
        const std::vector<const qs::detail::LayerInputSample*> samples{&sampler.samples.at(0)};
        QCOMPARE(qs::detail::rowCount(l, samples), expected.size(1));
        qs::detail::RowCounter counter(info);  // every output position, whatever rowsPerClip
        counter.observeInputTensor(0, x.data_ptr<float>(), x.sizes().vec(), 1);
        QCOMPARE(counter.rows.at(0), y[0].numel());
        const std::int64_t per = out / groups;
        for (std::int64_t g = 0; g < groups; ++g) {
            const at::Tensor rows = qs::detail::layerRows(l, samples, g);
            const at::Tensor mine = at::matmul(rows, w.narrow(0, g * per, per).reshape({per, -1}).t()).t();
            QVERIFY2(at::allclose(mine, expected.narrow(0, g * per, per), 1e-4, 1e-4), qPrintable(QString::number(g)));
        }
    }

    void fixtureGeometryIsTheModules_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("scripted") << "w2v2_scripted.pt";
        QTest::newRow("traced") << "w2v2_traced.pt";  // constants as prim::ListConstruct
    }

    void fixtureGeometryIsTheModules() {
        QFETCH(QString, file);
        const qs::SpeechModel m = qs::SpeechModel::load(fixture(file.toStdString()));
        std::map<std::string, const qs::LayerInfo*> byName;
        for (const qs::LayerInfo& l : m.info().layers) {
            byName[l.name] = &l;
            QVERIFY2(qs::roundable(l), l.name.c_str());
        }
        const qs::LayerInfo& c1 = *byName.at("model.feature_extractor.conv_layers.1.conv");
        QCOMPARE(c1.stride, std::vector<std::int64_t>{2});
        QCOMPARE(c1.padBegin, std::vector<std::int64_t>{0});
        QCOMPARE(c1.groups, std::int64_t(1));
        const qs::LayerInfo& pos = *byName.at("model.encoder.transformer.pos_conv_embed.conv");
        QCOMPARE(pos.padBegin, std::vector<std::int64_t>{4});
        QCOMPARE(pos.padEnd, std::vector<std::int64_t>{4});
        QCOMPARE(pos.groups, std::int64_t(4));
        const qs::SpeechModel cf = qs::SpeechModel::load(fixture("control_flow_scripted.pt"));
        for (const qs::LayerInfo& l : cf.info().layers)
            if (l.kind == "conv2d") QCOMPARE(l.padBegin, (std::vector<std::int64_t>{1, 1}));
    }

    void learnedRoundingBeatsNearestOnRealInputs_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("layer");
        QTest::addColumn<QString>("method");
        const std::vector<std::pair<const char*, const char*>> layers{
            {"w2v2_scripted.pt", "model.feature_extractor.conv_layers.0.conv"},   // conv1d, stride 5, one input channel
            {"w2v2_scripted.pt", "model.feature_extractor.conv_layers.1.conv"},   // conv1d, stride 2
            {"w2v2_scripted.pt", "model.encoder.transformer.pos_conv_embed.conv"},  // conv1d, padding 4, 4 groups
            {"w2v2_scripted.pt", "model.encoder.transformer.layers.0.feed_forward.intermediate_dense"},  // linear
            {"control_flow_scripted.pt", "image"},                                  // conv2d, padding 1
            {"attention_scripted.pt", "self_attn.in_proj_weight"},                  // MultiheadAttention's in_proj
        };
        for (const char* method : {"adaround", "gptq"})
            for (const auto& [model, layer] : layers)
                QTest::newRow((std::string(method) + " " + layer).c_str()) << model << layer << method;
    }

    void learnedRoundingBeatsNearestOnRealInputs() {
        QFETCH(QString, model);
        QFETCH(QString, layer);
        QFETCH(QString, method);
        const qs::SpeechModel m = qs::SpeechModel::load(fixture(model.toStdString()));
        int index = -1;
        for (std::size_t i = 0; i < m.info().layers.size(); ++i)
            if (m.info().layers[i].name == layer.toStdString()) index = int(i);
        QVERIFY2(index >= 0, qPrintable(layer));
        const qs::LayerInfo& l = m.info().layers[std::size_t(index)];
        // Every position of three clips is sampled, so the rows are the whole inputs.
        std::vector<qs::detail::LayerInputSample> samples;
        std::vector<at::Tensor> whole;
        for (std::uint64_t clip = 0; clip < 3; ++clip) {
            qs::detail::RowSampler sampler(m.info(), std::vector<bool>(m.info().layers.size(), true), 1000000);
            WholeInputs inputs;
            const std::vector<float> x = wave(9000 + 1000 * clip, 0.031 + 0.01 * double(clip), 0.17, clip);
            m.forwardObserved(x, sampler);
            m.forwardObserved(x, inputs);
            samples.push_back(sampler.samples.at(index));
            auto& [shape, v] = inputs.inputs.at(index);
            whole.push_back(at::from_blob(v.data(), shape, at::kFloat).clone());
        }
        std::vector<const qs::detail::LayerInputSample*> mine;
        for (const auto& s : samples) mine.push_back(&s);
        std::vector<at::Tensor> rows;
        for (std::int64_t g = 0; g < (l.kind == "linear" ? 1 : l.groups); ++g) rows.push_back(qs::detail::layerRows(l, mine, g));

        const std::vector<float> wv = m.layerWeight(index);
        const at::Tensor w = at::from_blob(const_cast<float*>(wv.data()), l.shape, at::kFloat);
        const qs::WeightEncoding nearestEncoding = qs::calibrateWeight(wv, l.shape, 3, {});
        const at::Tensor nearest = dequantized(l, nearestEncoding.codes);
        const qs::WeightRounding rounding = qs::parseWeightRounding(method.toStdString());
        qs::LearnedRoundingOptions r;
        r.adaround.iterations = 500;
        r.keepBetter = false;  // first the method's own result
        qs::WeightEncoding raw = nearestEncoding;
        qs::detail::roundLayer(l, wv, raw, rows, rounding, {}, r, 1);
        r.keepBetter = true;   // then what the export ships (the default)
        qs::WeightEncoding shipped = nearestEncoding;
        qs::detail::roundLayer(l, wv, shipped, rows, rounding, {}, r, 1);

        // Errors with LibTorch's operator on the whole inputs, pooled over the clips.
        auto error = [&](const at::Tensor& q) {
            double num = 0, den = 0;
            for (const at::Tensor& x : whole) {
                num += layerOutput(l, x, w - q).to(at::kDouble).pow(2).sum().item<double>();
                den += layerOutput(l, x, w).to(at::kDouble).pow(2).sum().item<double>();
            }
            return num / den;
        };
        const double before = error(nearest), learned = error(dequantized(l, raw.codes)), after = error(dequantized(l, shipped.codes));
        qInfo("%s %s: layer output error %.5f with nearest rounding, %.5f learned, %.5f shipped (%lld rows)", qPrintable(method),
              qPrintable(layer), before, learned, after, static_cast<long long>(rows[0].size(0)));
        // The rows are the whole inputs: their error is LibTorch's.
        QVERIFY(std::fabs(raw.outputError - learned) <= 1e-3 * learned);
        QVERIFY(std::fabs(raw.nearestOutputError - before) <= 1e-3 * before);
        QVERIFY2(after <= before, qPrintable(QString("%1 > %2").arg(after).arg(before)));
        if (learned < before) {
            QVERIFY(!shipped.keptNearest);
            QVERIFY(shipped.codes.codes == raw.codes.codes);
            return;
        }
        // Only where nearest rounding is already the best of every up/down choice may a method fail to
        // improve it (the fixture's 3x3 single-channel conv2d); checked exhaustively, and then the
        // export keeps nearest rounding.
        const std::int64_t length = l.params / l.shape[0];
        QVERIFY2(length <= 12, qPrintable(QString("%1 did not improve on nearest rounding").arg(method)));
        QVERIFY(shipped.keptNearest);
        QVERIFY(shipped.codes.codes == nearestEncoding.codes.codes);
        const at::Tensor h = at::mm(rows[0].t(), rows[0]).to(at::kDouble);
        const at::Tensor wd = w.reshape({l.shape[0], length}).to(at::kDouble);
        for (std::int64_t row = 0; row < l.shape[0]; ++row) {
            const double s = nearestEncoding.codes.scales[std::size_t(row)];
            const at::Tensor x = wd[row] / s, low = at::floor(x);
            auto cost = [&](const at::Tensor& codes) {
                const at::Tensor d = wd[row] - at::clamp(codes, -4, 3) * s;
                return at::dot(d, at::mv(h, d)).item<double>();
            };
            const double mine = cost(at::clamp(at::round(x), -4, 3));
            for (std::int64_t bits = 0; bits < (std::int64_t(1) << length); ++bits) {
                at::Tensor up = at::zeros({length}, at::kDouble);
                for (std::int64_t k = 0; k < length; ++k) up[k] = double((bits >> k) & 1);
                QVERIFY(cost(low + up) >= mine * (1 - 1e-12));
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestLearnedRounding)
#include "test_learned_rounding.moc"
