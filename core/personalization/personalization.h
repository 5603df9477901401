// The personalization matrix: does a user's own scheme serve that user better than a shared one?
//
// For each budget (and spread), schemes are built from the tune clips only:
//   own      for each profile T: T's allocation (from T's statistics) calibrated on T's tune clips;
//   all      the allocation from every profile's statistics pooled, calibrated on every profile's
//            tune clips;
//   uniform  every layer at the same width, the one whose size is closest to the budget (its exact
//            size is stated), calibrated like `all`.
// Every scheme is evaluated on every profile's test clips (and on all of them, column "all"): WER
// and CER against references when there are any, WER/CER against the float transcripts, SQNR and KL
// against the float output. For each profile, the gain of its own scheme over the all-profiles
// scheme, over the best other profile's scheme and over uniform comes with a paired bootstrap
// interval over its test clips; an interval that contains 0 is "no measurable difference".
//
// Shared work: schemes with the same bits and calibration clips are evaluated once; the float
// outputs of the test clips are computed once; weight calibrations that need no audio (minmax, mse)
// are computed once per layer and width; activation ranges once per calibration clip set.
//
// This header holds the plain result types and the arithmetic on them (no LibTorch); the run that
// builds them is comparePersonalization() in compare_run.h (engine).
#pragma once

#include <string>
#include <vector>

#include "core/allocation/allocation.h"
#include "core/audio/clip_split.h"
#include "core/export/quantized_export.h"
#include "core/personalization/bootstrap.h"
#include "core/personalization/measures.h"

namespace qs {

struct CompareOptions {
    std::vector<double> targetsMb;      // at least one budget
    std::vector<int> spreads = {1};     // relaxed uniformity S (1: Algorithm 1)
    Metric metric = Metric::Median;
    Order order = Order::Descending;
    int minBits = kDefaultMinBits;
    int distanceClips = 4;              // per speaker, for a distance metric's passes
    int distanceBits = 8;
    bool uniform = true;                // also the uniform-width scheme
    ExportOptions calibration;          // weight and activation calibration, clips per speaker, threads
    BootstrapOptions bootstrap;
    int threads = 0;                    // 0: every core
};

struct ProfileClips {
    std::string name;
    std::vector<std::string> speakers;
    int tuneClips = 0, testClips = 0;
    double tuneSeconds = 0, testSeconds = 0;
    ClipMeasures floatQuality;          // the float model on the test clips: words, word errors ...
};

// Clips a scheme was calibrated on (clipKey paths), one set per tune profile and one for "all".
struct CalibrationSet {
    std::string name;
    std::vector<std::string> clips;
};

struct Scheme {
    std::string kind;                   // "own", "all", "uniform"
    std::string profile;                // own: the tune profile; all: "all"; uniform: ""
    double targetMb = 0;
    int spread = 1;
    std::vector<int> bits;              // per layer
    double sizeMb = 0, averageBits = 0;
    int uniformBits = 0;                // uniform only
    int calibrationSet = -1;            // index into calibrationSets
    int variant = -1;                   // index into variants: schemes that share one are identical
    int differingFromAll = 0;           // own: layers whose bits differ from the all scheme's
    std::string label() const;          // "own (alice)", "all profiles", "uniform 4-bit"
};

struct TestClip {
    std::string path;                   // clipKey
    std::string id;
    std::string speaker;
    double seconds = 0;
    std::string reference;
    std::string floatTranscript;
};

struct SchemeGain {
    std::string profile;
    std::string versus;                 // "all", "best_other", "uniform"
    int versusScheme = -1;
    Measure measure = Measure::Wer;
    double own = 0, other = 0;          // the measure on the profile's test clips
    PairedInterval gain;                // gainOf(own, other): positive when own is better
    bool identical = false;             // the two schemes are the same variant
};

struct PersonalizationMatrix {
    double targetMb = 0;
    double targetBits = 0;              // the budget as average bits over the layers
    int spread = 1;
    std::vector<int> rows;              // scheme indices: own per profile (profile order), all, uniform
    std::vector<SchemeGain> gains;      // per profile, versus and measure
};

struct PersonalizationResult {
    std::string modelPath;
    std::vector<std::string> layerNames;
    double floatSizeMb = 0;
    std::string audioRoot;
    SplitRecord split;
    std::vector<ProfileClips> profiles;
    CompareOptions options;
    bool transcripts = false;           // CTC labels: WER/CER against float transcripts
    bool references = false;            // some test clip has a reference transcript
    Measure primary = Measure::SqnrDb;  // what "best other" and the headline use

    std::vector<CalibrationSet> calibrationSets;
    std::vector<Scheme> schemes;
    std::vector<TestClip> testClips;
    std::vector<std::vector<std::size_t>> columnClips;  // per profile, then "all": indices into testClips
    std::vector<std::vector<ClipMeasures>> variants;    // per variant, per test clip
    std::vector<std::vector<std::string>> variantTranscripts;  // per variant, per test clip (CTC labels
                                                        // only; not saved in the run's JSON)
    std::vector<PersonalizationMatrix> matrices;
    std::vector<SkippedFile> skipped;

    int threads = 0;
    double elapsedSeconds = 0;
    std::vector<std::pair<std::string, double>> phaseSeconds;  // analysis, calibration, evaluation, ...

    std::vector<std::string> columns() const;  // profile names, then "all"
    // Totals of a scheme over a column's clips.
    ClipMeasures cell(int scheme, std::size_t column) const;
    std::vector<ClipMeasures> clipsOf(int scheme, std::size_t column) const;
};

// The budget for an average of `bits` bits per weight of the given layers (include empty: every
// layer), the other parameters at 32 bits: MiB.
double targetMbForAverageBits(const SizeModel& size, double bits, const std::vector<bool>& include = {});
// The uniform width whose size is closest to targetMb (ties: the narrower, within budget), from
// minBits to 32; its size is size.sizeMb of every included layer at that width.
int closestUniformBits(const SizeModel& size, double targetMb, int minBits, const std::vector<bool>& include = {});
std::vector<int> uniformBits(std::size_t layers, int bits, const std::vector<bool>& include = {});

// Fills every matrix's gains from the variants: per profile, its own scheme against the all scheme,
// the best other profile's scheme (per measure, on the profile's test clips) and uniform, for every
// measure that applies, with paired bootstrap intervals.
void computeGains(PersonalizationResult& result);

// The measure headlines use: WER with references, else WER against float with labels, else SQNR.
Measure primaryMeasure(bool transcripts, bool references);

}  // namespace qs
