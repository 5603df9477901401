// labels: unit
// core/quantizer against LibTorch's own fake-quantize operators: equal to the bit.
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks LibTorch headers

#include <QtTest>

#include "core/base/errors.h"
#include "core/quantize/quantizer.h"

namespace {

std::vector<float> toVector(const at::Tensor& t) {
    const at::Tensor c = t.contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Weights with values exactly on rounding ties, zero rows and outliers, besides Gaussian ones.
at::Tensor awkwardWeights(int64_t rows, int64_t cols, uint64_t seed) {
    torch::manual_seed(seed);
    at::Tensor w = torch::randn({rows, cols}) * 0.05;
    w.index_put_({0}, 0.0f);                         // an all-zero channel
    w.index_put_({1, 0}, 3.0f);                      // an outlier
    w.index_put_({2}, torch::arange(cols) * 0.5f);   // .5 steps: ties under round-half-even
    return w;
}

}  // namespace

class TestQuantizer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void perChannelEqualsLibTorch_data() {
        QTest::addColumn<int>("bits");
        for (int b : {2, 3, 4, 6, 8, 12, 16}) QTest::newRow(qPrintable(QString("%1 bits").arg(b))) << b;
    }

    void perChannelEqualsLibTorch() {
        QFETCH(int, bits);
        const at::Tensor w = awkwardWeights(24, 37, uint64_t(bits));
        const std::vector<float> values = toVector(w);
        const std::vector<float> scales = qs::symmetricChannelScales(values, 24, bits);
        const qs::IntRange r = qs::signedRange(bits);
        const std::vector<int64_t> zps(scales.size(), 0);
        const std::vector<float> mine = qs::fakeQuantizePerChannel(values, scales, zps, r);

        const at::Tensor s = torch::tensor(scales);
        const at::Tensor z = torch::zeros({24}, torch::kInt32);
        const std::vector<float> theirs =
            toVector(at::fake_quantize_per_channel_affine(w, s, z, 0, r.qmin, r.qmax));
        QCOMPARE(mine.size(), theirs.size());
        for (std::size_t i = 0; i < mine.size(); ++i)
            QVERIFY2(std::memcmp(&mine[i], &theirs[i], sizeof(float)) == 0,
                     qPrintable(QString("element %1: %2 vs %3").arg(i).arg(mine[i]).arg(theirs[i])));
        QCOMPARE(qs::quantizeWeightSymmetric(values, 24, bits), mine);
    }

    void perTensorAsymmetricEqualsLibTorch() {
        torch::manual_seed(5);
        const at::Tensor x = torch::randn({4096}) * 2 + 0.7;
        const std::vector<float> values = toVector(x);
        for (int64_t zp : {0, 17, 128, 255}) {
            const float scale = 0.0173f;
            const qs::IntRange r{0, 255};
            const std::vector<float> mine = qs::fakeQuantizePerTensor(values, scale, zp, r);
            const std::vector<float> theirs = toVector(at::fake_quantize_per_tensor_affine(x, scale, zp, 0, 255));
            QVERIFY(std::memcmp(mine.data(), theirs.data(), mine.size() * sizeof(float)) == 0);
        }
    }

    void scalesAreSymmetricMinMax() {
        const std::vector<float> w{0.5f, -1.27f, 0.0f, 0.0f, 0.0f, 0.0f, 2.54f, 1.0f, -0.1f};
        const std::vector<float> s = qs::symmetricChannelScales(w, 3, 8);
        QCOMPARE(s[0], float(1.27 / 127.0));
        QCOMPARE(s[1], 1.0f);  // all-zero channel: any scale keeps zeros, 1 avoids dividing by zero
        QCOMPARE(s[2], float(2.54 / 127.0));
        const std::vector<float> q = qs::quantizeWeightSymmetric(w, 3, 8);
        QCOMPARE(q[1], -1.27f);  // the channel maximum maps to qmax exactly
        QCOMPARE(q[3], 0.0f);
    }

    void badArguments() {
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::signedRange(1));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::symmetricChannelScales({1, 2, 3}, 2, 8));
    }
};

QTEST_APPLESS_MAIN(TestQuantizer)
#include "test_quantizer.moc"
