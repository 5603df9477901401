// labels: unit
// Size model, statistic scores and the uniformity-constrained allocation (myQASR Algorithm 1):
// hand-worked examples, invariants over random cases, and the budget curve against the literal loop.

// LibTorch before Qt: Qt's `slots` macro breaks LibTorch headers.
#include <torch/torch.h>

#include <QtTest>

#include <algorithm>
#include <random>

#include "core/stats/activation_stats.h"
#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/stats/analysis.h"
#include "core/base/errors.h"
#include "core/allocation/sensitivity.h"
#include "core/allocation/size_model.h"

Q_DECLARE_METATYPE(std::vector<int>)
Q_DECLARE_METATYPE(std::vector<bool>)

namespace {

// Hand-worked sizes are in bits; a target of b bits is b / 2^23 MB, exactly representable.
double mb(std::int64_t bits) { return double(bits) / (8.0 * 1024 * 1024); }

// The tiny model of the hand-worked cases: layers A, B, C with 100, 200, 300 weights, plus 50 other
// parameters (biases, norms). 650 parameters at 32 bits: 20800 bits. Scores A=3, B=1, C=2.
qs::SizeModel tinyModel() { return qs::SizeModel(650, {100, 200, 300}); }
const std::vector<double> kTinyScores = {3.0, 1.0, 2.0};

}  // namespace

class TestAllocation : public QObject {
    Q_OBJECT

private slots:
    void sizeModelMatchesDirectSum();
    void sizeModelRejectsBadInput();
    void handWorked_data();
    void handWorked();
    void floorErrorMessage_data();
    void floorErrorMessage();
    void randomInvariants();
    void curvePoints();
    void badArguments();
    void metricNames();
    void statScoresMatchTorch();
    void unknownSpeakerIsNamed();
    void allocateAnalysisAndJsonRoundTrip();
};

void TestAllocation::sizeModelMatchesDirectSum() {
    std::mt19937 rng(7);
    for (int c = 0; c < 200; ++c) {
        const int n = 1 + int(rng() % 30);
        std::vector<std::int64_t> params;
        std::int64_t sum = 0;
        for (int i = 0; i < n; ++i) {
            params.push_back(1 + std::int64_t(rng() % 5000000));
            sum += params.back();
        }
        const std::int64_t other = std::int64_t(rng() % 1000000);
        const qs::SizeModel size(sum + other, params);
        std::vector<int> bits;
        for (int i = 0; i < n; ++i) bits.push_back(1 + int(rng() % 32));

        // Σ over all parameters of bits / 8 × count, in bytes, then MiB.
        double bytes = other * 32 / 8.0, weighted = 0, plain = 0;
        for (int i = 0; i < n; ++i) {
            bytes += params[i] * bits[i] / 8.0;
            weighted += double(params[i]) * bits[i];
            plain += bits[i];
        }
        QCOMPARE(size.sizeMb(bits), bytes / (1024.0 * 1024.0));
        QCOMPARE(size.floatSizeMb(), (sum + other) * 4.0 / (1024.0 * 1024.0));
        QCOMPARE(size.averageBits(bits), weighted / double(sum));
        QCOMPARE(size.plainAverageBits(bits), plain / n);
        QCOMPARE(size.compressionRatio(bits), size.floatSizeMb() / size.sizeMb(bits));
    }
    // Nothing quantized: the ratio is 1 and the average 32.
    const qs::SizeModel tiny = tinyModel();
    QCOMPARE(tiny.compressionRatio({32, 32, 32}), 1.0);
    QCOMPARE(tiny.averageBits({32, 32, 32}), 32.0);
    // A: 100 × 4 + B: 200 × 8 + C: 300 × 16 + 50 × 32 = 8400 bits.
    QCOMPARE(tiny.sizeBits({4, 8, 16}), std::int64_t(8400));
}

void TestAllocation::sizeModelRejectsBadInput() {
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::SizeModel(100, {60, 50}));  // layers exceed the model
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::SizeModel(100, {0, 50}));   // an empty layer
    const qs::SizeModel tiny = tinyModel();
    QVERIFY_THROWS_EXCEPTION(qs::InputError, tiny.sizeBits({32, 32}));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, tiny.sizeBits({32, 0, 32}));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, tiny.sizeBits({32, 33, 32}));
}

void TestAllocation::handWorked_data() {
    QTest::addColumn<bool>("ascending");
    QTest::addColumn<std::vector<bool>>("include");
    QTest::addColumn<qint64>("targetBits");
    QTest::addColumn<std::vector<int>>("expected");  // bits of A, B, C

    // Descending (largest score first): A(100), C(300), B(200). Each decrement saves the layer's
    // params in bits; one full pass saves 600. Sizes after k decrements:
    //   k: 0      1      2      3      4      5      6
    //      20800  20700  20400  20200  20100  19800  19600
    const std::vector<bool> all;
    QTest::newRow("desc float already below") << false << all << qint64(20801) << std::vector<int>{32, 32, 32};
    QTest::newRow("desc equal to float: one more step") << false << all << qint64(20800) << std::vector<int>{31, 32, 32};
    QTest::newRow("desc equal after step 1: strict stop") << false << all << qint64(20700) << std::vector<int>{31, 32, 31};
    QTest::newRow("desc mid pass, k=2") << false << all << qint64(20500) << std::vector<int>{31, 32, 31};
    QTest::newRow("desc end of pass 1, k=3") << false << all << qint64(20300) << std::vector<int>{31, 31, 31};
    QTest::newRow("desc equal after pass 1: k=4") << false << all << qint64(20200) << std::vector<int>{30, 31, 31};
    QTest::newRow("desc pass 2, k=6") << false << all << qint64(19700) << std::vector<int>{30, 30, 30};
    // Deep: 20800 - 600 × 25 = 5800 after 25 passes (all at 7); k=76 takes A: 5700 < 5750.
    QTest::newRow("desc pass 26, k=76") << false << all << qint64(5750) << std::vector<int>{6, 7, 7};
    // The last state: 20800 - 600 × 30 = 2800, everything at the 2-bit floor.
    QTest::newRow("desc floor state") << false << all << qint64(2801) << std::vector<int>{2, 2, 2};

    // Ascending (smallest score first): B(200), C(300), A(100).
    //   k: 0      1      2      3      4      5      6
    //      20800  20600  20300  20200  20000  19700  19600
    QTest::newRow("asc k=1") << true << all << qint64(20700) << std::vector<int>{32, 31, 32};
    QTest::newRow("asc equal after step 1: k=2") << true << all << qint64(20600) << std::vector<int>{32, 31, 31};
    QTest::newRow("asc end of pass 1, k=3") << true << all << qint64(20250) << std::vector<int>{31, 31, 31};
    QTest::newRow("asc equal after pass 1: k=4") << true << all << qint64(20200) << std::vector<int>{31, 30, 31};
    QTest::newRow("asc mid pass 2, k=5") << true << all << qint64(19800) << std::vector<int>{31, 30, 30};

    // A excluded (stays 32, counts as non-quantized). Descending over C(300), B(200):
    //   k: 0      1      2      3      4
    //      20800  20500  20300  20000  19800
    const std::vector<bool> noA = {false, true, true};
    QTest::newRow("excluded A, k=1") << false << noA << qint64(20600) << std::vector<int>{32, 32, 31};
    QTest::newRow("excluded A, equal: k=3") << false << noA << qint64(20300) << std::vector<int>{32, 31, 30};
    // Its floor: 20800 - 500 × 30 = 5800.
    QTest::newRow("excluded A, floor state") << false << noA << qint64(5801) << std::vector<int>{32, 2, 2};
}

void TestAllocation::handWorked() {
    QFETCH(bool, ascending);
    QFETCH(std::vector<bool>, include);
    QFETCH(qint64, targetBits);
    QFETCH(std::vector<int>, expected);

    qs::AllocationSettings s;
    s.order = ascending ? qs::Order::Ascending : qs::Order::Descending;
    s.include = include;
    const qs::SizeModel size = tinyModel();
    const std::vector<int> literal = qs::allocate(size, kTinyScores, s, mb(targetBits));
    QCOMPARE(literal, expected);
    QCOMPARE(qs::BudgetCurve::build(size, kTinyScores, s).lookup(mb(targetBits)), expected);
    QVERIFY(size.sizeBits(literal) < targetBits);
}

void TestAllocation::floorErrorMessage_data() {
    QTest::addColumn<int>("minBits");
    QTest::addColumn<double>("targetMb");
    QTest::addColumn<QString>("message");

    // One layer of 2^20 weights plus 2^18 other parameters: float 5 MB. At b bits the layer takes
    // b / 8 MB, the rest 1 MB: 2 bits -> 1.25 MB, 4 bits -> 1.5 MB.
    QTest::newRow("2-bit floor") << 2 << 1.0
                                 << "target 1.00 MB is below the smallest size reachable with 2-bit layers, 1.25 MB";
    QTest::newRow("4-bit floor") << 4 << 1.4
                                 << "target 1.40 MB is below the smallest size reachable with 4-bit layers, 1.50 MB";
    // Equal to the floor state is unreachable too (strictly below).
    QTest::newRow("equal to floor") << 2 << 1.25
                                    << "target 1.25 MB is below the smallest size reachable with 2-bit layers, 1.25 MB";
    // Sizes that two decimals would print alike get more decimals.
    QTest::newRow("close to floor") << 2 << 1.2496
                                    << "target 1.2496 MB is below the smallest size reachable with 2-bit layers, 1.2500 MB";
}

void TestAllocation::floorErrorMessage() {
    QFETCH(int, minBits);
    QFETCH(double, targetMb);
    QFETCH(QString, message);
    const qs::SizeModel size(std::int64_t(1) << 18 | std::int64_t(1) << 20, {std::int64_t(1) << 20});
    qs::AllocationSettings s;
    s.minBits = minBits;
    auto expectBudgetError = [&](auto&& call) {
        try {
            call();
            QFAIL("expected a BudgetError");
        } catch (const qs::BudgetError& e) {
            QCOMPARE(QString::fromStdString(e.what()), message);
        }
    };
    expectBudgetError([&] { qs::allocate(size, {1.0}, s, targetMb); });
    expectBudgetError([&] { qs::BudgetCurve::build(size, {1.0}, s).lookup(targetMb); });
}

void TestAllocation::randomInvariants() {
    std::mt19937 rng(2024);
    int checkedTargets = 0;
    for (int c = 0; c < 60; ++c) {
        const int n = 1 + int(rng() % 24);
        std::vector<std::int64_t> params;
        std::vector<double> scores;
        std::vector<bool> include;
        std::int64_t sum = 0;
        for (int i = 0; i < n; ++i) {
            params.push_back(1 + std::int64_t(rng() % 3000000));
            sum += params.back();
            scores.push_back(double(rng() % 5));  // few distinct values: plenty of ties
            include.push_back(rng() % 5 != 0);
        }
        const qs::SizeModel size(sum + std::int64_t(rng() % 500000), params);
        qs::AllocationSettings s;
        s.order = rng() % 2 ? qs::Order::Ascending : qs::Order::Descending;
        s.minBits = 1 + int(rng() % 8);
        if (c % 3) s.include = include;
        const qs::BudgetCurve curve = qs::BudgetCurve::build(size, scores, s);

        // Targets: a fine grid from below the floor to above the float size, plus every state's
        // exact size (the strict-stop cases) for a sample of states.
        std::vector<double> targets;
        const double lo = curve.minSizeMb() * 0.98, hi = curve.floatSizeMb() * 1.01;
        for (int g = 0; g <= 150; ++g) targets.push_back(lo + (hi - lo) * g / 150.0);
        for (int k = 0; k <= curve.steps(); k += 1 + curve.steps() / 40) targets.push_back(curve.sizeMbAt(k));
        std::sort(targets.begin(), targets.end());

        std::vector<int> previous;
        for (double t : targets) {
            std::vector<int> literal, fromCurve;
            bool literalFailed = false, curveFailed = false;
            try { literal = qs::allocate(size, scores, s, t); } catch (const qs::BudgetError&) { literalFailed = true; }
            try { fromCurve = curve.lookup(t); } catch (const qs::BudgetError&) { curveFailed = true; }
            QCOMPARE(curveFailed, literalFailed);
            QCOMPARE(literalFailed, !(curve.minSizeMb() < t));
            if (literalFailed) continue;
            ++checkedTargets;
            QCOMPARE(fromCurve, literal);

            // Strictly below the target, and minimal: one decrement fewer would not be.
            QVERIFY(size.sizeMb(literal) < t);
            const int k = curve.lookupStep(t);
            QVERIFY(k == 0 || !(curve.sizeMbAt(k - 1) < t));

            // Uniformity: included layers within one bit of each other, none below the floor;
            // excluded layers untouched.
            int lowest = 32, highest = 0;
            for (int i = 0; i < n; ++i) {
                if (!s.include.empty() && !s.include[i]) {
                    QCOMPARE(literal[i], 32);
                    continue;
                }
                lowest = std::min(lowest, literal[i]);
                highest = std::max(highest, literal[i]);
            }
            if (highest > 0) {
                QVERIFY(highest - lowest <= 1);
                QVERIFY(lowest >= s.minBits);
            }
            // Monotone in the target: a larger budget never takes a bit from any layer.
            if (!previous.empty())
                for (int i = 0; i < n; ++i) QVERIFY(literal[i] >= previous[i]);
            previous = literal;
        }
    }
    QVERIFY(checkedTargets > 5000);
}

void TestAllocation::curvePoints() {
    const qs::BudgetCurve curve = qs::BudgetCurve::build(tinyModel(), kTinyScores, {});
    QCOMPARE(curve.steps(), 3 * 30);
    QCOMPARE(curve.floatSizeMb(), mb(20800));
    QCOMPARE(curve.minSizeMb(), mb(2800));
    QCOMPARE(curve.order(), (std::vector<int>{0, 2, 1}));
    const auto points = curve.points();
    QCOMPARE(int(points.size()), 91);
    for (std::size_t k = 1; k < points.size(); ++k) {
        QCOMPARE(points[k].step, int(k));
        QVERIFY(points[k].sizeMb < points[k - 1].sizeMb);
        QCOMPARE(tinyModel().sizeMb(curve.bitsAt(int(k))), points[k].sizeMb);
    }
    QCOMPARE(curve.bitsAt(76), (std::vector<int>{6, 7, 7}));
    // No included layer: one state, and any target below the float size is unreachable.
    qs::AllocationSettings none;
    none.include = {false, false, false};
    const qs::BudgetCurve empty = qs::BudgetCurve::build(tinyModel(), kTinyScores, none);
    QCOMPARE(empty.steps(), 0);
    QCOMPARE(empty.lookup(mb(20801)), (std::vector<int>{32, 32, 32}));
    QVERIFY_THROWS_EXCEPTION(qs::BudgetError, empty.lookup(mb(20800)));
    QVERIFY_THROWS_EXCEPTION(qs::BudgetError, qs::allocate(tinyModel(), kTinyScores, none, mb(20800)));
}

void TestAllocation::badArguments() {
    const qs::SizeModel size = tinyModel();
    qs::AllocationSettings s;
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::allocate(size, {1.0, 2.0}, s, 1.0));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::allocate(size, kTinyScores, s, 0.0));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::allocate(size, kTinyScores, s, -1.0));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::allocate(size, {1.0, std::nan(""), 2.0}, s, 1.0));
    s.minBits = 0;
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::BudgetCurve::build(size, kTinyScores, s));
    s.minBits = 32;
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::BudgetCurve::build(size, kTinyScores, s));
    s.minBits = 2;
    s.include = {true, false};
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::BudgetCurve::build(size, kTinyScores, s));
    // min-bits 31 still works: one pass is possible.
    s.include.clear();
    s.minBits = 31;
    QCOMPARE(qs::BudgetCurve::build(size, kTinyScores, s).steps(), 3);
}

void TestAllocation::metricNames() {
    const std::vector<std::string> names = {"median", "mean", "max", "abs_max", "std", "var"};
    const std::vector<std::string> distances = {"kl", "l1", "l2", "cosine", "sqnr"};
    std::vector<std::string> all = names;
    all.insert(all.end(), distances.begin(), distances.end());
    QCOMPARE(qs::metricNames(), all);
    for (const auto& n : distances) {
        QCOMPARE(qs::metricName(qs::parseMetric(n)), n);
        QVERIFY(!qs::isStatistic(qs::parseMetric(n)));
    }
    for (const auto& n : names) {
        QCOMPARE(qs::metricName(qs::parseMetric(n)), n);
        QVERIFY(qs::isStatistic(qs::parseMetric(n)));
    }
    try {
        qs::parseMetric("kl2");
        QFAIL("expected an InputError");
    } catch (const qs::InputError& e) {
        QVERIFY(std::string(e.what()).find("kl2") != std::string::npos);
        QVERIFY(std::string(e.what()).find("median, mean, max, abs_max, std, var") != std::string::npos);
    }
    QCOMPARE(qs::parseOrder("ascending"), qs::Order::Ascending);
    QCOMPARE(qs::orderName(qs::Order::Descending), std::string("descending"));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::parseOrder("up"));
}

namespace {

// Feeds a [B, C, T] activation (the Conv1d layout) through ActivationStats.
qs::StatsSummary summarize(const torch::Tensor& t) {
    const torch::Tensor c = t.contiguous();
    qs::ActivationStats stats;
    stats.add(c.data_ptr<float>(), std::size_t(c.size(0)), std::size_t(c.size(1)), std::size_t(c.size(2)));
    return stats.summary();
}

qs::LayerAnalysis layerFrom(const std::string& name, const torch::Tensor& all, const torch::Tensor& alice) {
    qs::LayerAnalysis l;
    l.info.name = name;
    l.info.kind = "conv1d";
    l.info.params = 1000;
    l.stats[qs::kAllSpeakers] = summarize(all);
    l.stats["alice"] = summarize(alice);
    return l;
}

// The score torch computes on the same activations, in double precision.
double torchScore(const torch::Tensor& t, qs::Metric m) {
    const torch::Tensor y = t.to(torch::kDouble), a = y.abs();
    switch (m) {
        case qs::Metric::Median: return a.median().item<double>();
        case qs::Metric::Mean: return a.mean().item<double>();
        case qs::Metric::Max: return y.max().item<double>();
        case qs::Metric::AbsMax: return a.max().item<double>();
        case qs::Metric::Std: return a.std(/*unbiased=*/false).item<double>();
        case qs::Metric::Var: return a.var(/*unbiased=*/false).item<double>();
    }
    return 0;
}

// Two layers with different activation shapes; speaker "alice" saw the first batch item only.
qs::Analysis knownAnalysis(std::vector<torch::Tensor>& acts) {
    torch::manual_seed(3);
    acts = {torch::randn({4, 16, 500}) * 0.7 + 0.2, torch::rand({4, 8, 1000}) * 3.0 - 1.0};
    qs::Analysis a;
    a.model.totalParams = 5000;
    a.speakers = {{"alice", 1, 1, 1.0}, {"bob", 3, 3, 3.0}};
    for (std::size_t i = 0; i < acts.size(); ++i)
        a.layers.push_back(layerFrom("layer" + std::to_string(i), acts[i], acts[i].narrow(0, 0, 1)));
    return a;
}

}  // namespace

void TestAllocation::statScoresMatchTorch() {
    std::vector<torch::Tensor> acts;
    const qs::Analysis a = knownAnalysis(acts);
    for (const std::string speaker : {"all", "alice"}) {
        for (qs::Metric m : {qs::Metric::Mean, qs::Metric::Max, qs::Metric::AbsMax, qs::Metric::Std,
                             qs::Metric::Var, qs::Metric::Median}) {
            const std::vector<double> scores = qs::statScores(a, m, speaker);
            QCOMPARE(scores.size(), acts.size());
            for (std::size_t i = 0; i < acts.size(); ++i) {
                const torch::Tensor t = speaker == "all" ? acts[i] : acts[i].narrow(0, 0, 1);
                const double expected = torchScore(t, m);
                // The median comes from a sketch (within 0.4% by design); the rest are exact up to
                // float accumulation and the population/sample variance convention (1/n).
                const double tolerance = m == qs::Metric::Median ? 0.01 : 2e-4;
                if (std::abs(scores[i] - expected) > tolerance * std::abs(expected))
                    QFAIL(qPrintable(QString("%1 of layer %2 for %3: %4, torch says %5")
                                         .arg(QString::fromStdString(qs::metricName(m)))
                                         .arg(i)
                                         .arg(QString::fromStdString(speaker))
                                         .arg(scores[i], 0, 'g', 10)
                                         .arg(expected, 0, 'g', 10)));
            }
        }
    }
}

void TestAllocation::unknownSpeakerIsNamed() {
    std::vector<torch::Tensor> acts;
    qs::Analysis a = knownAnalysis(acts);
    try {
        qs::statScores(a, qs::Metric::Median, "carol");
        QFAIL("expected an InputError");
    } catch (const qs::InputError& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find("'carol'") != std::string::npos, msg.c_str());
        QVERIFY2(msg.find("all, alice, bob") != std::string::npos, msg.c_str());
    }
    // bob is listed but the layers carry no statistics for him: the layer is named.
    try {
        qs::statScores(a, qs::Metric::Median, "bob");
        QFAIL("expected an InputError");
    } catch (const qs::InputError& e) {
        QVERIFY2(std::string(e.what()).find("layer0") != std::string::npos, e.what());
    }
}

void TestAllocation::allocateAnalysisAndJsonRoundTrip() {
    // Three layers of 2^18, 2^19, 2^18 weights plus 2^18 others: float 5 MB; a bit of a 2^18-weight
    // layer is 1/32 MB. Medians 0.5, 2, 1: descending order is layer1, layer2, layer0, and a full
    // pass saves 0.125 MB. Target 4.5: after 4 passes the size is exactly 4.5, not below, so
    // decrement 13 takes layer1 to 27 bits: 4.4375 MB.
    qs::Analysis a;
    a.model.totalParams = 5 << 18;
    a.speakers = {{"alice", 1, 1, 1.0}};
    const double medians[] = {0.5, 2.0, 1.0}, aliceMedians[] = {3.0, 1.0, 2.0};
    const std::int64_t params[] = {1 << 18, 1 << 19, 1 << 18};
    for (int i = 0; i < 3; ++i) {
        qs::LayerAnalysis l;
        l.info.name = "layer" + std::to_string(i);
        l.info.params = params[i];
        l.stats[qs::kAllSpeakers].median_abs = medians[i];
        l.stats["alice"].median_abs = aliceMedians[i];
        a.layers.push_back(l);
    }
    qs::AllocationRequest r;
    r.targetMb = 4.5;
    qs::Allocation out = qs::allocateAnalysis(a, r);
    QCOMPARE(out.bits(), (std::vector<int>{28, 27, 28}));
    QCOMPARE(out.sizeMb, 4.4375);
    QCOMPARE(out.floatSizeMb, 5.0);
    QCOMPARE(out.averageBits, 27.5);
    QCOMPARE(out.compressionRatio, 5.0 / 4.4375);
    QCOMPARE(out.layers[1].score, 2.0);
    QCOMPARE(out.layers[1].params, std::int64_t(1) << 19);

    // alice's order is layer0, layer2, layer1: decrement 13 now takes layer0.
    r.speaker = "alice";
    QCOMPARE(qs::allocateAnalysis(a, r).bits(), (std::vector<int>{27, 28, 28}));
    // Excluding layer1 (alice, order layer0, layer2): a pass saves 0.0625 MB, 8 passes reach 4.5
    // exactly, and decrement 17 takes layer0 to 23 bits: 4.46875 MB.
    r.settings.include = {true, false, true};
    out = qs::allocateAnalysis(a, r);
    QCOMPARE(out.bits(), (std::vector<int>{23, 32, 24}));
    QCOMPARE(out.sizeMb, 4.46875);
    QCOMPARE(out.layers[1].included, false);

    // JSON round trip keeps everything.
    const qs::Allocation back = qs::allocationFromJson(qs::toJson(out));
    QCOMPARE(back.bits(), out.bits());
    QCOMPARE(back.sizeMb, out.sizeMb);
    QCOMPARE(back.targetMb, out.targetMb);
    QCOMPARE(back.speaker, std::string("alice"));
    QCOMPARE(back.metric, qs::Metric::Median);
    QCOMPARE(back.order, qs::Order::Descending);
    QCOMPARE(back.minBits, 2);
    QCOMPARE(back.averageBits, out.averageBits);
    QCOMPARE(back.layers[1].included, false);
    QCOMPARE(back.layers[2].params, out.layers[2].params);

    nlohmann::json broken = qs::toJson(out);
    broken.erase("size_mb");
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::allocationFromJson(broken));
    broken = qs::toJson(out);
    broken["layers"][0]["bits"] = "eight";
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::allocationFromJson(broken));
    broken = qs::toJson(out);
    broken["metric"] = "loudness";
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::allocationFromJson(broken));
}

QTEST_APPLESS_MAIN(TestAllocation)
#include "test_allocation.moc"
