// labels: unit
// Output comparison of a float and a quantized model output: SQNR, KL, L1/L2, cosine and max |diff|
// on hand-worked vectors and against LibTorch's own log_softmax / kl_div, and accumulation over clips.
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks LibTorch headers

#include <QtTest>
#include <cmath>

#include "core/base/errors.h"
#include "core/evaluation/output_compare.h"
#include "core/model/speech_model.h"

namespace {

qs::ModelOutput output(std::vector<std::int64_t> shape, std::vector<float> values) {
    return qs::ModelOutput{std::move(shape), std::move(values)};
}

qs::ModelOutput fromTensor(const at::Tensor& t) {
    const at::Tensor c = t.contiguous().to(torch::kFloat);
    return output(c.sizes().vec(), std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel()));
}

bool close(double a, double b, double relative = 1e-10) {
    return std::fabs(a - b) <= relative * std::max(1.0, std::max(std::fabs(a), std::fabs(b)));
}

}  // namespace

class TestOutputCompare : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void handWorkedVectors() {
        // One row [3, 4] against [3, 3]: Σf² = 25, Σ(f−q)² = 1.
        const qs::OutputComparison c = qs::compareOutputs(output({1, 1, 2}, {3, 4}), output({1, 1, 2}, {3, 3}));
        QVERIFY(close(c.sqnrDb, 10.0 * std::log10(25.0)));
        QVERIFY(close(c.sqnrDb, 13.979400086720377));
        QCOMPARE(c.maxAbsDiff, 1.0);
        QCOMPARE(c.l1, 0.5);
        QCOMPARE(c.l2, 0.5);
        QVERIFY(close(c.cosine, 1.0 - 21.0 / (5.0 * std::sqrt(18.0))));
        // softmax([3,4]) = [1, e]/(1+e), softmax([3,3]) = [½, ½].
        const double e = std::exp(1.0), p0 = 1 / (1 + e), p1 = e / (1 + e);
        QVERIFY(close(c.kl, p0 * std::log(p0 / 0.5) + p1 * std::log(p1 / 0.5)));
        QCOMPARE(c.rows, std::int64_t(1));
        QCOMPARE(c.elements, std::int64_t(2));
        QCOMPARE(c.clips, 1);
    }

    void klOfUniformAgainstThreeToOne() {
        // p = [½, ½] (logits 0, 0), q = [¾, ¼] (logits ln 3, 0): KL = ½ ln(4/3), per row; the two
        // rows' second one is identical, so the mean over rows is half of it.
        const float ln3 = float(std::log(3.0));
        const qs::OutputComparison c =
            qs::compareOutputs(output({1, 2, 2}, {0, 0, 1, 1}), output({1, 2, 2}, {ln3, 0, 1, 1}));
        QVERIFY(close(c.kl, 0.25 * std::log(4.0 / 3.0), 1e-7));  // ln3 is rounded to float
        QCOMPARE(c.rows, std::int64_t(2));
    }

    void identicalOutputsAreCapped() {
        const qs::ModelOutput o = output({1, 3, 2}, {1, -2, 3, 0.5f, -7, 2});
        const qs::OutputComparison c = qs::compareOutputs(o, o);
        QCOMPARE(c.sqnrDb, qs::kMaxSqnrDb);
        QCOMPARE(c.kl, 0.0);
        QCOMPARE(c.maxAbsDiff, 0.0);
        QCOMPARE(c.l1, 0.0);
        QVERIFY(std::fabs(c.cosine) < 1e-15);
        // A zero float output with noise has no signal: the floor, not −∞.
        QCOMPARE(qs::compareOutputs(output({1, 2}, {0, 0}), output({1, 2}, {1, 0})).sqnrDb, -qs::kMaxSqnrDb);
        // An empty comparer reports no difference.
        QCOMPARE(qs::OutputComparer().result().sqnrDb, qs::kMaxSqnrDb);
        QCOMPARE(qs::OutputComparer().result().clips, 0);
    }

    void equalsLibTorch() {
        torch::manual_seed(3);
        const at::Tensor f = torch::randn({1, 50, 32}) * 4;
        const at::Tensor q = f + torch::randn({1, 50, 32}) * 0.3;
        const qs::OutputComparison c = qs::compareOutputs(fromTensor(f), fromTensor(q));

        // In double precision, from the very same float values.
        const at::Tensor fd = f.to(torch::kDouble), qd = q.to(torch::kDouble);
        const at::Tensor lp = torch::log_softmax(fd, -1), lq = torch::log_softmax(qd, -1);
        const double kl = torch::kl_div(lq, lp, at::Reduction::Sum, /*log_target=*/true).item<double>() / 50.0;
        const double klByHand = (lp.exp() * (lp - lq)).sum(-1).mean().item<double>();
        QVERIFY2(close(c.kl, kl), qPrintable(QString("%1 vs %2").arg(c.kl, 0, 'g', 17).arg(kl, 0, 'g', 17)));
        QVERIFY(close(c.kl, klByHand));
        QVERIFY(c.kl > 0);

        const double sqnr = 10.0 * std::log10((fd * fd).sum().item<double>() / ((fd - qd).pow(2)).sum().item<double>());
        QVERIFY(close(c.sqnrDb, sqnr));
        QVERIFY(close(c.maxAbsDiff, (fd - qd).abs().max().item<double>()));
        QVERIFY(close(c.l1, (fd - qd).abs().mean().item<double>()));
        QVERIFY(close(c.l2, (fd - qd).pow(2).mean().item<double>()));
        const double cosine = torch::cosine_similarity(fd.flatten(), qd.flatten(), 0).item<double>();
        QVERIFY(close(c.cosine, 1.0 - cosine, 1e-8));
    }

    void accumulatesOverClips() {
        torch::manual_seed(11);
        const at::Tensor f1 = torch::randn({1, 20, 8}), q1 = f1 + torch::randn({1, 20, 8}) * 0.1;
        const at::Tensor f2 = torch::randn({1, 7, 8}) * 3, q2 = f2 + torch::randn({1, 7, 8}) * 0.5;
        const qs::OutputComparison a = qs::compareOutputs(fromTensor(f1), fromTensor(q1));
        const qs::OutputComparison b = qs::compareOutputs(fromTensor(f2), fromTensor(q2));

        qs::OutputComparer both;
        both.add(fromTensor(f1), fromTensor(q1));
        both.add(fromTensor(f2), fromTensor(q2));
        const qs::OutputComparison c = both.result();
        QCOMPARE(c.clips, 2);
        QCOMPARE(c.rows, std::int64_t(27));
        QCOMPARE(c.elements, std::int64_t(216));
        // SQNR pools signal and noise over clips; KL averages over all rows; cosine over clips.
        const double signal = (f1.to(torch::kDouble).pow(2).sum() + f2.to(torch::kDouble).pow(2).sum()).item<double>();
        const double noise = (a.l2 * 160 + b.l2 * 56);
        QVERIFY(close(c.sqnrDb, 10 * std::log10(signal / noise), 1e-9));
        QVERIFY(close(c.kl, (a.kl * 20 + b.kl * 7) / 27));
        QVERIFY(close(c.cosine, (a.cosine + b.cosine) / 2));
        QCOMPARE(c.maxAbsDiff, std::max(a.maxAbsDiff, b.maxAbsDiff));

        // Merging per-speaker comparers gives the same result as one comparer over every clip.
        qs::OutputComparer first, second;
        first.add(fromTensor(f1), fromTensor(q1));
        second.add(fromTensor(f2), fromTensor(q2));
        first.add(second);
        const qs::OutputComparison merged = first.result();
        QCOMPARE(merged.clips, 2);
        QVERIFY(close(merged.sqnrDb, c.sqnrDb));
        QVERIFY(close(merged.kl, c.kl));
        QVERIFY(close(merged.l1, c.l1));
        QCOMPARE(merged.maxAbsDiff, c.maxAbsDiff);
    }

    void rejectsMismatchedShapes() {
        QVERIFY_THROWS_EXCEPTION(qs::ModelError, qs::compareOutputs(output({1, 2}, {1, 2}), output({2, 1}, {1, 2})));
        QVERIFY_THROWS_EXCEPTION(qs::ModelError, qs::compareOutputs(output({1, 3}, {1, 2}), output({1, 3}, {1, 2})));
        QVERIFY_THROWS_EXCEPTION(qs::ModelError, qs::compareOutputs(output({}, {}), output({}, {})));
    }
};

QTEST_APPLESS_MAIN(TestOutputCompare)
#include "test_output_compare.moc"
