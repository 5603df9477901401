// labels: unit
// links: qs_scoring
// The scoring comparison's arithmetic: the random baseline keeps the rule's allocation but the extra
// bit's placement (same widths, same count at each, within the budget, reproducible from its seed);
// every rule's allocation and every draw stays strictly below the budget; each row's intervals are
// against the default on the same clips; the recommendation keeps the default when the intervals
// overlap and switches on a clear win, and never recommends a random draw.
#include <QtTest>

#include <algorithm>
#include <random>

#include "core/allocation/allocation.h"
#include "core/base/errors.h"
#include "core/scoring/scoring.h"
#include "core/scoring/scoring_io.h"

Q_DECLARE_METATYPE(std::vector<int>)

namespace {

// Twelve layers of very different sizes, so that where the extra bits go changes the size.
qs::SizeModel model() {
    return qs::SizeModel(20000, {100, 2000, 300, 4000, 50, 1200, 700, 3000, 90, 2500, 600, 1800});
}

std::vector<double> randomScores(std::size_t n, unsigned seed) {
    std::mt19937 g(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> s(n);
    for (double& x : s) x = u(g);
    return s;
}

// A run with two schemes on `n` clips: the default (variant 0) and a rule (variant 1), with the given
// word errors per clip out of 10 words.
qs::PersonalizationResult twoSchemes(const std::vector<int>& defaultErrors, const std::vector<int>& ruleErrors,
                                     int randomVariant = -1) {
    qs::PersonalizationResult r;
    const std::size_t n = defaultErrors.size();
    r.columnClips = {{}, {}};
    for (std::size_t i = 0; i < n; ++i) r.columnClips[0].push_back(i), r.columnClips[1].push_back(i);
    auto clips = [&](const std::vector<int>& errors) {
        std::vector<qs::ClipMeasures> v(n);
        for (std::size_t i = 0; i < n; ++i) {
            v[i].clips = v[i].transcriptClips = v[i].referenceClips = 1;
            v[i].wordErrors = errors[i], v[i].words = 10;
            v[i].floatWordErrors = errors[i], v[i].floatWords = 10;
            v[i].signal = 100, v[i].noise = 1 + errors[i];
            v[i].klSum = 0.01 * errors[i], v[i].rows = 5;
        }
        return v;
    };
    r.variants = {clips(defaultErrors), clips(ruleErrors)};
    qs::Scheme a, b;
    a.variant = 0, b.variant = 1;
    r.schemes = {a, b};
    if (randomVariant >= 0) {
        qs::Scheme c;
        c.variant = randomVariant;
        r.schemes.push_back(c);
    }
    return r;
}

qs::ScoringBudget budgetOf(const qs::PersonalizationResult& run, qs::ScoringRule rule, bool withRandom = false) {
    qs::ScoringBudget b;
    qs::RuleRow d, x;
    d.kind = "rule", d.rule = qs::defaultRule(), d.scheme = 0;
    x.kind = "rule", x.rule = rule, x.scheme = 1;
    b.rows = {d};
    if (withRandom) {
        qs::RuleRow r;
        r.kind = "random", r.rule = qs::defaultRule(), r.draw = 1, r.scheme = 2;
        b.rows.push_back(r);
    }
    b.rows.push_back(x);
    qs::BootstrapOptions o;
    o.resamples = 1000;
    qs::measureRows(run, b, o);
    return b;
}

}  // namespace

class TestScoring : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyRuleDefaultFirst();
    void randomBaselineMovesOnlyTheExtraBit_data();
    void randomBaselineMovesOnlyTheExtraBit();
    void everyAllocationWithinBudget();
    void randomBaselineErrors();
    void overlapKeepsDefault();
    void clearWinSwitches();
    void randomNeverRecommended();
    void csvHasOneLinePerMeasure();
    void jsonReadsBack();
};

void TestScoring::everyRuleDefaultFirst() {
    const std::vector<qs::ScoringRule> rules = qs::everyRule();
    QCOMPARE(rules.size(), 2 * qs::metricNames().size());  // 11 metrics × 2 orders
    QVERIFY(rules[0] == qs::defaultRule());
    QCOMPARE(rules[0].name(), std::string("median, descending"));
    const auto again = qs::withDefaultFirst({{qs::Metric::Kl, qs::Order::Ascending}, {qs::Metric::Kl, qs::Order::Ascending}});
    QCOMPARE(again.size(), std::size_t(2));
    QVERIFY(again[0] == qs::defaultRule());
    QCOMPARE(again[1].name(), std::string("kl, ascending"));
}

void TestScoring::randomBaselineMovesOnlyTheExtraBit_data() {
    QTest::addColumn<double>("bits");  // the budget as average bits
    QTest::addColumn<unsigned>("scoreSeed");
    for (double b : {2.3, 3.0, 3.6, 4.5, 6.2, 7.8})
        for (unsigned s : {1u, 2u}) QTest::addRow("%.1f bits, scores %u", b, s) << b << s;
}

void TestScoring::randomBaselineMovesOnlyTheExtraBit() {
    QFETCH(double, bits);
    QFETCH(unsigned, scoreSeed);
    const qs::SizeModel size = model();
    const double target = qs::targetMbForAverageBits(size, bits);
    const qs::BudgetCurve curve = qs::BudgetCurve::build(size, randomScores(size.layerCount(), scoreSeed), {});
    const std::vector<int> rule = curve.lookup(target);
    const int low = *std::min_element(rule.begin(), rule.end()), high = *std::max_element(rule.begin(), rule.end());
    QVERIFY(high - low <= 1);
    qs::SplitMix64 rng(99), again(99);
    int moved = 0;
    for (int draw = 0; draw < 20; ++draw) {
        const std::vector<int> r = qs::randomExtraBits(size, rule, target, rng);
        QCOMPARE(r, qs::randomExtraBits(size, rule, target, again));  // reproducible from the seed
        // The same widths, the same number of layers at each: only the placement differs.
        QCOMPARE(std::count(r.begin(), r.end(), high), std::count(rule.begin(), rule.end(), high));
        QCOMPARE(std::count(r.begin(), r.end(), low), std::count(rule.begin(), rule.end(), low));
        QVERIFY(size.sizeMb(r) < target);
        moved += r != rule;
    }
    // Twelve layers: twenty draws do not all land on the rule's placement (at 7.8 bits a single
    // small layer may be the only one whose extra bit fits, as in randomBaselineErrors).
    if (high != low && bits < 7) QVERIFY(moved > 0);
}

void TestScoring::everyAllocationWithinBudget() {
    // Every rule (any scores, either order) and every draw of the random baseline, at many budgets.
    const qs::SizeModel size = model();
    for (unsigned seed = 1; seed <= 11; ++seed)
        for (qs::Order order : {qs::Order::Descending, qs::Order::Ascending}) {
            qs::AllocationSettings s;
            s.order = order;
            const qs::BudgetCurve curve = qs::BudgetCurve::build(size, randomScores(size.layerCount(), seed), s);
            qs::SplitMix64 rng(seed);
            for (double bits = 2.05; bits < 31.5; bits += 0.37) {
                const double target = qs::targetMbForAverageBits(size, bits);
                const std::vector<int> rule = curve.lookup(target);
                QVERIFY2(size.sizeMb(rule) < target, qPrintable(QString("rule at %1 bits").arg(bits)));
                for (int d = 0; d < 3; ++d)
                    QVERIFY2(size.sizeMb(qs::randomExtraBits(size, rule, target, rng)) < target,
                             qPrintable(QString("draw at %1 bits").arg(bits)));
            }
        }
}

void TestScoring::randomBaselineErrors() {
    const qs::SizeModel size = model();
    std::vector<int> spread(size.layerCount(), 4);
    spread[0] = 6;
    qs::SplitMix64 rng(1);
    QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::randomExtraBits(size, spread, 1.0, rng));
    // One layer at 5 bits, the others at 4: only the smallest layers fit a tight budget.
    std::vector<int> tight(size.layerCount(), 4);
    tight[4] = 5;  // the 50-weight layer
    const double target = size.sizeMb(tight) + 1e-9;
    QVERIFY_THROWS_EXCEPTION(qs::BudgetError, qs::randomExtraBits(size, tight, size.sizeMb(tight) - 1e-9, rng, 50));
    const std::vector<int> r = qs::randomExtraBits(size, tight, target, rng);
    QVERIFY(size.sizeMb(r) < target);
    QCOMPARE(r, tight);  // the only placement that fits
}

void TestScoring::overlapKeepsDefault() {
    // The rule is much better on half the clips and much worse on the other half: 2.5 against 3
    // errors per 10 words on average, within noise over 40 clips.
    std::vector<int> d(40, 3), x;
    for (int i = 0; i < 40; ++i) x.push_back(i % 2 ? 0 : 5);
    const qs::PersonalizationResult run = twoSchemes(d, x);
    const qs::ScoringBudget b = budgetOf(run, {qs::Metric::Kl, qs::Order::Ascending});
    const qs::RuleMeasure* wer = b.rows[1].find(qs::Measure::Wer);
    QVERIFY(wer);
    QVERIFY(wer->value < b.rows[0].find(qs::Measure::Wer)->value);  // better as measured ...
    QVERIFY(wer->versusDefault.containsZero());                    // ... within noise
    const qs::Recommendation rec = qs::recommend(b.rows, qs::Measure::Wer);
    QCOMPARE(rec.best, 1);
    QCOMPARE(rec.row, 0);
    QVERIFY(!rec.switched);
    QVERIFY2(rec.text.find("keep the default median, descending") == 0, rec.text.c_str());
    QVERIFY2(rec.text.find("intervals overlap") != std::string::npos, rec.text.c_str());
}

void TestScoring::clearWinSwitches() {
    std::vector<int> d(40, 4), x(40, 1);
    x[3] = 5;  // not quite uniform
    const qs::ScoringBudget b = budgetOf(twoSchemes(d, x), {qs::Metric::Sqnr, qs::Order::Ascending});
    const qs::RuleMeasure* wer = b.rows[1].find(qs::Measure::Wer);
    QCOMPARE(wer->value, (39 * 1.0 + 5) / 400.0);
    QCOMPARE(wer->versusDefault.difference, 0.4 - 44.0 / 400.0);  // gain: positive when the rule is better
    QVERIFY(wer->versusDefault.low > 0);
    const qs::Recommendation rec = qs::recommend(b.rows, qs::Measure::Wer);
    QVERIFY(rec.switched);
    QCOMPARE(rec.row, 1);
    QVERIFY2(rec.text.find("use sqnr, ascending") == 0, rec.text.c_str());
    // On SQNR (higher is better) the rule wins too: less noise on every clip but one.
    const qs::RuleMeasure* sqnr = b.rows[1].find(qs::Measure::SqnrDb);
    QVERIFY(sqnr->versusDefault.low > 0);
    QCOMPARE(qs::recommend(b.rows, qs::Measure::SqnrDb).row, 1);
    // The default against itself: identical, difference 0.
    QVERIFY(b.rows[0].find(qs::Measure::Wer)->identical);
    QCOMPARE(b.rows[0].find(qs::Measure::Wer)->versusDefault.difference, 0.0);
}

void TestScoring::randomNeverRecommended() {
    // A random draw (variant 1) that wins clearly is a finding about the default, not a rule to apply;
    // the actual rule (variant 0, the default's allocation) ties.
    std::vector<int> d(40, 4), x(40, 1);
    qs::PersonalizationResult run = twoSchemes(d, x, 0);
    run.schemes[1].variant = 0, run.schemes[2].variant = 1;  // rows: default, random (variant 1), rule (variant 0)
    const qs::ScoringBudget b = budgetOf(run, {qs::Metric::Mean, qs::Order::Ascending}, true);
    QCOMPARE(b.rows[1].kind, std::string("random"));
    QVERIFY(b.rows[1].find(qs::Measure::Wer)->versusDefault.low > 0);  // the random draw wins
    const qs::Recommendation rec = qs::recommend(b.rows, qs::Measure::Wer);
    QCOMPARE(rec.row, 0);
    QCOMPARE(rec.best, 0);
    QVERIFY(!rec.switched);
}

void TestScoring::csvHasOneLinePerMeasure() {
    std::vector<int> d(10, 4), x(10, 1);
    qs::ScoringResult result;
    qs::ProfileScoring p;
    p.profile = "every speaker";
    p.run = twoSchemes(d, x);
    p.budgets = {budgetOf(p.run, {qs::Metric::Sqnr, qs::Order::Ascending})};
    p.budgets[0].recommendation = qs::recommend(p.budgets[0].rows, qs::Measure::Wer);
    result.profiles = {p};
    const std::string csv = qs::scoringCsv(result);
    QCOMPARE(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 6);  // header, 2 rows × 6 measures
    QVERIFY(csv.find("every speaker,0,0,\"median, descending (default)\",rule,median,descending,0,") != std::string::npos);
}

void TestScoring::jsonReadsBack() {
    std::vector<int> d(10, 4), x(10, 1);
    qs::ScoringResult result;
    result.options.randomDraws = 1;
    result.elapsedSeconds = 12.5;
    qs::ProfileScoring p;
    p.profile = "every speaker";
    p.run = twoSchemes(d, x, 1);
    p.run.transcripts = p.run.references = true;
    p.run.primary = qs::Measure::Wer;
    p.run.profiles.push_back({"every speaker", {"a", "b"}, 10, 10, 30.0, 30.0, {}});
    for (int i = 0; i < 10; ++i)
        p.run.testClips.push_back({"a/" + std::to_string(i) + ".wav", std::to_string(i), i % 2 ? "a" : "b", 3.0, "a cab", "a cab"});
    p.budgets = {budgetOf(p.run, {qs::Metric::Sqnr, qs::Order::Ascending}, true)};
    p.budgets[0].targetMb = 1.25, p.budgets[0].targetBits = 3.5;
    p.budgets[0].recommendation = qs::recommend(p.budgets[0].rows, qs::Measure::Wer);
    result.profiles = {p};

    const nlohmann::json saved = qs::toJson(result);
    const qs::ScoringResult back = qs::scoringFromJson(saved);
    QCOMPARE(qs::toJson(back).dump(), saved.dump());
    QCOMPARE(qs::scoringCsv(back), qs::scoringCsv(result));
    const qs::RuleRow& row = back.profiles[0].budgets[0].rows[2];
    QCOMPARE(row.label(), std::string("sqnr, ascending"));
    QCOMPARE(row.find(qs::Measure::Wer)->versusDefault.low, result.profiles[0].budgets[0].rows[2].find(qs::Measure::Wer)->versusDefault.low);
    QCOMPARE(row.find(qs::Measure::Wer)->versusDefault.clips, 10);

    // Damaged files: one clear message, never a result that points nowhere.
    auto message = [](const nlohmann::json& j) {
        try {
            qs::scoringFromJson(j);
        } catch (const qs::InputError& e) {
            return std::string(e.what());
        }
        return std::string("(read)");
    };
    nlohmann::json wrong = saved;
    wrong["format"] = "quantscope-personalization";
    QVERIFY(message(wrong).find("not a quantscope scoring file") == 0);
    nlohmann::json missing = saved;
    missing["profiles"][0]["budgets"][0]["rows"][1]["scheme"] = 7;
    QCOMPARE(message(missing), std::string("malformed scoring file: a row names a missing scheme"));
    nlohmann::json recommendation = saved;
    recommendation["profiles"][0]["budgets"][0]["recommendation"]["row"] = 9;
    QCOMPARE(message(recommendation), std::string("malformed scoring file: a recommendation names a missing row"));
    nlohmann::json noRows = saved;
    noRows["profiles"][0]["budgets"][0].erase("rows");
    QVERIFY(message(noRows).find("malformed scoring file: ") == 0);
}

QTEST_GUILESS_MAIN(TestScoring)
#include "test_scoring.moc"
