// Label-free sensitivity: one score per quantizable layer, larger meaning more sensitive. The
// statistic metrics read a field of the layer's activation statistics for one speaker (or "all").
#pragma once

#include <string>
#include <vector>

#include "core/analysis.h"

namespace qs {

// Statistic metrics come first. Distance metrics (kl, l1, l2, cosine, sqnr: quantize one layer to
// 8 bits, run the clips, compare the model output) need the model and extra passes; they will be
// added after Var, with isStatistic() returning false for them so statScores() rejects them.
enum class Metric {
    Median,  // median |y|, the default
    Mean,    // mean |y|
    Max,     // max y
    AbsMax,  // max |y|
    Std,     // std |y|
    Var,     // var |y|
};

// The names the CLI and the files use: median, mean, max, abs_max, std, var.
std::string metricName(Metric m);
// Throws InputError naming the value and listing the known names.
Metric parseMetric(const std::string& name);
const std::vector<std::string>& metricNames();
bool isStatistic(Metric m);

// The field of s that metric m reads. Throws InputError for a metric that is not a statistic.
double statValue(const StatsSummary& s, Metric m);

// One score per layer of a, in network order, from the statistics of speaker ("all" = every clip).
// Throws InputError naming the speaker and listing the available ones when it is unknown, and
// naming the layer when its statistics are missing or the score is not a finite number.
std::vector<double> statScores(const Analysis& a, Metric m, const std::string& speaker = kAllSpeakers);

// "all" followed by the analysed speakers, as statScores accepts them.
std::vector<std::string> availableSpeakers(const Analysis& a);

}  // namespace qs
