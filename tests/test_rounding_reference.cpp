// labels: unit
// Learned rounding against references computed here, independently of core: AdaRound's V starts where
// h(V) is the fractional part of w/s; GPTQ's codes equal a plain column-by-column OBQ/GPTQ written with
// LibTorch's double-precision ops (no blocks, no lazy updates), with act-order, dead inputs and the
// dampening retry on a Hessian that is singular in float; conv1d and conv2d rows are the input
// unfolded by Tensor::unfold; learned codes stay on the layer's grid (its bits and scales) at every
// granularity and bit width; on a real layer's held-out input (clips the rows never saw) both methods
// reconstruct the output better than nearest rounding.
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks LibTorch headers

#include <QtTest>
#include <cmath>

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

qs::LayerInfo linearLayer(std::int64_t out, std::int64_t in) {
    qs::LayerInfo l;
    l.name = "test.linear";
    l.kind = "linear";
    l.shape = {out, in};
    l.params = out * in;
    l.geometryKnown = true;
    return l;
}

// The reference: GPTQ as the paper's Algorithm 1 states it, one column at a time over the whole
// matrix, in double. scales [rows, cols] (each element's scale, fixed).
at::Tensor referenceGptq(at::Tensor w, const at::Tensor& x, const at::Tensor& scales, qs::IntRange range, double dampening) {
    const std::int64_t cols = w.size(1);
    at::Tensor h = 2.0 * at::mm(x.t().to(at::kDouble), x.to(at::kDouble)) / double(x.size(0));
    w = w.to(at::kDouble).clone();
    for (std::int64_t j = 0; j < cols; ++j)
        if (h[j][j].item<double>() == 0.0) {  // a dead input: its weights do nothing
            h[j][j] = 1.0;
            w.select(1, j).zero_();
        }
    const at::Tensor perm = std::get<1>(at::sort(h.diagonal(), /*stable=*/true, 0, /*descending=*/true));
    h = h.index_select(0, perm).index_select(1, perm);
    w = w.index_select(1, perm);
    const at::Tensor s = scales.to(at::kDouble).index_select(1, perm);
    const double damp = dampening * h.diagonal().mean().item<double>();
    const at::Tensor hinv = at::linalg_inv(h + damp * at::eye(cols, at::kDouble));
    const at::Tensor u = at::linalg_cholesky(hinv).t();  // upper: Uᵀ U = H⁻¹
    at::Tensor codes = at::zeros({w.size(0), cols}, at::kDouble);
    for (std::int64_t j = 0; j < cols; ++j) {
        const at::Tensor q = at::clamp(at::round(w.select(1, j) / s.select(1, j)), double(range.qmin), double(range.qmax));
        codes.select(1, j).copy_(q);
        const at::Tensor err = (w.select(1, j) - q * s.select(1, j)) / u[j][j];
        if (j + 1 < cols) w.narrow(1, j + 1, cols - j - 1).sub_(at::outer(err, u[j].narrow(0, j + 1, cols - j - 1)));
    }
    return at::empty_like(codes).index_copy_(1, perm, codes).to(at::kInt);  // back to w's column order
}

// Every input of every layer of one forward pass.
struct WholeInputs : qs::LayerSink {
    std::map<int, at::Tensor> inputs;
    void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
    bool wantsInputs() const override { return true; }
    void observeInputTensor(int layer, const float* d, const std::vector<std::int64_t>& shape, int) override {
        if (!inputs.count(layer)) inputs[layer] = at::from_blob(const_cast<float*>(d), shape, at::kFloat).clone();
    }
};

// One layer's input (whole shape) and output (flattened) in a forward pass.
struct InputAndOutput : qs::LayerSink {
    int layer = 0;
    at::Tensor input, output;
    void observe(int l, const float* d, std::size_t outer, std::size_t channels, std::size_t inner) override {
        if (l == layer && !output.defined())
            output = at::from_blob(const_cast<float*>(d), {std::int64_t(outer * channels * inner)}, at::kFloat).clone();
    }
    bool wantsInputs() const override { return true; }
    void observeInputTensor(int l, const float* d, const std::vector<std::int64_t>& shape, int) override {
        if (l == layer && !input.defined()) input = at::from_blob(const_cast<float*>(d), shape, at::kFloat).clone();
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

}  // namespace

class TestRoundingReference : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qs::setComputeThreads(1); }

    void sampledInputsAreEachLayersOwn_data() {
        QTest::addColumn<QString>("model");
        QTest::newRow("demo") << QString(QS_DEMO_DIR) + "/model.pt";
        QTest::newRow("w2v2 fixture") << QString::fromStdString(fixture("w2v2_scripted.pt"));
        QTest::newRow("attention fixture") << QString::fromStdString(fixture("attention_scripted.pt"));
    }

    void sampledInputsAreEachLayersOwn() {
        // The input a sink receives for layer L is what L multiplies: changing L's weight by D changes
        // L's output by exactly the layer's operator applied to (that input, D), whatever the bias.
        QFETCH(QString, model);
        const qs::SpeechModel m = qs::SpeechModel::load(model.toStdString());
        const std::vector<float> x = wave(12000, 0.037, 0.19, 5);
        int checked = 0;
        for (int l = 0; l < int(m.info().layers.size()); ++l) {
            const qs::LayerInfo& info = m.info().layers[std::size_t(l)];
            if (!qs::roundable(info)) continue;
            std::vector<float> w = m.layerWeight(l);
            torch::manual_seed(l);
            const at::Tensor d = 0.01 * torch::randn(info.shape);
            std::vector<float> changed = values(at::from_blob(w.data(), info.shape, at::kFloat) + d);
            InputAndOutput before, after;
            before.layer = after.layer = l;
            m.forwardWithWeights(x, {}, &before);
            m.forwardWithWeights(x, {{l, &changed}}, &after);
            QVERIFY2(before.input.defined() && before.output.defined(), info.name.c_str());
            QVERIFY(at::equal(before.input, after.input));  // upstream is unchanged
            at::Tensor expected;
            if (info.kind == "linear") {
                expected = at::matmul(before.input, d.t());
            } else if (info.kind == "conv1d") {
                const at::Tensor p = at::constant_pad_nd(before.input, {info.padBegin[0], info.padEnd[0]});
                expected = at::conv1d(p, d, at::Tensor(), info.stride, at::IntArrayRef{0}, info.dilation, info.groups);
            } else {
                const at::Tensor p = at::constant_pad_nd(before.input, {info.padBegin[1], info.padEnd[1], info.padBegin[0], info.padEnd[0]});
                expected = at::conv2d(p, d, at::Tensor(), info.stride, at::IntArrayRef{0, 0}, info.dilation, info.groups);
            }
            const at::Tensor diff = after.output - before.output;
            QCOMPARE(diff.numel(), expected.numel());
            const double err = (diff - expected.reshape({-1})).abs().max().item<double>();
            const double scale = expected.abs().max().item<double>();
            QVERIFY2(err <= 1e-3 * scale + 1e-5, qPrintable(QString("%1: %2 vs %3").arg(QString::fromStdString(info.name)).arg(err).arg(scale)));
            ++checked;
        }
        QVERIFY(checked > 0);
    }

    void adaRoundStartsAtTheFractionalPart() {
        torch::manual_seed(1);
        const at::Tensor w = 0.3 * torch::randn({8, 50});
        const at::Tensor s = at::full({8, 50}, 0.04f);
        const qs::IntRange range = qs::signedRange(3);
        qs::SoftRounding q(w, s, range);
        const at::Tensor x = w * at::reciprocal(s);
        const at::Tensor frac = x - at::floor(x);
        // h(V) = fractional part, to float precision (ties nudged by at most 1e-6 in V).
        QVERIFY2(at::allclose(q.h(), frac, 0.0, 2e-6), qPrintable(QString::number((q.h() - frac).abs().max().item<double>())));
        // So the soft weight is w itself where w/s is inside the grid, and the grid's edge outside it.
        const at::Tensor inside = (x >= double(range.qmin)) & (x <= double(range.qmax));
        QVERIFY(inside.sum().item<std::int64_t>() > 100 && (~inside).sum().item<std::int64_t>() > 10);
        QVERIFY(at::allclose(q.weight().masked_select(inside), w.masked_select(inside), 0.0, 1e-7));
        const at::Tensor edge = at::clamp(x, double(range.qmin), double(range.qmax)) * s;
        QVERIFY(at::allclose(q.weight().masked_select(~inside), edge.masked_select(~inside), 0.0, 1e-7));
        // Hard rounding of the start is nearest rounding, as the quantizer computes it.
        const at::Tensor nearest = at::clamp(at::round(x), double(range.qmin), double(range.qmax)).to(at::kInt);
        QVERIFY(at::equal(q.codes(), nearest));
        QVERIFY(at::equal(q.nearestCodes(), nearest));
        // The regulariser: 0 in the warm start, then λ Σ (1 − |2h − 1|^β) with β from 20 to 2.
        qs::AdaRoundOptions o;
        o.iterations = 100;
        QCOMPARE(qs::AdaRoundLoss::rounding(q.h(), o, 19).item<double>(), 0.0);
        QCOMPARE(qs::AdaRoundLoss::beta(o, 20), 20.0);
        QVERIFY(std::fabs(qs::AdaRoundLoss::beta(o, 100) - 2.0) < 1e-12);
        const double expected = 0.01 * (1.0 - (2.0 * q.h().to(at::kDouble) - 1.0).abs().pow(20.0)).sum().item<double>();
        QVERIFY(std::fabs(qs::AdaRoundLoss::rounding(q.h(), o, 20).item<double>() - expected) < 1e-5 * expected);
    }

    void gptqEqualsAColumnByColumnReference_data() {
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("blockSize");
        QTest::addColumn<bool>("perGroupScales");
        QTest::addColumn<bool>("deadInputs");
        QTest::newRow("3 bits, blocks of 5") << 3 << 5 << false << false;
        QTest::newRow("2 bits, blocks of 128") << 2 << 128 << false << false;
        QTest::newRow("4 bits, per group, blocks of 7") << 4 << 7 << true << false;
        QTest::newRow("3 bits, dead inputs, blocks of 4") << 3 << 4 << false << true;
    }

    void gptqEqualsAColumnByColumnReference() {
        QFETCH(int, bits);
        QFETCH(int, blockSize);
        QFETCH(bool, perGroupScales);
        QFETCH(bool, deadInputs);
        const std::int64_t rows = 6, cols = 24, group = 8;
        torch::manual_seed(21 + bits);
        at::Tensor x = at::mm(torch::randn({300, 6}), torch::randn({6, cols})) + 0.3 * torch::randn({300, cols});
        x = x * at::linspace(0.2, 2.0, cols);  // unequal diagonal: act-order matters
        if (deadInputs) {
            x.select(1, 3).zero_();
            x.select(1, 17).zero_();
        }
        const at::Tensor w = 0.1 * torch::randn({rows, cols});
        qs::GptqOptions o;
        o.blockSize = blockSize;
        qs::Gptq gptq(cols, o);
        gptq.addBatch(x.narrow(0, 0, 100));  // in batches, as the layer's rows arrive
        gptq.addBatch(x.narrow(0, 100, 200));
        qs::GptqGrid grid;
        grid.range = qs::signedRange(bits);
        grid.groupSize = perGroupScales ? group : 0;
        const std::int64_t perRow = perGroupScales ? cols / group : 1;
        at::Tensor s = at::empty({rows, cols});
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t g = 0; g < perRow; ++g) {
                const float scale = float(0.02 + 0.005 * double(r) + 0.01 * double(g)) * float(8 >> (bits - 2)) / 8.0f;
                grid.scales.push_back(scale);
                s[r].narrow(0, g * (cols / perRow), cols / perRow).fill_(scale);
            }
        const at::Tensor codes = gptq.quantize(w, grid);
        const at::Tensor expected = referenceGptq(w, x, s, grid.range, o.dampening);
        QCOMPARE(gptq.deadColumns(), std::int64_t(deadInputs ? 2 : 0));
        QCOMPARE(codes.sizes().vec(), (std::vector<std::int64_t>{rows, cols}));
        QVERIFY2(at::equal(codes, expected), qPrintable(QString("%1 codes differ").arg((codes != expected).sum().item<std::int64_t>())));
        if (deadInputs) QVERIFY(at::equal(codes.select(1, 3), at::zeros({rows}, at::kInt)));
        // Not nearest rounding: the error feedback moved codes.
        const at::Tensor nearest = at::clamp(at::round(w / s), double(grid.range.qmin), double(grid.range.qmax)).to(at::kInt);
        QVERIFY((codes != nearest).sum().item<std::int64_t>() > 0);
    }

    void gptqRetriesWhenTheHessianIsNotPositiveDefinite() {
        // Rank 3 inputs with a tiny dampening: H + δI is not positive definite in float, so δ is raised
        // tenfold until the factorisation succeeds.
        const std::int64_t rows = 4, cols = 16;
        torch::manual_seed(8);
        const at::Tensor x = 1000.0 * at::mm(torch::randn({200, 3}), torch::randn({3, cols}));
        const at::Tensor w = 0.1 * torch::randn({rows, cols});
        qs::GptqOptions o;
        o.dampening = 1e-12;
        qs::Gptq gptq(cols, o);
        gptq.addBatch(x);
        qs::GptqGrid grid;
        grid.range = qs::signedRange(4);
        grid.scales.assign(rows, 0.02f);
        const at::Tensor codes = gptq.quantize(w, grid);
        const double first = 1e-12 * gptq.hessian().diagonal().to(at::kDouble).mean().item<double>();
        const double raised = gptq.dampeningUsed() / first;
        qInfo("dampening raised %.0f-fold", raised);
        QVERIFY2(raised > 5.0, qPrintable(QString::number(raised)));
        QVERIFY(std::fabs(std::log10(raised) - std::round(std::log10(raised))) < 1e-6);  // a power of ten
        // H + δI is then so ill-conditioned that float and double part on many codes: what must hold
        // is that the error feedback still works on the inputs' subspace, far below nearest rounding.
        const at::Tensor s = at::full({rows, cols}, 0.02f);
        const at::Tensor nearest = at::clamp(at::round(w / s), double(grid.range.qmin), double(grid.range.qmax));
        auto error = [&](const at::Tensor& c) { return at::mm(x.to(at::kDouble), (w - c * s).t().to(at::kDouble)).pow(2).sum().item<double>(); };
        for (std::int32_t c : std::vector<std::int32_t>(codes.data_ptr<std::int32_t>(), codes.data_ptr<std::int32_t>() + codes.numel()))
            QVERIFY(c >= grid.range.qmin && c <= grid.range.qmax);
        qInfo("output error %.4g with GPTQ, %.4g with nearest rounding", error(codes.to(at::kFloat)), error(nearest));
        QVERIFY(error(codes.to(at::kFloat)) < 0.5 * error(nearest));
        // The same codes as a run that starts at the raised dampening (no retry).
        qs::GptqOptions direct = o;
        direct.dampening = gptq.dampeningUsed() / gptq.hessian().diagonal().to(at::kDouble).mean().item<double>();
        qs::Gptq again(cols, direct);
        again.addBatch(x);
        QVERIFY(at::equal(again.quantize(w, grid), codes));
        QVERIFY(std::fabs(again.dampeningUsed() / gptq.dampeningUsed() - 1.0) < 1e-5);
        // And where no dampening can help, one clear error.
        qs::Gptq empty(cols, o);
        empty.addBatch(at::full({10, cols}, std::nanf("")));
        QVERIFY_THROWS_EXCEPTION(qs::ModelError, empty.quantize(w, grid));
    }

    void convolutionRowsAreTheUnfoldedInput_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("padding");
        QTest::addColumn<int>("dilation");
        QTest::addColumn<int>("groups");
        QTest::newRow("conv1d") << "conv1d" << 1 << 0 << 1 << 1;
        QTest::newRow("conv1d stride 5") << "conv1d" << 5 << 0 << 1 << 1;
        QTest::newRow("conv1d padded, dilated, 4 groups") << "conv1d" << 2 << 3 << 2 << 4;
        QTest::newRow("conv2d padded, 2 groups") << "conv2d" << 1 << 1 << 1 << 2;
        QTest::newRow("conv2d strided, dilated") << "conv2d" << 2 << 2 << 2 << 1;
    }

    void convolutionRowsAreTheUnfoldedInput() {
        QFETCH(QString, kind);
        QFETCH(int, stride);
        QFETCH(int, padding);
        QFETCH(int, dilation);
        QFETCH(int, groups);
        const bool two = kind == "conv2d";
        const std::int64_t channels = 8, k = 3, per = channels / groups;
        qs::LayerInfo l;
        l.name = "test.conv";
        l.kind = kind.toStdString();
        l.shape = two ? std::vector<std::int64_t>{8, per, k, k} : std::vector<std::int64_t>{8, per, k};
        l.params = 8 * per * k * (two ? k : 1);
        const std::size_t dims = two ? 2 : 1;
        l.stride.assign(dims, stride);
        l.padBegin.assign(dims, padding);
        l.padEnd.assign(dims, padding);
        l.dilation.assign(dims, dilation);
        l.groups = groups;
        l.geometryKnown = true;
        qs::ModelInfo info;
        info.layers = {l};
        torch::manual_seed(4);
        const at::Tensor x = two ? torch::randn({1, channels, 12, 9}) : torch::randn({1, channels, 41});
        qs::detail::RowSampler sampler(info, {true}, 1000000);  // every position
        sampler.observeInputTensor(0, x.data_ptr<float>(), x.sizes().vec(), 1);
        const qs::detail::LayerInputSample& sample = sampler.samples.at(0);
        // Tensor::unfold on the zero-padded input: [C, positions, k] (conv2d: [C, P1, P2, k, k]), the
        // kernel's taps every `dilation` apart; rows are positions, columns (channel, taps) in order.
        at::Tensor padded = at::constant_pad_nd(x[0], two ? std::vector<std::int64_t>{padding, padding, padding, padding}
                                                          : std::vector<std::int64_t>{padding, padding});
        const std::int64_t extent = dilation * (k - 1) + 1;
        const at::Tensor taps = at::arange(0, extent, dilation, at::kLong);
        at::Tensor u = padded.unfold(1, extent, stride).index_select(-1, taps);  // [C, P1, (W,) k]
        if (two) u = u.unfold(2, extent, stride).index_select(-1, taps);          // [C, P1, P2, k, k]
        for (std::int64_t g = 0; g < groups; ++g) {
            at::Tensor ug = u.narrow(0, g * per, per);
            ug = two ? ug.permute({1, 2, 0, 3, 4}).reshape({-1, per * k * k}) : ug.permute({1, 0, 2}).reshape({-1, per * k});
            const at::Tensor rows = qs::detail::layerRows(l, {&sample}, g);
            QCOMPARE(rows.sizes().vec(), ug.sizes().vec());
            QVERIFY(at::equal(rows, ug));  // copies of the same floats: bit for bit
        }
        QCOMPARE(qs::detail::rowCount(l, {&sample}), u.size(1) * (two ? u.size(2) : 1));
    }

    void learnedCodesStayOnTheGrid_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("granularity");
        QTest::addColumn<int>("bits");
        for (const char* m : {"adaround", "gptq"})
            for (const char* g : {"per_channel", "per_group", "per_tensor"})
                for (int bits : {2, 3, 4, 6, 8})
                    QTest::newRow((std::string(m) + " " + g + " " + std::to_string(bits)).c_str()) << m << g << bits;
    }

    void learnedCodesStayOnTheGrid() {
        QFETCH(QString, method);
        QFETCH(QString, granularity);
        QFETCH(int, bits);
        const qs::LayerInfo l = linearLayer(8, 40);
        torch::manual_seed(bits);
        const at::Tensor w = 0.05 * torch::randn({8, 40}) * at::linspace(0.5, 2.0, 40);
        const at::Tensor x = at::mm(torch::randn({256, 10}), torch::randn({10, 40})) + 0.1 * torch::randn({256, 40});
        qs::WeightCalibrationOptions o;
        o.granularity = qs::parseGranularity(granularity.toStdString());
        o.groupSize = 16;  // 40 = 16 + 16 + 8: a short last group
        qs::WeightEncoding e = qs::calibrateWeight(values(w), l.shape, bits, o);
        const qs::QuantizedCodes nearest = e.codes;
        qs::LearnedRoundingOptions r;
        r.adaround.iterations = 200;
        r.keepBetter = false;
        qs::detail::roundLayer(l, values(w), e, {x}, qs::parseWeightRounding(method.toStdString()), o, r, 0);
        const qs::QuantizedCodes& q = e.codes;
        QCOMPARE(q.bits, bits);
        QCOMPARE(q.range.qmin, qs::signedRange(bits).qmin);
        QCOMPARE(q.range.qmax, qs::signedRange(bits).qmax);
        QCOMPARE(q.granularity, nearest.granularity);
        QCOMPARE(q.scales.size(), nearest.scales.size());
        // The scales are the range search's, except GPTQ's per-group ones, re-fitted (positive, finite).
        if (method == "gptq" && granularity == "per_group")
            for (float s : q.scales) QVERIFY(s > 0.0f && std::isfinite(s));
        else
            QVERIFY(q.scales == nearest.scales);
        for (std::int32_t c : q.codes) QVERIFY(c >= q.range.qmin && c <= q.range.qmax);
        // Every weight is its code times its scale, exactly (zero points are 0: symmetric).
        const qs::ScaleLayout layout = qs::scaleLayout(l.name, l.shape, q.granularity, q.groupSize);
        const std::vector<float> deq = qs::dequantizeCodes(l.name, l.shape, q);
        for (std::int64_t i = 0; i < l.params; ++i)
            QCOMPARE(deq[std::size_t(i)], float(q.codes[std::size_t(i)]) * q.scales[layout.indexOf(i, q.granularity, q.groupSize)]);
        // Learned rounding moves a weight by at most one step from nearest (AdaRound: floor or ceiling).
        if (method == "adaround")
            for (std::size_t i = 0; i < q.codes.size(); ++i) QVERIFY(std::abs(q.codes[i] - nearest.codes[i]) <= 1);
    }

    void heldOutErrorIsBelowNearest_data() {
        QTest::addColumn<QString>("layer");
        QTest::addColumn<QString>("method");
        for (const char* m : {"adaround", "gptq"}) {
            QTest::newRow((std::string(m) + " conv1d").c_str()) << "model.feature_extractor.conv_layers.1.conv" << m;
            QTest::newRow((std::string(m) + " linear").c_str())
                << "model.encoder.transformer.layers.0.feed_forward.intermediate_dense" << m;
        }
    }

    void heldOutErrorIsBelowNearest() {
        // Rows from three clips; the error measured with LibTorch's operator on two other clips.
        QFETCH(QString, layer);
        QFETCH(QString, method);
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("w2v2_scripted.pt"));
        int index = -1;
        for (std::size_t i = 0; i < m.info().layers.size(); ++i)
            if (m.info().layers[i].name == layer.toStdString()) index = int(i);
        QVERIFY(index >= 0);
        const qs::LayerInfo& l = m.info().layers[std::size_t(index)];
        std::vector<bool> wanted(m.info().layers.size(), false);
        wanted[std::size_t(index)] = true;
        std::vector<qs::detail::LayerInputSample> samples;
        for (std::uint64_t clip = 0; clip < 3; ++clip) {
            qs::detail::RowSampler sampler(m.info(), wanted, 400);
            m.forwardObserved(wave(8000 + 500 * clip, 0.031 + 0.01 * double(clip), 0.17, clip), sampler);
            samples.push_back(sampler.samples.at(index));
        }
        std::vector<at::Tensor> heldOut;
        for (std::uint64_t clip = 0; clip < 2; ++clip) {
            WholeInputs inputs;
            m.forwardObserved(wave(9000 + 700 * clip, 0.047 + 0.013 * double(clip), 0.23, 10 + clip), inputs);
            heldOut.push_back(inputs.inputs.at(index));
        }
        std::vector<const qs::detail::LayerInputSample*> mine;
        for (const auto& s : samples) mine.push_back(&s);
        const at::Tensor rows = qs::detail::layerRows(l, mine, 0);

        const std::vector<float> wv = m.layerWeight(index);
        const at::Tensor w = at::from_blob(const_cast<float*>(wv.data()), l.shape, at::kFloat);
        qs::WeightEncoding e = qs::calibrateWeight(wv, l.shape, 3, {});
        const qs::QuantizedCodes nearest = e.codes;
        qs::LearnedRoundingOptions r;
        r.adaround.iterations = 300;
        r.keepBetter = false;
        qs::detail::roundLayer(l, wv, e, {rows}, qs::parseWeightRounding(method.toStdString()), {}, r, 3);
        auto output = [&](const at::Tensor& x, const at::Tensor& weight) {
            if (l.kind == "linear") return at::matmul(x, weight.t()).to(at::kDouble);
            return at::conv1d(x, weight, at::Tensor(), l.stride, l.padBegin, l.dilation, l.groups).to(at::kDouble);
        };
        auto error = [&](const qs::QuantizedCodes& c) {
            std::vector<float> q = qs::dequantizeCodes(l.name, l.shape, c);
            const at::Tensor wq = at::from_blob(q.data(), l.shape, at::kFloat);
            double num = 0, den = 0;
            for (const at::Tensor& x : heldOut) {
                num += (output(x, w) - output(x, wq)).pow(2).sum().item<double>();
                den += output(x, w).pow(2).sum().item<double>();
            }
            return num / den;
        };
        const double before = error(nearest), after = error(e.codes);
        qInfo("%s %s: held-out output error %.5f nearest, %.5f learned (%lld rows)", qPrintable(method), qPrintable(layer),
              before, after, static_cast<long long>(rows.size(0)));
        QVERIFY2(after < 0.95 * before, qPrintable(QString("%1 vs %2").arg(after).arg(before)));
    }
};

QTEST_APPLESS_MAIN(TestRoundingReference)
#include "test_rounding_reference.moc"
