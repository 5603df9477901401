// labels: unit
// links: qs_personalization
// The arithmetic of the personalization matrix: the paired bootstrap on synthetic cases whose
// difference is known (a constant shift gives a zero-width interval at the shift; a noisy shift
// matches the normal-theory interval and covers the true value ~95% of the time), its portable
// random stream, measures as ratios of sums, the uniform scheme's width and size, the gains with
// best-other selection and verdicts, and the files.
#include <QtTest>

#include <cmath>
#include <random>

#include "core/base/errors.h"
#include "core/personalization/bootstrap.h"
#include "core/personalization/personalization.h"
#include "core/personalization/personalization_io.h"

using namespace qs;

namespace {

double mb(std::int64_t bits) { return double(bits) / (8.0 * 1024 * 1024); }

ClipMeasures werClip(double errors, double words) {
    ClipMeasures m;
    m.clips = m.transcriptClips = m.referenceClips = 1;
    m.wordErrors = errors, m.words = words;
    m.charErrors = errors * 3, m.chars = words * 5;
    m.floatWordErrors = errors / 2, m.floatWords = words;
    m.floatCharErrors = errors, m.floatChars = words * 5;
    m.signal = 100, m.noise = 1 + errors;
    m.klSum = errors, m.rows = 10;
    return m;
}

double meanOf(const std::vector<double>& d, const std::vector<std::size_t>& draw) {
    double s = 0;
    for (std::size_t i : draw) s += d[i];
    return s / double(draw.size());
}

}  // namespace

class TestPersonalizationStats : public QObject {
    Q_OBJECT

private slots:
    void splitMixIsTheReferenceStream();
    void quantileType7();
    void constantShiftGivesExactInterval();
    void noisyShiftMatchesNormalTheory();
    void coverage();
    void reproducible();
    void measuresAreRatiosOfSums();
    void uniformScheme();
    void gainsAndVerdicts();
    void filesRoundTrip();
};

void TestPersonalizationStats::splitMixIsTheReferenceStream() {
    // Vigna's splitmix64.c started at 0.
    SplitMix64 rng(0);
    QCOMPARE(rng.next(), std::uint64_t(0xe220a8397b1dcdafull));
    QCOMPARE(rng.next(), std::uint64_t(0x6e789e6aa1b965f4ull));
    QCOMPARE(rng.next(), std::uint64_t(0x06c45d188009454full));
    // below(n) is uniform over [0, n): every value of a small range comes up about equally.
    SplitMix64 u(5);
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 70000; ++i) ++counts[u.below(7)];
    for (int c : counts) QVERIFY2(std::abs(c - 10000) < 400, qPrintable(QString::number(c)));
}

void TestPersonalizationStats::quantileType7() {
    const std::vector<double> v = {1, 2, 3, 4};
    QCOMPARE(sortedQuantile(v, 0.5), 2.5);
    QCOMPARE(sortedQuantile(v, 0.25), 1.75);
    QCOMPARE(sortedQuantile(v, 0.0), 1.0);
    QCOMPARE(sortedQuantile(v, 1.0), 4.0);
}

void TestPersonalizationStats::constantShiftGivesExactInterval() {
    // Every clip: 10 reference words; own makes one error less than the other scheme. WER differs
    // by exactly 1/10 on any draw of clips, so the interval is [0.1, 0.1].
    std::vector<ClipMeasures> own, other;
    for (int i = 0; i < 30; ++i) {
        other.push_back(werClip(1 + i % 4, 10));
        own.push_back(werClip(i % 4, 10));
    }
    const PairedInterval g = pairedGain(Measure::Wer, own, other);
    QCOMPARE(g.difference, 0.1);
    QVERIFY(std::abs(g.low - 0.1) < 1e-12 && std::abs(g.high - 0.1) < 1e-12);
    QCOMPARE(g.verdict(), std::string("better"));
    QCOMPARE(g.resamples, 2000);
    QCOMPARE(g.clips, 30);
    // The other way round it is worse; against itself no measurable difference.
    QCOMPARE(pairedGain(Measure::Wer, other, own).verdict(), std::string("worse"));
    const PairedInterval same = pairedGain(Measure::Wer, own, own);
    QCOMPARE(same.low, 0.0);
    QCOMPARE(same.high, 0.0);
    QCOMPARE(same.verdict(), std::string("no measurable difference"));
}

void TestPersonalizationStats::noisyShiftMatchesNormalTheory() {
    // Differences with mean 0.3 and unit spread over 400 clips: the percentile interval of the
    // mean is close to mean ± 1.96 s / sqrt(n).
    std::mt19937 gen(3);
    std::normal_distribution<double> noise(0.3, 1.0);
    std::vector<double> d(400);
    for (double& x : d) x = noise(gen);
    double mean = 0, var = 0;
    for (double x : d) mean += x / double(d.size());
    for (double x : d) var += (x - mean) * (x - mean) / double(d.size() - 1);
    const double half = 1.959964 * std::sqrt(var / double(d.size()));
    BootstrapOptions o;
    o.resamples = 4000;
    const PairedInterval g = bootstrapInterval(d.size(), [&](const auto& draw) { return meanOf(d, draw); }, o);
    QCOMPARE(g.difference, mean);
    QVERIFY2(std::abs(g.low - (mean - half)) < 0.1 * half, qPrintable(QString("%1 vs %2").arg(g.low).arg(mean - half)));
    QVERIFY2(std::abs(g.high - (mean + half)) < 0.1 * half, qPrintable(QString("%1 vs %2").arg(g.high).arg(mean + half)));
    QCOMPARE(g.verdict(), std::string("better"));
}

void TestPersonalizationStats::coverage() {
    // 300 synthetic experiments with a true difference of 0.2: the 95% interval holds it in about
    // 95% of them (binomial spread over 300 runs: 91%..98%).
    std::mt19937 gen(17);
    std::normal_distribution<double> noise(0.2, 1.0);
    int covered = 0;
    BootstrapOptions o;
    o.resamples = 1000;
    for (int run = 0; run < 300; ++run) {
        std::vector<double> d(60);
        for (double& x : d) x = noise(gen);
        o.seed = std::uint64_t(run);
        const PairedInterval g = bootstrapInterval(d.size(), [&](const auto& draw) { return meanOf(d, draw); }, o);
        covered += g.low <= 0.2 && 0.2 <= g.high;
    }
    QVERIFY2(covered >= 273 && covered <= 294, qPrintable(QString::number(covered)));
}

void TestPersonalizationStats::reproducible() {
    std::vector<ClipMeasures> a, b;
    for (int i = 0; i < 25; ++i) a.push_back(werClip((i * 7) % 5, 8)), b.push_back(werClip((i * 3) % 4, 8));
    const PairedInterval x = pairedGain(Measure::Wer, a, b), y = pairedGain(Measure::Wer, a, b);
    QCOMPARE(x.low, y.low);
    QCOMPARE(x.high, y.high);
    // Another seed draws other resamples: on continuous data the ends move, a little.
    std::vector<double> d(40);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = std::sin(double(i) * 1.7) + 0.1;
    BootstrapOptions other;
    other.seed = 1;
    const auto mean = [&](const auto& draw) { return meanOf(d, draw); };
    const PairedInterval p = bootstrapInterval(d.size(), mean), q = bootstrapInterval(d.size(), mean, other);
    QVERIFY(p.low != q.low && p.high != q.high);
    QVERIFY(std::abs(p.low - q.low) < 0.05 && std::abs(p.high - q.high) < 0.05);
    QVERIFY_THROWS_EXCEPTION(InputError, bootstrapInterval(0, [](const auto&) { return 0.0; }));
}

void TestPersonalizationStats::measuresAreRatiosOfSums() {
    ClipMeasures t = werClip(2, 10);
    t += werClip(0, 30);
    QCOMPARE(measureValue(Measure::Wer, t), 2.0 / 40.0);  // not the mean of 0.2 and 0
    QCOMPARE(measureValue(Measure::Cer, t), 6.0 / 200.0);
    QCOMPARE(measureValue(Measure::WerVsFloat, t), 1.0 / 40.0);
    QCOMPARE(measureValue(Measure::SqnrDb, t), 10.0 * std::log10(200.0 / 4.0));
    QCOMPARE(measureValue(Measure::Kl, t), 2.0 / 20.0);
    ClipMeasures noReference;
    noReference.clips = 1;
    noReference.signal = 1, noReference.noise = 0;
    QVERIFY(std::isnan(measureValue(Measure::Wer, noReference)));
    QVERIFY(std::isnan(measureValue(Measure::WerVsFloat, noReference)));
    QCOMPARE(measureValue(Measure::SqnrDb, noReference), 300.0);
    QCOMPARE(gainOf(Measure::Wer, 0.1, 0.3), 0.3 - 0.1);
    QCOMPARE(gainOf(Measure::SqnrDb, 20.0, 18.0), 2.0);
}

void TestPersonalizationStats::uniformScheme() {
    // Layers of 100, 200, 300 weights plus 50 other parameters. Every layer at b bits:
    // 50 × 32 + 600 b bits: 3 bits 3400, 4 bits 4000.
    const SizeModel size(650, {100, 200, 300});
    QCOMPARE(size.sizeMb(uniformBits(3, 3)), mb(3400));
    QCOMPARE(targetMbForAverageBits(size, 3.5), mb(3700));
    QCOMPARE(closestUniformBits(size, mb(3600), 2), 3);
    QCOMPARE(closestUniformBits(size, mb(3800), 2), 4);
    QCOMPARE(closestUniformBits(size, mb(3700), 2), 3);    // a tie keeps the narrower, within budget
    QCOMPARE(closestUniformBits(size, mb(100), 2), 2);     // below the floor: the floor
    QCOMPARE(closestUniformBits(size, mb(30000), 2), 32);  // above float: float
    // Excluded layers stay at 32 and count as such.
    QCOMPARE(uniformBits(3, 4, {true, false, true}), (std::vector<int>{4, 32, 4}));
    QCOMPARE(targetMbForAverageBits(size, 4, {true, false, true}), mb(20800 - 400 * 28));
}

void TestPersonalizationStats::gainsAndVerdicts() {
    // Two profiles with 3 test clips each; schemes own(A), own(B), all, uniform. Per clip, WER
    // errors of 10 words:                 A's clips    B's clips
    //   own(A)                            0 0 0        3 3 3
    //   own(B)                            2 2 2        1 1 1
    //   all  (the same variant as own(B) would be identical; here its own)  1 2 1   1 1 1
    //   uniform                           2 2 2        2 2 2
    PersonalizationResult r;
    r.profiles = {{"A", {"a"}}, {"B", {"b"}}};
    r.transcripts = r.references = true;
    for (int i = 0; i < 6; ++i) r.testClips.push_back({"x" + std::to_string(i), "", i < 3 ? "a" : "b"});
    r.columnClips = {{0, 1, 2}, {3, 4, 5}, {0, 1, 2, 3, 4, 5}};
    auto variant = [](std::vector<double> errors) {
        std::vector<ClipMeasures> v;
        for (double e : errors) v.push_back(werClip(e, 10));
        return v;
    };
    r.variants = {variant({0, 0, 0, 3, 3, 3}), variant({2, 2, 2, 1, 1, 1}), variant({1, 2, 1, 1, 1, 1}),
                  variant({2, 2, 2, 2, 2, 2})};
    const char* kinds[] = {"own", "own", "all", "uniform"};
    const char* owners[] = {"A", "B", "all", ""};
    for (int s = 0; s < 4; ++s) {
        Scheme sc;
        sc.kind = kinds[s];
        sc.profile = owners[s];
        sc.variant = s;
        sc.uniformBits = 4;
        r.schemes.push_back(sc);
    }
    r.matrices.push_back({});
    r.matrices[0].rows = {0, 1, 2, 3};
    computeGains(r);
    auto find = [&](const std::string& profile, const std::string& versus, Measure m) -> const SchemeGain* {
        for (const SchemeGain& g : r.matrices[0].gains)
            if (g.profile == profile && g.versus == versus && g.measure == m) return &g;
        return nullptr;
    };
    const SchemeGain* aAll = find("A", "all", Measure::Wer);
    QVERIFY(aAll);
    QCOMPARE(aAll->own, 0.0);
    QCOMPARE(aAll->other, 4.0 / 30.0);
    QCOMPARE(aAll->gain.difference, 4.0 / 30.0);
    QCOMPARE(aAll->gain.verdict(), std::string("better"));  // never worse on any clip
    const SchemeGain* aBest = find("A", "best_other", Measure::Wer);
    QCOMPARE(aBest->versusScheme, 1);
    QCOMPARE(aBest->gain.difference, 0.2);
    // B: own 10%, best other is A's scheme (30% on B's clips): own better by 20 points; against
    // all (10%): the same on every clip, no measurable difference.
    const SchemeGain* bAll = find("B", "all", Measure::Wer);
    QCOMPARE(bAll->gain.difference, 0.0);
    QCOMPARE(bAll->gain.verdict(), std::string("no measurable difference"));
    QVERIFY(!bAll->identical);
    QCOMPARE(find("B", "uniform", Measure::Wer)->gain.difference, 0.1);
    // Every applicable measure is there: 6 measures × 3 comparisons × 2 profiles.
    QCOMPARE(r.matrices[0].gains.size(), std::size_t(36));
    QVERIFY(gainText(*aAll).rfind("own scheme better: +13.33 points wer [", 0) == 0);
    QCOMPARE(QString::fromStdString(gainText(*bAll)), QStringLiteral("no measurable difference: +0.00 points wer [+0.00, +0.00]"));
    // Identical variants say so.
    r.schemes[2].variant = 1;
    computeGains(r);
    QVERIFY(find("B", "all", Measure::Wer)->identical);
    QVERIFY(gainText(*find("B", "all", Measure::Wer)).rfind("identical schemes", 0) == 0);
}

void TestPersonalizationStats::filesRoundTrip() {
    PersonalizationResult r;
    r.modelPath = "m.pt";
    r.profiles = {{"A", {"a"}, 1, 1}};
    r.transcripts = true;
    r.primary = Measure::WerVsFloat;
    r.options.targetsMb = {1.5};
    r.testClips = {{"a/x.wav", "x", "a", 1.0, "", "hello"}};
    r.columnClips = {{0}, {0}};
    r.variants = {{werClip(1, 4)}};
    Scheme s;
    s.kind = "own";
    s.profile = "A";
    s.variant = 0;
    s.bits = {3, 4};
    r.schemes = {s};
    r.matrices.push_back({});
    r.matrices[0].targetMb = 1.5;
    r.matrices[0].rows = {0};
    r.split.method = "fraction";
    r.split.files = {{"a/x.wav", "a", ClipPart::Test}, {"a/y.wav", "a", ClipPart::Tune}};
    r.calibrationSets = {{"A", {"a/y.wav"}}};
    const PersonalizationResult back = personalizationFromJson(toJson(r));
    QCOMPARE(back.schemes[0].bits, s.bits);
    QCOMPARE(measureValue(Measure::Wer, back.cell(0, 0)), 0.25);
    QCOMPARE(back.primary, Measure::WerVsFloat);
    QCOMPARE(QString::fromStdString(matrixCsv(r)).section('\n', 1, 1),
             QStringLiteral("1.5,0,1,own (A),own,A,A,1,0,0,0.25,0.15,0.125,0.05,16.98970004,0.1"));
    QCOMPARE(QString::fromStdString(clipsCsv(r)),
             QStringLiteral("path,speaker,profiles,part,purposes\na/x.wav,a,A,test,evaluation\n"
                            "a/y.wav,a,A,tune,analysis;calibration:A\n"));
    nlohmann::json broken = toJson(r);
    broken["variants"][0].clear();
    QVERIFY_THROWS_EXCEPTION(InputError, personalizationFromJson(broken));
}

QTEST_APPLESS_MAIN(TestPersonalizationStats)
#include "test_personalization_stats.moc"
