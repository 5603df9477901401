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
#include "core/audio/clip_split.h"
#include "core/audio/speaker_profiles.h"
#include "core/model/model_info.h"
#include "core/base/json_fields.h"

namespace qs {

inline constexpr const char* kAllSpeakers = "all";

struct SpeakerSummary {
    std::string name;
    int clips = 0;           // clips analysed
    int files = 0;           // audio files those clips came from
    double seconds = 0.0;    // audio analysed
};

// A group of speakers whose statistics are pooled like "all" is over everyone (speaker_profiles.h).
struct ProfileSummary {
    std::string name;
    std::vector<std::string> speakers;  // the analysed members
    int clips = 0;
    double seconds = 0.0;
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
    std::vector<ProfileSummary> profiles;  // groups with pooled statistics (stats[name]), if any
    SplitRecord split;                     // which files were analysed (tune) and which held out
    std::vector<LayerAnalysis> layers;     // network order
    std::vector<SkippedFile> skipped;
    double elapsedSeconds = 0.0;
    int threads = 0;
    int workers = 0;  // clips that ran side by side: at most threads, fewer when the memory budget asked

    const LayerAnalysis* findLayer(const std::string& name) const;
    bool hasSpeaker(const std::string& name) const;  // "all", a speaker or a profile
    const ProfileSummary* findProfile(const std::string& name) const;
    // The speakers a name stands for: every analysed speaker for "all", a profile's members, or the
    // speaker itself; empty when unknown.
    std::vector<std::string> membersOf(const std::string& name) const;
    bool hasDistances() const { return !layers.empty() && !layers.front().distances.empty(); }
};

// With `written_by` {program, version, commit}: the quantscope that wrote it (core/base/version.h).
// Readers ignore it, so files without it (older versions) load the same.
nlohmann::json toJson(const Analysis& a);
// Throws InputError naming the field on a malformed document: a missing or mistyped field, a
// negative count, an unknown layer kind, a repeated layer or speaker, a shape that does not hold
// params weights, statistics for an unlisted speaker, fewer total_params than the layers' weights.
Analysis analysisFromJson(const nlohmann::json& j);
Analysis analysisFromJson(const JsonField& j);

// Stores distance scores (core/stats/distance_scores.h) in the analysis's layers, for every speaker
// present in it. Throws InputError when they cover another number of layers.
void attachDistances(Analysis& analysis, const std::map<std::string, std::vector<DistanceScores>>& scores);

void saveAnalysis(const std::string& path, const Analysis& a);  // atomic
Analysis loadAnalysis(const std::string& path);                  // throws InputError naming the file

// Throws InputError (naming analysisName) unless the analysis's layers are the model's: the same
// names and weight counts, in order.
void checkSameModel(const Analysis& analysis, const ModelInfo& model, const std::string& analysisName);

}  // namespace qs
