// The scoring rules, the random baseline, each row's measures against the default, and the
// recommendation.
#include "core/scoring/scoring.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/base/errors.h"
#include "core/base/number_text.h"
#include "core/personalization/personalization_io.h"

namespace qs {

std::string ScoringRule::name() const { return metricName(metric) + ", " + orderName(order); }

ScoringRule defaultRule() { return {Metric::Median, Order::Descending}; }

std::vector<ScoringRule> everyRule() {
    std::vector<ScoringRule> out;
    for (const std::string& m : metricNames())
        for (Order o : {Order::Descending, Order::Ascending}) out.push_back({parseMetric(m), o});
    return withDefaultFirst(out);
}

std::vector<ScoringRule> withDefaultFirst(const std::vector<ScoringRule>& rules) {
    std::vector<ScoringRule> out = {defaultRule()};
    for (const ScoringRule& r : rules)
        if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
    return out;
}

std::vector<int> randomExtraBits(const SizeModel& size, const std::vector<int>& ruleBits, double targetMb,
                                 SplitMix64& rng, int maxTries) {
    if (ruleBits.size() != size.layerCount()) throw InputError("the allocation does not match the model's layers");
    if (ruleBits.empty()) return ruleBits;
    const auto [lo, hi] = std::minmax_element(ruleBits.begin(), ruleBits.end());
    const int low = *lo, high = *hi;
    if (high - low > 1) throw InputError("the random baseline needs an allocation whose layers are within one bit");
    const std::size_t n = ruleBits.size();
    const std::size_t k = std::size_t(std::count(ruleBits.begin(), ruleBits.end(), high));
    if (high == low) return ruleBits;  // a finished pass: nothing to place
    std::vector<std::size_t> index(n);
    std::vector<int> bits(n);
    for (int t = 0; t < maxTries; ++t) {
        std::iota(index.begin(), index.end(), std::size_t(0));
        for (std::size_t i = 0; i < k; ++i) std::swap(index[i], index[i + rng.below(n - i)]);  // partial Fisher-Yates
        std::fill(bits.begin(), bits.end(), low);
        for (std::size_t i = 0; i < k; ++i) bits[index[i]] = high;
        if (size.sizeMb(bits) < targetMb) return bits;
    }
    throw BudgetError("no random placement of the extra bits of " + std::to_string(k) + " layers fitted " +
                      std::to_string(targetMb) + " MB in " + std::to_string(maxTries) + " draws");
}

std::string gainIntervalText(Measure m, const PairedInterval& g) {
    const double scale = isRate(m) ? 100.0 : 1.0;
    const char* unit = isRate(m) ? " points" : m == Measure::SqnrDb ? " dB" : "";
    const char* fmt = isRate(m) || m == Measure::SqnrDb ? "%+.2f" : "%+.3g";
    return numberText(scale * g.difference, fmt) + unit + " [" + numberText(scale * g.low, fmt) + ", " +
           numberText(scale * g.high, fmt) + "]";
}

std::string RuleRow::label() const {
    if (kind == "random") return "random " + std::to_string(draw) + " (" + rule.name() + ")";
    return rule.name() + (rule == defaultRule() ? " (default)" : "");
}

const RuleMeasure* RuleRow::find(Measure m) const {
    for (const RuleMeasure& x : measures)
        if (x.measure == m) return &x;
    return nullptr;
}

void measureRows(const PersonalizationResult& run, ScoringBudget& budget, const BootstrapOptions& bootstrap) {
    if (budget.rows.empty()) return;
    const std::size_t column = run.columnClips.size() - 1;  // every test clip of the run
    const int defaultScheme = budget.rows[0].scheme;
    const std::vector<ClipMeasures> base = run.clipsOf(defaultScheme, column);
    ClipMeasures baseTotal;
    for (const ClipMeasures& c : base) baseTotal += c;
    for (RuleRow& row : budget.rows) {
        row.measures.clear();
        const std::vector<ClipMeasures> clips = run.clipsOf(row.scheme, column);
        ClipMeasures total;
        for (const ClipMeasures& c : clips) total += c;
        const bool identical = run.schemes[std::size_t(row.scheme)].variant == run.schemes[std::size_t(defaultScheme)].variant;
        for (Measure m : allMeasures()) {
            const double value = measureValue(m, total);
            if (std::isnan(value) || std::isnan(measureValue(m, baseTotal))) continue;
            RuleMeasure rm;
            rm.measure = m;
            rm.value = value;
            rm.identical = identical;
            rm.versusDefault = pairedGain(m, clips, base, bootstrap);
            row.measures.push_back(rm);
        }
    }
}

Recommendation recommend(const std::vector<RuleRow>& rows, Measure measure) {
    Recommendation r;
    r.measure = measure;
    if (rows.empty()) return r;
    const RuleMeasure* defaultValue = rows[0].find(measure);
    if (!defaultValue) {
        r.text = "no " + measureName(measure) + " to rank the rules by; keeping the default " + rows[0].rule.name();
        return r;
    }
    double bestGain = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        if (rows[i].kind != "rule") continue;
        const RuleMeasure* m = rows[i].find(measure);
        if (!m) continue;
        const double g = gainOf(measure, m->value, defaultValue->value);
        if (g > bestGain) bestGain = g, r.best = int(i);
    }
    const std::string what = measureName(measure);
    if (r.best == 0) {
        r.text = "keep the default " + rows[0].rule.name() + ": no rule does better on " + what;
        return r;
    }
    const RuleRow& best = rows[std::size_t(r.best)];
    const PairedInterval& iv = best.find(measure)->versusDefault;
    const std::string range = measureText(measure, best.find(measure)->value) + " against " +
                              measureText(measure, defaultValue->value) + ", gain " + gainIntervalText(measure, iv);
    if (iv.low > 0) {
        r.switched = true;
        r.row = r.best;
        r.text = "use " + best.rule.name() + ": best on " + what + " (" + range +
                 "); its interval against the default excludes 0 (best of " + std::to_string(rows.size()) +
                 " rows; each interval is for one comparison)";
    } else {
        r.text = "keep the default " + rows[0].rule.name() + ": the best rule, " + best.rule.name() + " (" + range +
                 "), is within noise of it; the intervals overlap";
    }
    return r;
}

}  // namespace qs
