// Scores per layer from the analysis (statistics or distance scores), metric and order names.
#include "core/allocation/sensitivity.h"

#include <algorithm>
#include <cmath>

#include "core/base/errors.h"

namespace qs {

namespace {

struct MetricEntry {
    Metric metric;
    const char* name;
};

// Order matters: it is the order the CLI lists the choices in.
const MetricEntry kMetrics[] = {
    {Metric::Median, "median"}, {Metric::Mean, "mean"}, {Metric::Max, "max"},
    {Metric::AbsMax, "abs_max"}, {Metric::Std, "std"},  {Metric::Var, "var"},
    {Metric::Kl, "kl"},         {Metric::L1, "l1"},     {Metric::L2, "l2"},
    {Metric::Cosine, "cosine"}, {Metric::Sqnr, "sqnr"},
};

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

}  // namespace

std::string metricName(Metric m) {
    for (const auto& e : kMetrics)
        if (e.metric == m) return e.name;
    return "unknown";
}

const std::vector<std::string>& metricNames() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& e : kMetrics) v.push_back(e.name);
        return v;
    }();
    return names;
}

Metric parseMetric(const std::string& name) {
    for (const auto& e : kMetrics)
        if (name == e.name) return e.metric;
    throw InputError("unknown metric '" + name + "' (known: " + joined(metricNames()) + ")");
}

bool isStatistic(Metric m) {
    switch (m) {
        case Metric::Median:
        case Metric::Mean:
        case Metric::Max:
        case Metric::AbsMax:
        case Metric::Std:
        case Metric::Var:
            return true;
        default:
            return false;
    }
}

double statValue(const StatsSummary& s, Metric m) {
    switch (m) {
        case Metric::Median: return s.median_abs;
        case Metric::Mean: return s.mean_abs;
        case Metric::Max: return s.max;
        case Metric::AbsMax: return s.abs_max;
        case Metric::Std: return s.std_abs;
        case Metric::Var: return s.var_abs;
        default: break;
    }
    throw InputError("metric " + metricName(m) + " is not an activation statistic");
}

std::vector<std::string> availableSpeakers(const Analysis& a) {
    std::vector<std::string> names{kAllSpeakers};
    for (const auto& p : a.profiles)
        if (std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);
    for (const auto& s : a.speakers)
        if (std::find(names.begin(), names.end(), s.name) == names.end()) names.push_back(s.name);
    return names;
}

namespace {

void checkSpeaker(const Analysis& a, const std::string& speaker) {
    const auto speakers = availableSpeakers(a);
    if (std::find(speakers.begin(), speakers.end(), speaker) == speakers.end())
        throw InputError("unknown speaker '" + speaker + "' (available: " + joined(speakers) + ")");
}

}  // namespace

double distanceValue(const DistanceScores& d, Metric m) {
    switch (m) {
        case Metric::Kl: return d.kl;
        case Metric::L1: return d.l1;
        case Metric::L2: return d.l2;
        case Metric::Cosine: return d.cosine;
        case Metric::Sqnr: return -d.sqnrDb;
        default: break;
    }
    throw InputError("metric " + metricName(m) + " is not a distance");
}

std::vector<double> layerScores(const Analysis& a, Metric m, const std::string& speaker) {
    if (isStatistic(m)) return statScores(a, m, speaker);
    checkSpeaker(a, speaker);
    if (!a.hasDistances())
        throw InputError("metric " + metricName(m) +
                         " needs distance passes; run analyze with --distance-clips N (e.g. 4)");
    std::vector<double> scores;
    for (const LayerAnalysis& layer : a.layers) {
        auto it = layer.distances.find(speaker);
        if (it == layer.distances.end())
            throw InputError("layer " + layer.info.name + " has no distance scores for speaker '" + speaker + "'");
        const double v = distanceValue(it->second, m);
        if (std::isnan(v))
            throw InputError("layer " + layer.info.name + " has an undefined " + metricName(m) + " score");
        scores.push_back(v);
    }
    return scores;
}

std::vector<double> statScores(const Analysis& a, Metric m, const std::string& speaker) {
    checkSpeaker(a, speaker);

    std::vector<double> scores;
    scores.reserve(a.layers.size());
    for (const LayerAnalysis& layer : a.layers) {
        auto it = layer.stats.find(speaker);
        if (it == layer.stats.end())
            throw InputError("layer " + layer.info.name + " has no statistics for speaker '" + speaker + "'");
        const double v = statValue(it->second, m);
        // A NaN would make the layer order undefined; say which layer instead of guessing.
        if (!std::isfinite(v))
            throw InputError("layer " + layer.info.name + " has a non-finite " + metricName(m) +
                             " score for speaker '" + speaker + "'");
        scores.push_back(v);
    }
    return scores;
}

}  // namespace qs
