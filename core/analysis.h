// The result of analysing a model on a corpus: per layer, per speaker (and "all") activation
// statistics. This is what analysis.json holds and what every later step (allocation, calibration,
// the GUI) reads.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/activation_stats.h"
#include "core/audio_corpus.h"
#include "core/model_info.h"

namespace qs {

inline constexpr const char* kAllSpeakers = "all";

struct SpeakerSummary {
    std::string name;
    int clips = 0;           // clips analysed
    int files = 0;           // audio files those clips came from
    double seconds = 0.0;    // audio analysed
};

struct LayerAnalysis {
    LayerInfo info;
    std::map<std::string, StatsSummary> stats;  // speaker name or "all" -> statistics
};

struct Analysis {
    ModelInfo model;
    std::string audioRoot;
    std::vector<SpeakerSummary> speakers;
    std::vector<LayerAnalysis> layers;     // network order
    std::vector<SkippedFile> skipped;
    double elapsedSeconds = 0.0;
    int threads = 0;

    const LayerAnalysis* findLayer(const std::string& name) const;
    bool hasSpeaker(const std::string& name) const;
};

nlohmann::json toJson(const Analysis& a);
Analysis analysisFromJson(const nlohmann::json& j);  // throws InputError on a malformed document

void saveAnalysis(const std::string& path, const Analysis& a);  // atomic
Analysis loadAnalysis(const std::string& path);                  // throws InputError

}  // namespace qs
