// labels: unit
// links: qs_allocation
// Relaxed uniformity (--spread S): S = 1 is myQASR's Algorithm 1 exactly, checked against a literal
// transcription of the paper's passes on every metric (statistics and distances) and both orders;
// hand-worked S = 2 and S = 3 chains; invariants of larger spreads over random cases (the curve
// against the literal rule, every layer within S bits of the most precise, monotone in the budget).
#include <QtTest>

#include <algorithm>
#include <random>

#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/allocation/sensitivity.h"
#include "core/allocation/size_model.h"
#include "core/base/errors.h"

Q_DECLARE_METATYPE(std::vector<int>)

namespace {

double mb(std::int64_t bits) { return double(bits) / (8.0 * 1024 * 1024); }

// Layers A, B, C of 100, 200, 300 weights plus 50 other parameters (20800 bits in float); scores
// A=3, B=1, C=2, so the descending order is A, C, B.
qs::SizeModel tinyModel() { return qs::SizeModel(650, {100, 200, 300}); }
const std::vector<double> kTinyScores = {3.0, 1.0, 2.0};

// myQASR's Algorithm 1 as the paper states it, written out independently of core: start every
// layer at 32 bits; order the layers by score (descending: largest first; stable for ties); loop
// over the order taking one bit from each layer in turn, skipping layers at the floor, until the
// size is strictly below the target.
std::vector<int> algorithmOne(const qs::SizeModel& size, const std::vector<double>& scores, bool ascending,
                              int minBits, double targetMb) {
    std::vector<int> order(scores.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = int(i);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return ascending ? scores[std::size_t(a)] < scores[std::size_t(b)] : scores[std::size_t(a)] > scores[std::size_t(b)];
    });
    std::vector<int> bits(scores.size(), 32);
    auto sizeMb = [&] {
        std::int64_t total = size.totalParams() * 32;
        for (std::size_t i = 0; i < bits.size(); ++i) total -= size.layerParams(i) * (32 - bits[i]);
        return mb(total);
    };
    if (sizeMb() < targetMb) return bits;
    for (bool moved = true; moved;) {
        moved = false;
        for (int layer : order) {
            if (bits[std::size_t(layer)] <= minBits) continue;
            --bits[std::size_t(layer)];
            moved = true;
            if (sizeMb() < targetMb) return bits;
        }
    }
    return {};  // unreachable
}

// An analysis whose layers carry random statistics for "all" and one speaker, and random distance
// scores, so that every metric orders the layers differently.
qs::Analysis randomAnalysis(std::mt19937& rng, int layers) {
    std::uniform_real_distribution<double> u(0.01, 5.0);
    qs::Analysis a;
    a.speakers = {{"alice", 3, 3, 3.0}};
    std::int64_t sum = 0;
    for (int i = 0; i < layers; ++i) {
        qs::LayerAnalysis l;
        l.info.name = "layer" + std::to_string(i);
        l.info.params = 1 + std::int64_t(rng() % 400000);
        sum += l.info.params;
        for (const std::string who : {"all", "alice"}) {
            qs::StatsSummary& s = l.stats[who];
            s.median_abs = u(rng), s.mean_abs = u(rng), s.max = u(rng), s.abs_max = u(rng);
            s.std_abs = u(rng), s.var_abs = u(rng);
            if (rng() % 4 == 0) s.median_abs = 1.0;  // ties
            qs::DistanceScores& d = l.distances[who];
            d.kl = u(rng), d.l1 = u(rng), d.l2 = u(rng), d.cosine = u(rng), d.sqnrDb = 10 * u(rng);
        }
        a.layers.push_back(l);
    }
    a.model.totalParams = sum + std::int64_t(rng() % 100000);
    return a;
}

}  // namespace

class TestAllocationSpread : public QObject {
    Q_OBJECT

private slots:
    void spreadOneIsAlgorithmOne_data();
    void spreadOneIsAlgorithmOne();
    void handWorked_data();
    void handWorked();
    void randomSpreads();
    void badSpread();
    void jsonKeepsSpread();
};

void TestAllocationSpread::spreadOneIsAlgorithmOne_data() {
    QTest::addColumn<QString>("metric");
    QTest::addColumn<bool>("ascending");
    for (const std::string& m : qs::metricNames())
        for (bool asc : {false, true})
            QTest::newRow((m + (asc ? " ascending" : " descending")).c_str()) << QString::fromStdString(m) << asc;
}

void TestAllocationSpread::spreadOneIsAlgorithmOne() {
    QFETCH(QString, metric);
    QFETCH(bool, ascending);
    std::mt19937 rng(11);
    int checked = 0;
    for (int c = 0; c < 6; ++c) {
        const qs::Analysis a = randomAnalysis(rng, 3 + c * 5);
        const qs::SizeModel size = qs::sizeModelFor(a);
        for (const std::string speaker : {"all", "alice"}) {
            const std::vector<double> scores = qs::layerScores(a, qs::parseMetric(metric.toStdString()), speaker);
            qs::AllocationSettings s;
            s.order = ascending ? qs::Order::Ascending : qs::Order::Descending;
            s.minBits = 1 + c % 4;
            s.spread = 1;
            const qs::BudgetCurve curve = qs::BudgetCurve::build(size, scores, s);
            // Every state's exact size (the strict-stop case) and a point inside each interval.
            for (int k = 0; k <= curve.steps(); k += 1 + c) {
                for (double t : {curve.sizeMbAt(k), k > 0 ? 0.5 * (curve.sizeMbAt(k) + curve.sizeMbAt(k - 1)) : curve.sizeMbAt(0) * 1.01}) {
                    if (!(t > curve.minSizeMb())) continue;
                    const std::vector<int> expected = algorithmOne(size, scores, ascending, s.minBits, t);
                    QCOMPARE(qs::allocate(size, scores, s, t), expected);
                    QCOMPARE(curve.lookup(t), expected);
                    qs::AllocationRequest r;
                    r.targetMb = t;
                    r.metric = qs::parseMetric(metric.toStdString());
                    r.speaker = speaker;
                    r.settings = s;
                    QCOMPARE(qs::allocateAnalysis(a, r).bits(), expected);
                    ++checked;
                }
            }
        }
    }
    QVERIFY(checked > 1000);
}

void TestAllocationSpread::handWorked_data() {
    QTest::addColumn<int>("spread");
    QTest::addColumn<qint64>("targetBits");
    QTest::addColumn<std::vector<int>>("expected");  // bits of A, B, C
    // Spread 2, descending order A, C, B. Each step takes the first layer whose bits minus one stay
    // within 2 of the most precise (A, C, B at 32 first):
    //   step 1 A31, 2 A30, 3 C31 (A29 would be 3 below 32), 4 C30, 5 B31 (max now 31),
    //   6 A29, 7 C29, 8 B30, 9 A28, 10 C28, 11 B29 ...
    //   sizes: 20700 20600 20300 20000 19800 19700 19400 19200 19100 18800 18600
    QTest::newRow("S2 step 1") << 2 << qint64(20750) << std::vector<int>{31, 32, 32};
    QTest::newRow("S2 step 2: A runs two bits ahead") << 2 << qint64(20650) << std::vector<int>{30, 32, 32};
    QTest::newRow("S2 step 4") << 2 << qint64(20100) << std::vector<int>{30, 32, 30};
    QTest::newRow("S2 equal after step 4: step 5") << 2 << qint64(20000) << std::vector<int>{30, 31, 30};
    QTest::newRow("S2 step 6") << 2 << qint64(19750) << std::vector<int>{29, 31, 30};
    QTest::newRow("S2 step 8") << 2 << qint64(19300) << std::vector<int>{29, 30, 29};
    QTest::newRow("S2 step 11") << 2 << qint64(18700) << std::vector<int>{28, 29, 28};
    // Spread 1 at the same target as step 6: Algorithm 1 (20700 20400 20200 20100 19800 19600).
    QTest::newRow("S1 same target") << 1 << qint64(19750) << std::vector<int>{30, 30, 30};
    // Spread 3: A31 A30 A29, C31 C30 C29, B31 (max 31), A28, C28, B30, ...
    //   sizes: 20700 20600 20500 20200 19900 19600 19400 19300 19000 18800
    QTest::newRow("S3 step 3") << 3 << qint64(20550) << std::vector<int>{29, 32, 32};
    QTest::newRow("S3 step 7") << 3 << qint64(19500) << std::vector<int>{29, 31, 29};
    QTest::newRow("S3 step 10") << 3 << qint64(18900) << std::vector<int>{28, 30, 28};
    // The floor: every layer at 2 bits, 20800 - 600 × 30 = 2800, whatever the spread.
    QTest::newRow("S3 floor state") << 3 << qint64(2801) << std::vector<int>{2, 2, 2};
}

void TestAllocationSpread::handWorked() {
    QFETCH(int, spread);
    QFETCH(qint64, targetBits);
    QFETCH(std::vector<int>, expected);
    qs::AllocationSettings s;
    s.spread = spread;
    const qs::SizeModel size = tinyModel();
    QCOMPARE(qs::allocate(size, kTinyScores, s, mb(targetBits)), expected);
    const qs::BudgetCurve curve = qs::BudgetCurve::build(size, kTinyScores, s);
    QCOMPARE(curve.lookup(mb(targetBits)), expected);
    QCOMPARE(curve.steps(), 90);
    QCOMPARE(curve.spread(), spread);
}

void TestAllocationSpread::randomSpreads() {
    std::mt19937 rng(99);
    int checked = 0;
    for (int c = 0; c < 80; ++c) {
        const int n = 1 + int(rng() % 20);
        std::vector<std::int64_t> params;
        std::vector<double> scores;
        std::vector<bool> include;
        std::int64_t sum = 0;
        for (int i = 0; i < n; ++i) {
            params.push_back(1 + std::int64_t(rng() % 2000000));
            sum += params.back();
            scores.push_back(double(rng() % 6));
            include.push_back(rng() % 5 != 0);
        }
        const qs::SizeModel size(sum + std::int64_t(rng() % 300000), params);
        qs::AllocationSettings s;
        s.order = rng() % 2 ? qs::Order::Ascending : qs::Order::Descending;
        s.minBits = 1 + int(rng() % 6);
        s.spread = 1 + int(rng() % 8);
        if (c % 3) s.include = include;
        const qs::BudgetCurve curve = qs::BudgetCurve::build(size, scores, s);
        std::vector<int> previous;
        for (int k = curve.steps(); k >= 0; k -= 1 + curve.steps() / 60) {
            const double t = curve.sizeMbAt(k);  // strictly below: state k + 1
            if (!(t > curve.minSizeMb())) continue;
            const std::vector<int> literal = qs::allocate(size, scores, s, t);
            QCOMPARE(curve.lookup(t), literal);
            QVERIFY(size.sizeMb(literal) < t);
            QCOMPARE(curve.bitsAt(curve.lookupStep(t)), literal);
            int lowest = 32, highest = 0;
            for (int i = 0; i < n; ++i) {
                if (!s.include.empty() && !s.include[std::size_t(i)]) {
                    QCOMPARE(literal[std::size_t(i)], 32);
                    continue;
                }
                lowest = std::min(lowest, literal[std::size_t(i)]);
                highest = std::max(highest, literal[std::size_t(i)]);
            }
            if (highest > 0) {
                QVERIFY2(highest - lowest <= s.spread, qPrintable(QString("spread %1: %2..%3").arg(s.spread).arg(lowest).arg(highest)));
                QVERIFY(lowest >= s.minBits);
            }
            if (!previous.empty())  // the budget grows: no layer loses a bit
                for (int i = 0; i < n; ++i) QVERIFY(literal[std::size_t(i)] >= previous[std::size_t(i)]);
            previous = literal;
            ++checked;
        }
        // Every state of the chain is one bit less than the one before.
        for (int k = 1; k <= curve.steps(); k += 1 + curve.steps() / 50) {
            const std::vector<int> a = curve.bitsAt(k - 1), b = curve.bitsAt(k);
            int diff = 0;
            for (int i = 0; i < n; ++i) diff += a[std::size_t(i)] - b[std::size_t(i)];
            QCOMPARE(diff, 1);
            QCOMPARE(size.sizeMb(b), curve.sizeMbAt(k));
        }
    }
    QVERIFY(checked > 1500);
}

void TestAllocationSpread::badSpread() {
    qs::AllocationSettings s;
    s.spread = 0;
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::BudgetCurve::build(tinyModel(), kTinyScores, s));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::allocate(tinyModel(), kTinyScores, s, mb(20000)));
    s.spread = 32;
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::BudgetCurve::build(tinyModel(), kTinyScores, s));
    // A spread as wide as the bit range lets the first layer run down to the floor alone.
    s.spread = 31;
    // (A alone at 3 bits is exactly 17900 bits, not below; at 2 bits 17800.)
    QCOMPARE(qs::allocate(tinyModel(), kTinyScores, s, mb(17900)), (std::vector<int>{2, 32, 32}));
}

void TestAllocationSpread::jsonKeepsSpread() {
    qs::Analysis a;
    a.model.totalParams = 650;
    for (int i = 0; i < 3; ++i) {
        qs::LayerAnalysis l;
        l.info.name = "layer" + std::to_string(i);
        l.info.params = 100 * (i + 1);
        l.stats["all"].median_abs = kTinyScores[std::size_t(i)];
        a.layers.push_back(l);
    }
    qs::AllocationRequest r;
    r.targetMb = mb(20100);
    r.settings.spread = 2;
    const qs::Allocation out = qs::allocateAnalysis(a, r);
    QCOMPARE(out.bits(), (std::vector<int>{30, 32, 30}));
    QCOMPARE(out.spread, 2);
    QCOMPARE(qs::allocationFromJson(qs::toJson(out)).spread, 2);
    nlohmann::json old = qs::toJson(out);
    old.erase("spread");  // files written before the option: Algorithm 1
    QCOMPARE(qs::allocationFromJson(old).spread, 1);
}

QTEST_APPLESS_MAIN(TestAllocationSpread)
#include "test_allocation_spread.moc"
