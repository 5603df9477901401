// Which score earns the bits? The scoring comparison: at one budget, every scoring rule (a metric and
// an order) builds its allocation from the same tune analysis; a random baseline keeps the default
// rule's allocation but gives the extra bit of the unfinished pass to randomly drawn layers; every
// allocation is calibrated the same way and evaluated on test clips calibration never saw. Each
// rule's measures come with a paired bootstrap interval against the default rule (median,
// descending: myQASR's), and a recommendation switches away from the default only when the best
// rule's interval against it excludes 0.
//
// This header holds the rules, the random baseline, the result types and the arithmetic on them (no
// LibTorch); the run is compareScoring() in scoring_run.h (engine).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/allocation/allocation.h"
#include "core/personalization/personalization.h"

namespace qs {

// The profile that pools every speaker of the corpus (the CLI's default when no profile is named).
inline constexpr const char* kEverySpeakerProfile = "every speaker";

struct ScoringRule {
    Metric metric = Metric::Median;
    Order order = Order::Descending;
    std::string name() const;  // "median, descending"
    bool operator==(const ScoringRule& o) const { return metric == o.metric && order == o.order; }
};

ScoringRule defaultRule();                   // median |y|, descending (myQASR's)
std::vector<ScoringRule> everyRule();        // every metric × order, the default first
// The rules to compare: the given ones with the default first (added when missing), duplicates dropped.
std::vector<ScoringRule> withDefaultFirst(const std::vector<ScoringRule>& rules);

// The random baseline for one allocation at spread 1 (its layers within one bit of each other): the
// same number of layers at the wider width, drawn uniformly at random, redrawn until the size is
// strictly below targetMb (Algorithm 1's stopping rule), at most maxTries draws. Every layer takes
// part (no excluded layers). Throws BudgetError when no draw fits, InputError when the layers span
// more than one bit.
std::vector<int> randomExtraBits(const SizeModel& size, const std::vector<int>& ruleBits, double targetMb,
                                 SplitMix64& rng, int maxTries = 10000);

struct ScoringOptions {
    std::vector<double> targetsMb;              // at least one budget
    std::vector<ScoringRule> rules = everyRule();
    int randomDraws = 3;                        // of the default rule's allocation
    std::uint64_t randomSeed = 17;
    Measure measure = Measure::Wer;             // what the recommendation ranks by (falls back to the
                                                // primary measure when it does not apply)
    CompareOptions run;                         // min bits, distance clips, calibration, bootstrap, threads
};

struct RuleMeasure {
    Measure measure = Measure::Wer;
    double value = 0;                           // on the profile's test clips
    PairedInterval versusDefault;               // gainOf(rule, default): positive when the rule is better
    bool identical = false;                     // same allocation and calibration as the default's
};

struct RuleRow {
    std::string kind;                           // "rule" or "random"
    ScoringRule rule;                           // random: the rule it randomizes (the default)
    int draw = 0;                               // random: 1..N
    int scheme = -1;                            // index into the profile's run.schemes
    double sizeMb = 0, averageBits = 0;
    int differingFromDefault = 0;               // layers whose bits differ from the default rule's
    std::vector<RuleMeasure> measures;          // every measure that applies
    std::string label() const;                  // "median, descending", "random 2 (median, descending)"
    const RuleMeasure* find(Measure m) const;
};

struct Recommendation {
    Measure measure = Measure::Wer;
    int row = 0;                                // the recommended row (0: the default)
    int best = 0;                               // the best rule by the measure (random rows never count)
    bool switched = false;                      // best differs from the default and its interval excludes 0
    std::string text;                           // one sentence for people
};

struct ScoringBudget {
    double targetMb = 0, targetBits = 0;
    std::vector<RuleRow> rows;                  // the default first, then its random draws, then the other rules
    Recommendation recommendation;
};

struct ProfileScoring {
    std::string profile;                        // "all" for every speaker pooled
    PersonalizationResult run;                  // the schemes and their per-clip measures
    std::vector<ScoringBudget> budgets;
};

struct ScoringResult {
    ScoringOptions options;
    std::vector<ProfileScoring> profiles;
    double elapsedSeconds = 0;
};

// The measures of one row with intervals against the default row (row 0), on every test clip of the
// profile's run. Fills row.measures.
void measureRows(const PersonalizationResult& run, ScoringBudget& budget, const BootstrapOptions& bootstrap);

// The best rule by `measure` (lower WER/KL, higher SQNR; ties keep the earlier row) among rows of
// kind "rule"; switch to it only when its interval against the default excludes 0 on the better
// side. Random rows are a baseline, never a recommendation.
Recommendation recommend(const std::vector<RuleRow>& rows, Measure measure);

// A gain against the default with its interval, for people: "+2.10 points [+0.40, +3.90]" (rates in
// points, SQNR in dB).
std::string gainIntervalText(Measure m, const PairedInterval& gain);

}  // namespace qs
