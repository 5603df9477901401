// Quantized evaluation: the float model and its quantized version run on the same clips, and
// quantscope measures what quantization did, per speaker and over all speakers.
//
// Label-free measures always: the quantized output compared with the float output (SQNR, KL of the
// softmax distributions, L1, L2, cosine; see core/evaluation/output_compare.h). When the float model has a CTC
// vocabulary (model.json `labels`): greedy transcripts of both models and the WER/CER of the quantized
// transcript against the float transcript. When clips also have reference transcripts: WER/CER of the
// float and of the quantized transcript against the references (over the clips that have one).
// Error rates are corpus-level: edits and reference lengths are summed over clips, then divided.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/audio/clip_split.h"
#include "core/audio/speaker_profiles.h"
#include "core/evaluation/error_rates.h"
#include "core/evaluation/output_compare.h"
#include "core/base/progress.h"
#include "core/model/speech_model.h"

namespace qs {

struct EvaluateOptions {
    int threads = 0;  // cores to use in all (0 = every core)
    // Speaker groups: each also gets measures summed over its members' clips (Evaluation::profiles).
    std::vector<Profile> profiles;
    std::int64_t maxMemory = 0;  // bytes for the whole process (0: the default, core/base/system_memory.h)
};

// Measures of one speaker, or of every speaker ("all").
struct EvaluationScores {
    std::string name;
    int clips = 0;                // clips evaluated (skipped ones excluded)
    double seconds = 0.0;         // their audio
    OutputComparison output;      // quantized output vs float output
    // Only meaningful when Evaluation::transcripts is true.
    ErrorCounts werVsFloat, cerVsFloat;  // quantized transcript against the float transcript
    // Only meaningful when referenceClips > 0: sums over the clips with a reference transcript.
    int referenceClips = 0;
    ErrorCounts werFloat, cerFloat;          // float transcript against the reference
    ErrorCounts werQuantized, cerQuantized;  // quantized transcript against the reference
};

struct ClipEvaluation {
    std::string id;
    std::string path;
    std::string speaker;
    double seconds = 0.0;
    OutputComparison output;         // this clip alone
    std::string floatTranscript;      // greedy CTC transcripts (empty without labels)
    std::string quantizedTranscript;
    std::string reference;            // empty when the clip has none
    bool hasReference() const { return !reference.empty(); }
};

struct Evaluation {
    ModelInfo floatModel;
    ModelInfo quantizedModel;
    std::string audioRoot;
    bool transcripts = false;             // the models have CTC labels: transcripts and WER/CER vs float
    std::vector<EvaluationScores> speakers;  // in corpus order; speakers with no evaluated clip are left out
    EvaluationScores all;                 // name "all"; equals the sum of the speakers
    std::vector<EvaluationScores> profiles;  // per speaker group (EvaluateOptions::profiles) with clips
    // Set by the caller: which clips the evaluation was restricted to (the test part of a split),
    // and how many clips it left out because the calibration used them.
    SplitRecord split;
    int calibrationClipsLeftOut = 0;
    std::vector<ClipEvaluation> clips;    // every evaluated clip, in corpus order
    std::vector<SkippedFile> skipped;     // the corpus's skipped files and clips that failed here, by path
    int threads = 0;
    double elapsedSeconds = 0.0;
};

// Throws ModelError naming both files when the quantized model cannot be a quantized version of the
// float model: another sample rate or other CTC labels. evaluate() checks this first.
void checkModelsMatch(const ModelInfo& floatModel, const ModelInfo& quantized);

// Runs every clip of corpus (already selected and limited; scanned at the models' sample rate)
// through both models. Throws ModelError when the models disagree on sample rate or labels, InputError
// when the corpus was resampled to another rate, ModelError when no clip could be evaluated.
// Clips that cannot be decoded or that a model rejects are listed in skipped with the reason.
// progress is called on the calling thread; returning false stops the run (throws Cancelled).
Evaluation evaluate(const SpeechModel& floatModel, const SpeechModel& quantized, const AudioCorpus& corpus,
                    const EvaluateOptions& options = {}, const ProgressFn& progress = {});

// evaluation.json: `float_model`, `quantized_model` ({path, total_params, sample_rate, labels}), `audio`,
// `transcripts`, `speakers` [{name, clips, seconds, sqnr_db, kl, l1, l2, cosine, max_abs_diff,
// wer_vs_float, cer_vs_float, reference_clips, wer_float, cer_float, wer_quantized, cer_quantized}],
// `all` {the same}, `clips` [{id, path, speaker, seconds, sqnr_db, kl, l1, l2, cosine,
// float_transcript, quantized_transcript, reference, wer_vs_float, cer_vs_float, wer_float, cer_float,
// wer_quantized, cer_quantized}], `profiles` [the speakers' fields, per speaker group], `split` (which
// files were test files: clip_split.h), `calibration_clips_left_out`, `skipped` [{path, reason}],
// `run` {threads, elapsed_seconds}, `written_by` {program, version, commit} (core/base/version.h).
// Rates are fractions (0.083 = 8.3%); a measure that does not apply (no labels, no reference) is null.
nlohmann::json toJson(const Evaluation& evaluation);

// Writes toJson(evaluation) atomically. Throws InputError.
void saveEvaluation(const std::string& path, const Evaluation& evaluation);

}  // namespace qs
