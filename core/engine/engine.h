// The LibTorch boundary. Everything that runs a model lives in one shared library, libqs_engine.so;
// the CLI and the studio reach it only through the table below, which engine() loads with dlopen the
// first time something needs a model. So `quantscope-cli allocate`, `quantscope-cli figures` and the
// studio's start never load LibTorch (about 0.8 s and 150 MB), and no Qt translation unit can call
// into LibTorch by accident: app/ and widgets/ do not link the engine.
//
// Takes in: the plain C++ types of the stage headers (SpeechModel, AudioCorpus, Analysis, ...).
// Gives out: the same functions as those headers, one entry each. Tests and benchmarks link the
// engine directly and call the stage functions themselves.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/allocation/allocation.h"
#include "core/audio/audio_corpus.h"
#include "core/base/progress.h"
#include "core/evaluation/evaluation.h"
#include "core/export/quantized_export.h"
#include "core/model/speech_model.h"
#include "core/personalization/personalization.h"
#include "core/scoring/scoring.h"
#include "core/stats/analysis.h"
#include "core/stats/analyzer.h"
#include "core/stats/distance_scores.h"

namespace qs {

// One entry per model-running function; each has the contract of the function it points to.
struct Engine {
    std::size_t size = sizeof(Engine);  // checked on load: a stale library with another layout is refused
    // SpeechModel::load, as a shared handle (the studio and the CLI never copy a model).
    std::shared_ptr<const SpeechModel> (*loadModel)(const std::string& path) = nullptr;
    Analysis (*analyze)(const SpeechModel&, const AudioCorpus&, const AnalyzeOptions&, const ProgressFn&) = nullptr;
    std::map<std::string, std::vector<DistanceScores>> (*distanceScores)(const SpeechModel&, const AudioCorpus&,
                                                                         const DistanceOptions&, const ProgressFn&) = nullptr;
    ExportSummary (*exportQuantizedModel)(const SpeechModel&, const Analysis&, const Allocation&, const AudioCorpus*,
                                          const ExportOptions&, const std::string& outDir, const ProgressFn&) = nullptr;
    Evaluation (*evaluate)(const SpeechModel& floatModel, const SpeechModel& quantized, const AudioCorpus&,
                           const EvaluateOptions&, const ProgressFn&) = nullptr;
    PersonalizationResult (*comparePersonalization)(const SpeechModel&, const AudioCorpus&, const ClipSplit&,
                                                    const std::vector<Profile>&, const CompareOptions&,
                                                    const ProgressFn&) = nullptr;
    ScoringResult (*compareScoring)(const SpeechModel&, const AudioCorpus&, const ClipSplit&, const std::vector<Profile>&,
                                    const ScoringOptions&, const ProgressFn&) = nullptr;
};

// The engine, loaded on first use (thread-safe): libqs_engine.so from the folder of the program's
// libraries, or the path in QUANTSCOPE_ENGINE. Throws ModelError with one line (what is missing and
// dlopen's reason) when it cannot be loaded; later calls throw the same again.
const Engine& engine();

// True once engine() has loaded it in this process (for tests of the start-up path).
bool engineLoaded();

}  // namespace qs

// The one symbol libqs_engine.so exports for the loader.
extern "C" const qs::Engine* qs_engine_table();
