// The result of analysing a model on a corpus: per layer, per speaker (and "all") activation
// statistics. This is what analysis.json holds and what every later step (allocation, calibration,
// the GUI) reads.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/stats/activation_stats.h"
#include "core/audio/audio_corpus.h"
#include "core/model/model_info.h"

namespace qs {

inline constexpr const char* kAllSpeakers = "all";

struct SpeakerSummary {
    std::string name;
    int clips = 0;           // clips analysed
    int files = 0;           // audio files those clips came from
    double seconds = 0.0;    // audio analysed
};

// How much the model output moves when this one layer's weights alone are quantized (to `bits`,
// symmetric per channel), averaged over the clips; the label-free distance sensitivities.
struct DistanceScores {
    double kl = 0;       // mean over output frames of KL(softmax(float) || softmax(quantized))
    double l1 = 0;       // mean |float - quantized| over output elements
    double l2 = 0;       // mean (float - quantized)^2 over output elements
    double cosine = 0;   // 1 - cosine similarity of the flattened outputs, mean over clips
    double sqnrDb = 0;   // 10 log10(sum float^2 / sum (float - quantized)^2) over all clips
    int clips = 0;
    int bits = 8;
};

struct LayerAnalysis {
    LayerInfo info;
    std::map<std::string, StatsSummary> stats;        // speaker name or "all" -> statistics
    std::map<std::string, DistanceScores> distances;  // filled only when distance passes were run
};

struct Analysis {
    ModelInfo model;
    std::string audioRoot;
    std::vector<SpeakerSummary> speakers;
    std::vector<LayerAnalysis> layers;     // network order
    std::vector<SkippedFile> skipped;
    double elapsedSeconds = 0.0;
    int threads = 0;
    int workers = 0;  // clips that ran side by side: at most threads, fewer when the memory budget asked

    const LayerAnalysis* findLayer(const std::string& name) const;
    bool hasSpeaker(const std::string& name) const;
    bool hasDistances() const { return !layers.empty() && !layers.front().distances.empty(); }
};

nlohmann::json toJson(const Analysis& a);
Analysis analysisFromJson(const nlohmann::json& j);  // throws InputError on a malformed document

// Stores distance scores (core/stats/distance_scores.h) in the analysis's layers, for every speaker
// present in it. Throws InputError when they cover another number of layers.
void attachDistances(Analysis& analysis, const std::map<std::string, std::vector<DistanceScores>>& scores);

void saveAnalysis(const std::string& path, const Analysis& a);  // atomic
Analysis loadAnalysis(const std::string& path);                  // throws InputError

}  // namespace qs
