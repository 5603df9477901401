// Label-free sensitivity: one score per quantizable layer, larger meaning more sensitive. The
// statistic metrics read a field of the layer's activation statistics for one speaker (or "all").
#pragma once

#include <string>
#include <vector>

#include "core/stats/analysis.h"

namespace qs {

// Statistic metrics come first. Distance metrics (quantize one layer to 8 bits, run the clips,
// compare the model output with full precision) need extra passes (core/stats/distance_scores.h) and are
// scored as damage: larger means the output moves more when that layer alone is quantized. With
// the default descending order the most damaged layers therefore lose bits first; --order
// ascending protects them instead.
enum class Metric {
    Median,  // median |y|, the default
    Mean,    // mean |y|
    Max,     // max y
    AbsMax,  // max |y|
    Std,     // std |y|
    Var,     // var |y|
    Kl,      // KL divergence of the softmax outputs
    L1,      // mean absolute output difference
    L2,      // mean squared output difference
    Cosine,  // 1 - cosine similarity of the outputs
    Sqnr,    // -SQNR in dB (noise over signal), so that larger is worse like the others
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

// The distance score a metric reads (for Sqnr: -sqnrDb). Throws InputError for a statistic metric.
double distanceValue(const DistanceScores& d, Metric m);

// One score per layer for any metric: statistics as statScores does; distance metrics from the
// analysis's distance passes (InputError saying how to get them when the analysis has none).
std::vector<double> layerScores(const Analysis& a, Metric m, const std::string& speaker = kAllSpeakers);

// "all", the analysis's profiles (speaker groups), then the analysed speakers, as statScores accepts them.
std::vector<std::string> availableSpeakers(const Analysis& a);

}  // namespace qs
