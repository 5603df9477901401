// labels: unit
// qs::ActivationStats against exact references on the same data: order statistics by sorting,
// moments in long double, per-channel maxima by direct loops, and LibTorch's own reductions.

// LibTorch before any Qt header: Qt's `slots` macro breaks LibTorch's headers.
#include <ATen/ATen.h>

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/stats/activation_stats.h"
#include "core/base/errors.h"

using qs::ActivationStats;
using qs::StatsSummary;

namespace {

constexpr std::size_t kSamples = 1 << 20;  // ≈ 1e6 per distribution
constexpr double kSketchError = 0.004;     // the header's bound: sqrt(1 + 2^-7) - 1 < 0.4%

// A layer output: data laid out [outer][channels][inner].
struct Block {
    std::vector<float> data;
    std::size_t outer = 1, channels = 1, inner = 1;
};

ActivationStats statsOf(const Block& b) {
    ActivationStats s;
    s.add(b.data.data(), b.outer, b.channels, b.inner);
    return s;
}

// Distributions a layer output can look like. Linear layout (outer, 768, 1) unless said otherwise.
Block makeBlock(const std::string& kind, std::size_t n = kSamples, unsigned seed = 7) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    Block b;
    b.channels = 768;
    b.outer = n / b.channels;
    b.data.resize(b.outer * b.channels);
    for (std::size_t i = 0; i < b.data.size(); ++i) {
        double v = 0;
        if (kind == "gaussian") {
            v = normal(rng);
        } else if (kind == "laplace") {
            v = std::exponential_distribution<double>(1.0)(rng) * (rng() & 1 ? 1.0 : -1.0) * 0.3;
        } else if (kind == "relu") {
            v = std::max(0.0, normal(rng) - 0.2533471);  // P(v == 0) = 0.6
        } else if (kind == "student_t") {
            v = std::student_t_distribution<double>(3.0)(rng);
        } else if (kind == "outlier_channels") {
            const std::size_t c = i % b.channels;
            v = normal(rng) * ((c == 7 || c == 300 || c == 611) ? 100.0 : 1.0);
        } else if (kind == "shifted") {
            v = 1000.0 + normal(rng);  // large mean, unit spread: tests the moments' numerics
        } else {
            qFatal("unknown distribution %s", kind.c_str());
        }
        b.data[i] = float(v);
    }
    return b;
}

// The q-quantile of sorted values: the value at 0-based index floor(q * (n - 1)).
double exactQuantile(const std::vector<double>& sorted, double q) {
    return sorted[std::size_t(std::floor(q * double(sorted.size() - 1)))];
}

struct ExactMoments {
    double meanAbs, varAbs, kurtosis;
};

// Two-pass, long double.
ExactMoments exactMoments(const std::vector<float>& data) {
    long double sumAbs = 0, sum = 0;
    for (float v : data) {
        sumAbs += std::fabs(v);
        sum += v;
    }
    const long double n = data.size(), meanAbs = sumAbs / n, mean = sum / n;
    long double varAbs = 0, m2 = 0, m4 = 0;
    for (float v : data) {
        const long double a = std::fabs(v) - meanAbs, d = v - mean;
        varAbs += a * a;
        m2 += d * d;
        m4 += d * d * d * d;
    }
    return {double(meanAbs), double(varAbs / n), double(n * m4 / (m2 * m2))};
}

bool closeRel(double actual, double expected, double rel) {
    return std::fabs(actual - expected) <= rel * std::fabs(expected);
}

#define VERIFY_CLOSE(actual, expected, rel)                                                                \
    QVERIFY2(closeRel((actual), (expected), (rel)),                                                        \
             qPrintable(QString("%1 = %2, expected %3 (relative tolerance %4)")                            \
                            .arg(#actual)                                                                  \
                            .arg(double(actual), 0, 'g', 17)                                               \
                            .arg(double(expected), 0, 'g', 17)                                             \
                            .arg(double(rel))))

std::vector<float> directChannelAbsMax(const Block& b) {
    std::vector<float> m(b.channels, 0.0f);
    for (std::size_t o = 0; o < b.outer; ++o)
        for (std::size_t c = 0; c < b.channels; ++c)
            for (std::size_t i = 0; i < b.inner; ++i) {
                const float v = b.data[(o * b.channels + c) * b.inner + i];
                if (std::isfinite(v)) m[c] = std::max(m[c], std::fabs(v));
            }
    return m;
}

at::Tensor tensorOf(Block& b) {
    return at::from_blob(b.data.data(), {std::int64_t(b.outer), std::int64_t(b.channels), std::int64_t(b.inner)},
                         at::kFloat);
}

void compareSketches(const ActivationStats& a, const ActivationStats& b) {
    for (std::uint32_t key = 0; key < 65536; ++key)
        if (a.binCount(std::uint16_t(key)) != b.binCount(std::uint16_t(key)))
            QFAIL(qPrintable(QString("sketch bin %1 differs: %2 vs %3")
                                 .arg(key, 4, 16, QChar('0'))
                                 .arg(a.binCount(std::uint16_t(key)))
                                 .arg(b.binCount(std::uint16_t(key)))));
}

}  // namespace

class TestActivationStats : public QObject {
    Q_OBJECT

private slots:
    void quantilesMatchSortedReference_data();
    void quantilesMatchSortedReference();
    void rankConventionOnSmallData();
    void momentsMatchExactAndLibTorch_data();
    void momentsMatchExactAndLibTorch();
    void histogramFollowsData();
    void perChannelMaxFollowsLayout_data();
    void perChannelMaxFollowsLayout();
    void mergeEqualsAddingEverything();
    void nonfiniteValuesAreCountedAndExcluded();
    void channelCountMismatchThrows();
    void memoryStaysBounded();
    void jsonRoundTrip();
    void emptyAccumulatorIsAllZeros();
};

void TestActivationStats::quantilesMatchSortedReference_data() {
    QTest::addColumn<QString>("kind");
    for (const char* kind : {"gaussian", "laplace", "relu", "student_t", "outlier_channels"})
        QTest::newRow(kind) << QString(kind);
}

void TestActivationStats::quantilesMatchSortedReference() {
    QFETCH(QString, kind);
    const Block b = makeBlock(kind.toStdString());
    const ActivationStats stats = statsOf(b);
    const StatsSummary s = stats.summary();

    std::vector<double> y(b.data.begin(), b.data.end()), a(y.size());
    std::transform(y.begin(), y.end(), a.begin(), [](double v) { return std::fabs(v); });
    std::sort(y.begin(), y.end());
    std::sort(a.begin(), a.end());

    // The brief's 1% is the requirement; the sketch's own bound is 0.4%.
    VERIFY_CLOSE(s.median_abs, exactQuantile(a, 0.5), kSketchError);
    VERIFY_CLOSE(s.p99_abs, exactQuantile(a, 0.99), kSketchError);
    VERIFY_CLOSE(s.p99_9_abs, exactQuantile(a, 0.999), kSketchError);
    VERIFY_CLOSE(s.p99_99_abs, exactQuantile(a, 0.9999), kSketchError);
    VERIFY_CLOSE(s.p0_1, exactQuantile(y, 0.001), kSketchError);
    VERIFY_CLOSE(s.p99_9, exactQuantile(y, 0.999), kSketchError);
    for (double q : {0.0, 0.001, 0.01, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.99, 0.99999, 1.0}) {
        VERIFY_CLOSE(stats.quantileAbs(q), exactQuantile(a, q), kSketchError);
        VERIFY_CLOSE(stats.quantileSigned(q), exactQuantile(y, q), kSketchError);
    }
    // The extremes are exact: the sketch's estimates are clamped to the exact range.
    QCOMPARE(stats.quantileSigned(0.0), y.front());
    QCOMPARE(stats.quantileSigned(1.0), y.back());
    QCOMPARE(stats.quantileAbs(1.0), a.back());
    if (kind == "relu") {
        QCOMPARE(s.median_abs, 0.0);  // 60% exact zeros
        QCOMPARE(s.p0_1, 0.0);
        QCOMPARE(stats.binCount(0x0000), std::uint64_t(std::count(y.begin(), y.end(), 0.0)));
    }
}

void TestActivationStats::rankConventionOnSmallData() {
    // ±1 .. ±100: neighbouring order statistics differ by far more than the sketch's 0.4%, so only
    // index floor(q * (n - 1)) passes.
    std::vector<float> data;
    for (int i = 1; i <= 100; ++i) data.push_back(float(i % 2 ? i : -i));
    ActivationStats stats;
    stats.add(data.data(), 100, 1, 1);
    std::vector<double> y(data.begin(), data.end()), a(y.size());
    std::transform(y.begin(), y.end(), a.begin(), [](double v) { return std::fabs(v); });
    std::sort(y.begin(), y.end());
    std::sort(a.begin(), a.end());
    for (int k = 0; k <= 400; ++k) {
        const double q = k / 400.0;
        VERIFY_CLOSE(stats.quantileSigned(q), exactQuantile(y, q), kSketchError);
        VERIFY_CLOSE(stats.quantileAbs(q), exactQuantile(a, q), kSketchError);
    }

    // Zero and denormals of either sign read as exactly 0.
    const std::vector<float> tiny = {-1e-40f, -0.0f, 0.0f, 1e-40f, 5.0f, -3.0f};
    ActivationStats t;
    t.add(tiny.data(), 1, 1, tiny.size());
    QCOMPARE(t.binCount(0x0000), std::uint64_t(4));
    QCOMPARE(t.binCount(0x8000), std::uint64_t(4));
    QCOMPARE(t.quantileSigned(0.2), 0.0);  // rank 1 of -3, -1e-40, -0, 0, 1e-40, 5
    QCOMPARE(t.quantileSigned(0.6), 0.0);  // rank 3
    QCOMPARE(t.quantileAbs(0.6), 0.0);     // rank 3 of |y|
    QCOMPARE(t.quantileSigned(0.0), -3.0);
    QCOMPARE(t.quantileAbs(1.0), 5.0);
}

void TestActivationStats::momentsMatchExactAndLibTorch_data() {
    QTest::addColumn<QString>("kind");
    for (const char* kind : {"gaussian", "laplace", "relu", "student_t", "outlier_channels", "shifted"})
        QTest::newRow(kind) << QString(kind);
}

void TestActivationStats::momentsMatchExactAndLibTorch() {
    QFETCH(QString, kind);
    Block b = makeBlock(kind.toStdString());
    const StatsSummary s = statsOf(b).summary();
    const ExactMoments exact = exactMoments(b.data);

    QCOMPARE(s.count, std::uint64_t(b.data.size()));
    QCOMPARE(s.nonfinite, std::uint64_t(0));
    VERIFY_CLOSE(s.mean_abs, exact.meanAbs, 1e-12);
    VERIFY_CLOSE(s.var_abs, exact.varAbs, 1e-9);
    VERIFY_CLOSE(s.std_abs, std::sqrt(exact.varAbs), 1e-9);
    VERIFY_CLOSE(s.kurtosis, exact.kurtosis, 1e-9);
    QCOMPARE(s.min, double(*std::min_element(b.data.begin(), b.data.end())));
    QCOMPARE(s.max, double(*std::max_element(b.data.begin(), b.data.end())));
    QCOMPARE(s.abs_max, std::max(-s.min, s.max));
    if (kind == "gaussian" || kind == "shifted") QVERIFY2(std::fabs(s.kurtosis - 3.0) < 0.05, qPrintable(QString::number(s.kurtosis)));
    if (kind == "laplace") QVERIFY2(std::fabs(s.kurtosis - 6.0) < 0.2, qPrintable(QString::number(s.kurtosis)));

    // LibTorch reduces in float: looser tolerances, exact extremes.
    const at::Tensor t = tensorOf(b);
    VERIFY_CLOSE(s.mean_abs, t.abs().mean().item<double>(), 1e-5);
    VERIFY_CLOSE(s.std_abs, t.abs().std(/*unbiased=*/false).item<double>(), 1e-4);
    QCOMPARE(float(s.max), t.max().item<float>());
    QCOMPARE(float(s.min), t.min().item<float>());
    QCOMPARE(float(s.abs_max), t.abs().max().item<float>());
}

void TestActivationStats::histogramFollowsData() {
    const Block b = makeBlock("gaussian");
    const int bins = 64;
    const StatsSummary s = statsOf(b).summary(bins);
    QCOMPARE(s.histogram.lo, s.min);
    QCOMPARE(s.histogram.hi, s.max);
    QCOMPARE(int(s.histogram.counts.size()), bins);
    std::uint64_t total = 0;
    for (auto c : s.histogram.counts) total += c;
    QCOMPARE(total, s.count);

    // Against the exact histogram: the sketch spreads each bin's count over its 0.8%-wide range, so
    // only elements near display-bin edges can land one bin off.
    std::vector<double> exact(bins, 0.0);
    const double width = (s.max - s.min) / bins;
    for (float v : b.data) exact[std::min(bins - 1, int((v - s.min) / width))] += 1;
    double moved = 0;
    for (int j = 0; j < bins; ++j) moved += std::fabs(double(s.histogram.counts[j]) - exact[j]);
    QVERIFY2(moved / double(s.count) < 0.002, qPrintable(QString::number(moved / double(s.count))));

    // Constant data: one value, all in the first bin.
    const std::vector<float> constant(1000, 2.5f);
    ActivationStats c;
    c.add(constant.data(), 1000, 1, 1);
    const StatsSummary cs = c.summary(8);
    QCOMPARE(cs.histogram.lo, 2.5);
    QCOMPARE(cs.histogram.hi, 2.5);
    QCOMPARE(cs.histogram.counts, (std::vector<std::uint64_t>{1000, 0, 0, 0, 0, 0, 0, 0}));
    QCOMPARE(cs.median_abs, 2.5);
    QCOMPARE(cs.var_abs, 0.0);
    QCOMPARE(cs.kurtosis, 0.0);  // undefined for zero variance: reported as 0
    QVERIFY_THROWS_EXCEPTION(qs::InputError, c.summary(0));
}

void TestActivationStats::perChannelMaxFollowsLayout_data() {
    QTest::addColumn<int>("outer");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("inner");
    // Sizes that do not divide the internal block length, so rows and channels straddle blocks.
    QTest::newRow("linear [37, 768]") << 37 << 768 << 1;
    QTest::newRow("linear [500, 3]") << 500 << 3 << 1;
    QTest::newRow("linear [9000, 1]") << 9000 << 1 << 1;
    QTest::newRow("conv1d [3, 64, 1001]") << 3 << 64 << 1001;
    QTest::newRow("conv1d [1, 512, 12799]") << 1 << 512 << 12799;
    QTest::newRow("conv2d [2, 16, 31x17]") << 2 << 16 << 31 * 17;
    QTest::newRow("conv2d [50, 10, 3x1]") << 50 << 10 << 3;
}

void TestActivationStats::perChannelMaxFollowsLayout() {
    QFETCH(int, outer);
    QFETCH(int, channels);
    QFETCH(int, inner);
    std::mt19937_64 rng(11);
    std::normal_distribution<float> normal;
    Block b;
    b.outer = outer;
    b.channels = channels;
    b.inner = inner;
    b.data.resize(std::size_t(outer) * channels * inner);
    // A different scale per channel, so a channel mix-up shows.
    for (std::size_t i = 0; i < b.data.size(); ++i)
        b.data[i] = normal(rng) * float(1 + (i / inner) % channels);

    ActivationStats stats;
    stats.add(b.data.data(), b.outer, b.channels, b.inner);
    stats.add(b.data.data(), b.outer, b.channels, b.inner);  // a second batch changes nothing
    const StatsSummary s = stats.summary();
    QCOMPARE(s.count, 2 * std::uint64_t(b.data.size()));
    QCOMPARE(s.channel_abs_max, directChannelAbsMax(b));

    const at::Tensor amax = tensorOf(b).abs().amax({0, 2}).contiguous();
    QCOMPARE(s.channel_abs_max, std::vector<float>(amax.data_ptr<float>(), amax.data_ptr<float>() + channels));
    QCOMPARE(double(*std::max_element(s.channel_abs_max.begin(), s.channel_abs_max.end())), s.abs_max);
}

void TestActivationStats::mergeEqualsAddingEverything() {
    Block a = makeBlock("gaussian", 300000, 1);
    a.outer = 6;
    a.channels = 64;
    a.inner = 780;  // a conv layout over the same 299520 values
    Block b = makeBlock("laplace", 500000, 2);
    b.channels = 64;
    b.outer = 1;
    b.inner = b.data.size() / 64;
    b.data.resize(b.channels * b.inner);
    for (float& v : b.data) v = 3.0f * v + 0.5f;  // a different mean and scale

    ActivationStats together;
    together.add(a.data.data(), a.outer, a.channels, a.inner);
    together.add(b.data.data(), b.outer, b.channels, b.inner);
    ActivationStats merged = statsOf(a);
    merged.merge(statsOf(b));

    compareSketches(merged, together);
    const StatsSummary m = merged.summary(), t = together.summary();
    QCOMPARE(m.count, t.count);
    QCOMPARE(m.nonfinite, t.nonfinite);
    QCOMPARE(m.min, t.min);
    QCOMPARE(m.max, t.max);
    QCOMPARE(m.abs_max, t.abs_max);
    QCOMPARE(m.channel_abs_max, t.channel_abs_max);
    VERIFY_CLOSE(m.mean_abs, t.mean_abs, 1e-12);
    VERIFY_CLOSE(m.var_abs, t.var_abs, 1e-12);
    VERIFY_CLOSE(m.std_abs, t.std_abs, 1e-12);
    VERIFY_CLOSE(m.kurtosis, t.kurtosis, 1e-12);
    QCOMPARE(m.median_abs, t.median_abs);
    QCOMPARE(m.p99_99_abs, t.p99_99_abs);
    QCOMPARE(m.p0_1, t.p0_1);
    QCOMPARE(m.histogram.counts, t.histogram.counts);

    // And both against exact values over the union.
    std::vector<float> all = a.data;
    all.insert(all.end(), b.data.begin(), b.data.end());
    const ExactMoments exact = exactMoments(all);
    VERIFY_CLOSE(m.mean_abs, exact.meanAbs, 1e-12);
    VERIFY_CLOSE(m.var_abs, exact.varAbs, 1e-9);
    VERIFY_CLOSE(m.kurtosis, exact.kurtosis, 1e-9);

    // Empty accumulators are neutral on either side.
    ActivationStats empty;
    empty.merge(merged);
    compareSketches(empty, merged);
    QCOMPARE(toJson(empty.summary()), toJson(m));
    merged.merge(ActivationStats());
    QCOMPARE(toJson(merged.summary()), toJson(m));
}

void TestActivationStats::nonfiniteValuesAreCountedAndExcluded() {
    Block b = makeBlock("gaussian", 200000, 3);
    b.outer = 2;
    b.channels = 32;
    b.inner = 3000;
    b.data.resize(b.outer * b.channels * b.inner);
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    // The very first element (which would seed the moments' shift), a whole block's worth of NaN,
    // and scattered ±Inf, one of them in a channel that would otherwise get a huge max.
    std::vector<std::size_t> bad = {0, 17, 4095, 4096, 99999, 150000, b.data.size() - 1};
    for (std::size_t i = 20000; i < 30000; ++i) bad.push_back(i);
    for (std::size_t k = 0; k < bad.size(); ++k) b.data[bad[k]] = k % 3 == 0 ? nan : (k % 3 == 1 ? inf : -inf);

    std::vector<float> finite;
    std::copy_if(b.data.begin(), b.data.end(), std::back_inserter(finite), [](float v) { return std::isfinite(v); });
    ActivationStats reference;
    reference.add(finite.data(), 1, 1, finite.size());

    const ActivationStats stats = statsOf(b);
    const StatsSummary s = stats.summary(), r = reference.summary();
    QCOMPARE(s.nonfinite, std::uint64_t(bad.size()));
    QCOMPARE(s.count, std::uint64_t(finite.size()));
    compareSketches(stats, reference);
    QCOMPARE(s.min, r.min);
    QCOMPARE(s.max, r.max);
    QCOMPARE(s.median_abs, r.median_abs);
    VERIFY_CLOSE(s.mean_abs, r.mean_abs, 1e-12);
    VERIFY_CLOSE(s.var_abs, r.var_abs, 1e-12);
    VERIFY_CLOSE(s.kurtosis, r.kurtosis, 1e-12);
    QCOMPARE(s.channel_abs_max, directChannelAbsMax(b));
    QCOMPARE(s.histogram.counts, r.histogram.counts);

    // Nothing finite at all: counted, and otherwise an empty summary.
    const std::vector<float> allNan(5000, nan);
    ActivationStats none;
    none.add(allNan.data(), 1, 5, 1000);
    const StatsSummary n = none.summary();
    QCOMPARE(n.count, std::uint64_t(0));
    QCOMPARE(n.nonfinite, std::uint64_t(5000));
    QCOMPARE(n.median_abs, 0.0);
    QCOMPARE(n.max, 0.0);
    QCOMPARE(n.channel_abs_max, std::vector<float>(5, 0.0f));
}

void TestActivationStats::channelCountMismatchThrows() {
    const std::vector<float> data(768 * 4, 1.0f);
    ActivationStats stats;
    stats.add(data.data(), 4, 768, 1);
    QVERIFY_THROWS_EXCEPTION(qs::InputError, stats.add(data.data(), 6, 512, 1));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, stats.add(data.data(), 1, 0, 8));
    ActivationStats other;
    other.add(data.data(), 1, 3, 1024);
    QVERIFY_THROWS_EXCEPTION(qs::InputError, stats.merge(other));
    QCOMPARE(stats.count(), std::uint64_t(768 * 4));  // nothing was added by the failed calls
    stats.add(data.data(), 2, 768, 2);                // the same channel count still works
    QCOMPARE(stats.count(), std::uint64_t(768 * 8));
}

void TestActivationStats::memoryStaysBounded() {
    constexpr std::size_t kBound = 512 * 1024;
    // 50M values over 10 decades of scale.
    const Block b = makeBlock("student_t", kSamples, 5);
    std::vector<float> scaled(b.data.size());
    ActivationStats stats;
    for (int k = 0; k < 50; ++k) {
        const float scale = std::pow(10.0f, float(k % 10) - 5.0f);
        std::transform(b.data.begin(), b.data.end(), scaled.begin(), [&](float v) { return v * scale; });
        stats.add(scaled.data(), b.outer, b.channels, b.inner);
    }
    QCOMPARE(stats.count(), 50 * std::uint64_t(b.data.size()));
    const std::size_t perChannel = b.channels * sizeof(float);
    QVERIFY2(stats.memoryBytes() < kBound + perChannel, qPrintable(QString::number(stats.memoryBytes())));
    qInfo("50M values over 10 decades: %zu bytes", stats.memoryBytes());

    // The worst case: one value in every finite bin of both signs allocates every block.
    std::vector<float> everyBin;
    for (std::uint32_t key = 0; key < 65536; ++key) {
        if (((key >> 7) & 0xFF) == 0xFF) continue;  // Inf and NaN
        const std::uint32_t bits = key << 16;
        float v;
        std::memcpy(&v, &bits, sizeof v);
        everyBin.push_back(v);
    }
    ActivationStats worst;
    worst.add(everyBin.data(), 1, 1, everyBin.size());
    QVERIFY2(worst.memoryBytes() < kBound + sizeof(float), qPrintable(QString::number(worst.memoryBytes())));
    qInfo("every bin touched: %zu bytes", worst.memoryBytes());
    QCOMPARE(worst.binCount(0x3f80), std::uint64_t(1));                 // 1.0
    QCOMPARE(worst.binCount(0xc2f6), std::uint64_t(1));                 // -123.0
    QCOMPARE(worst.binCount(0x0000), std::uint64_t(2 * 128));           // ±zero and denormals
    QCOMPARE(worst.binCount(0x7f80), std::uint64_t(0));                 // +Inf: never counted
}

void TestActivationStats::jsonRoundTrip() {
    Block b = makeBlock("outlier_channels", 100000, 9);
    b.data[5] = std::numeric_limits<float>::quiet_NaN();
    const StatsSummary s = statsOf(b).summary(32);
    const nlohmann::json j = toJson(s);

    std::vector<std::string> keys;
    for (const auto& item : j.items()) keys.push_back(item.key());
    std::vector<std::string> expectedKeys = {
        "count", "nonfinite", "mean_abs", "std_abs", "var_abs", "min", "max", "abs_max", "median_abs", "p99_abs",
        "p99_9_abs", "p99_99_abs", "p0_1", "p99_9", "kurtosis", "histogram", "channel_abs_max"};
    std::sort(keys.begin(), keys.end());
    std::sort(expectedKeys.begin(), expectedKeys.end());
    QCOMPARE(keys, expectedKeys);
    QCOMPARE(j.at("histogram").size(), std::size_t(3));

    const StatsSummary r = qs::statsSummaryFromJson(nlohmann::json::parse(j.dump()));
    QCOMPARE(r.count, s.count);
    QCOMPARE(r.nonfinite, std::uint64_t(1));
    QCOMPARE(r.nonfinite, s.nonfinite);
    QCOMPARE(r.mean_abs, s.mean_abs);
    QCOMPARE(r.std_abs, s.std_abs);
    QCOMPARE(r.var_abs, s.var_abs);
    QCOMPARE(r.min, s.min);
    QCOMPARE(r.max, s.max);
    QCOMPARE(r.abs_max, s.abs_max);
    QCOMPARE(r.median_abs, s.median_abs);
    QCOMPARE(r.p99_abs, s.p99_abs);
    QCOMPARE(r.p99_9_abs, s.p99_9_abs);
    QCOMPARE(r.p99_99_abs, s.p99_99_abs);
    QCOMPARE(r.p0_1, s.p0_1);
    QCOMPARE(r.p99_9, s.p99_9);
    QCOMPARE(r.kurtosis, s.kurtosis);
    QCOMPARE(r.histogram.lo, s.histogram.lo);
    QCOMPARE(r.histogram.hi, s.histogram.hi);
    QCOMPARE(r.histogram.counts, s.histogram.counts);
    QCOMPARE(r.channel_abs_max, s.channel_abs_max);
    QCOMPARE(toJson(r), j);

    for (const std::string& key : expectedKeys) {
        nlohmann::json missing = j;
        missing.erase(key);
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::statsSummaryFromJson(missing));
    }
    nlohmann::json noCounts = j;
    noCounts["histogram"].erase("counts");
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::statsSummaryFromJson(noCounts));
    nlohmann::json wrongType = j;
    wrongType["median_abs"] = "large";
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::statsSummaryFromJson(wrongType));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::statsSummaryFromJson(nlohmann::json::array()));
}

void TestActivationStats::emptyAccumulatorIsAllZeros() {
    const ActivationStats stats;
    const StatsSummary s = stats.summary();
    QCOMPARE(s.count, std::uint64_t(0));
    QCOMPARE(s.nonfinite, std::uint64_t(0));
    for (double v : {s.mean_abs, s.std_abs, s.var_abs, s.min, s.max, s.abs_max, s.median_abs, s.p99_abs, s.p99_9_abs,
                     s.p99_99_abs, s.p0_1, s.p99_9, s.kurtosis, s.histogram.lo, s.histogram.hi})
        QCOMPARE(v, 0.0);
    QCOMPARE(s.histogram.counts, std::vector<std::uint64_t>(128, 0));
    QVERIFY(s.channel_abs_max.empty());
    QCOMPARE(stats.quantileAbs(0.5), 0.0);
    QCOMPARE(stats.quantileSigned(0.5), 0.0);
    QVERIFY(stats.memoryBytes() < 4096);
    QCOMPARE(toJson(qs::statsSummaryFromJson(toJson(s))), toJson(s));
}

QTEST_APPLESS_MAIN(TestActivationStats)
#include "test_activation_stats.moc"
