// compareScoring(): each profile's rules and random baseline as schemes of runSchemes, then their
// intervals against the default and the recommendation.
#include "core/scoring/scoring_run.h"

#include <algorithm>
#include <chrono>

#include "core/allocation/sensitivity.h"
#include "core/base/errors.h"
#include "core/personalization/compare_run.h"

namespace qs {

ScoringResult compareScoring(const SpeechModel& model, const AudioCorpus& corpus, const ClipSplit& split,
                             const std::vector<Profile>& profiles, const ScoringOptions& options,
                             const ProgressFn& progress) {
    const auto start = std::chrono::steady_clock::now();
    if (options.targetsMb.empty()) throw InputError("no budget to compare the rules at");
    if (profiles.empty()) throw InputError("no profile to compare the rules on");
    if (options.randomDraws < 0) throw InputError("the number of random draws cannot be negative");
    ScoringResult result;
    result.options = options;
    result.options.rules = withDefaultFirst(options.rules);
    const std::vector<ScoringRule>& rules = result.options.rules;
    bool distances = false;
    for (const ScoringRule& r : rules) distances = distances || !isStatistic(r.metric);
    CompareOptions run = options.run;
    run.targetsMb = options.targetsMb;
    run.spreads = {1};
    run.uniform = false;
    const std::size_t perBudget = rules.size() + std::size_t(options.randomDraws);

    for (std::size_t p = 0; p < profiles.size(); ++p) {
        // This profile's share of one bar for the whole comparison.
        const ProgressFn within = [&, p](const Progress& q) {
            if (!progress) return true;
            Progress g;
            g.total = 1000 * profiles.size();
            g.done = 1000 * p + std::size_t(std::min(1.0, q.fraction()) * 1000.0);
            g.message = (profiles.size() > 1 ? profiles[p].name + ", " : std::string()) + q.message;
            return progress(g);
        };
        std::vector<ScoringBudget> budgets;
        auto make = [&](const Analysis& analysis, const SizeModel& size, PersonalizationResult& r) {
            std::int64_t layerParams = 0;
            for (std::size_t l = 0; l < size.layerCount(); ++l) layerParams += size.layerParams(l);
            // The run analysed only this profile's tune clips, so "all" is the profile pooled.
            std::vector<BudgetCurve> curves;
            for (const ScoringRule& rule : rules) {
                AllocationSettings s;
                s.order = rule.order;
                s.minBits = options.run.minBits;
                curves.push_back(BudgetCurve::build(size, layerScores(analysis, rule.metric, kAllSpeakers), s));
            }
            for (std::size_t b = 0; b < options.targetsMb.size(); ++b) {
                const double target = options.targetsMb[b];
                ScoringBudget budget;
                budget.targetMb = target;
                budget.targetBits = kFloatBits - (double(size.floatBits()) - target * kBitsPerMb) / double(layerParams);
                auto add = [&](const std::string& kind, const ScoringRule& rule, int draw, std::vector<int> bits) {
                    Scheme s;
                    s.kind = kind;
                    s.profile = profiles[p].name;
                    s.targetMb = target;
                    s.bits = std::move(bits);
                    s.calibrationSet = 0;
                    RuleRow row;
                    row.kind = kind;
                    row.rule = rule;
                    row.draw = draw;
                    row.scheme = int(r.schemes.size());
                    row.sizeMb = size.sizeMb(s.bits);
                    row.averageBits = size.averageBits(s.bits);
                    if (!budget.rows.empty()) {
                        const std::vector<int>& d = r.schemes[std::size_t(budget.rows[0].scheme)].bits;
                        for (std::size_t l = 0; l < d.size(); ++l) row.differingFromDefault += d[l] != s.bits[l];
                    }
                    r.schemes.push_back(std::move(s));
                    budget.rows.push_back(row);
                };
                const std::vector<int> defaultBits = curves[0].lookup(target);
                add("rule", rules[0], 0, defaultBits);
                SplitMix64 rng(options.randomSeed + std::uint64_t(b));
                for (int d = 1; d <= options.randomDraws; ++d)
                    add("random", rules[0], d, randomExtraBits(size, defaultBits, target, rng));
                for (std::size_t k = 1; k < rules.size(); ++k) add("rule", rules[k], 0, curves[k].lookup(target));
                budgets.push_back(std::move(budget));
            }
        };
        ProfileScoring ps;
        ps.profile = profiles[p].name;
        ps.run = runSchemes(model, corpus, split, {profiles[p]}, run, distances, options.targetsMb.size() * perBudget, make, within);
        for (ScoringBudget& b : budgets) {
            measureRows(ps.run, b, options.run.bootstrap);
            const Measure m = b.rows.empty() || b.rows[0].find(options.measure) ? options.measure : ps.run.primary;
            b.recommendation = recommend(b.rows, m);
        }
        ps.budgets = std::move(budgets);
        result.profiles.push_back(std::move(ps));
    }
    result.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace qs
