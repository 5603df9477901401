// What the personalization matrix measures, kept per clip as sums so that every figure (a profile's
// WER, its SQNR, a bootstrap resample's) is a ratio of totals over a set of clips, exactly as
// `evaluate` computes corpus-level figures: WER = Σ word edits / Σ reference words, SQNR =
// 10 log10(Σ f² / Σ (f − q)²), KL = Σ row KL / Σ rows.
#pragma once

#include <string>
#include <vector>

namespace qs {

enum class Measure {
    Wer,         // quantized transcript against the reference (needs transcripts)
    Cer,
    WerVsFloat,  // quantized transcript against the float transcript (label-free; needs CTC labels)
    CerVsFloat,
    SqnrDb,      // quantized output against the float output
    Kl,
};

std::string measureName(Measure m);  // "wer", "cer", "wer_vs_float", "cer_vs_float", "sqnr_db", "kl"
Measure parseMeasure(const std::string& name);  // throws InputError listing the names
const std::vector<Measure>& allMeasures();
bool lowerIsBetter(Measure m);  // every measure but SQNR
bool isRate(Measure m);         // WER/CER measures (fractions, shown as %)

// One clip's sums (or the totals over several clips).
struct ClipMeasures {
    double wordErrors = 0, words = 0;          // against the reference; words of the reference
    double charErrors = 0, chars = 0;
    double floatWordErrors = 0, floatWords = 0;  // against the float transcript
    double floatCharErrors = 0, floatChars = 0;
    double signal = 0, noise = 0;              // Σ f², Σ (f − q)² over the output
    double klSum = 0, rows = 0;                // Σ over output rows of KL(softmax f ‖ softmax q)
    int clips = 0;
    int transcriptClips = 0;                   // clips with greedy transcripts (the model has CTC labels)
    int referenceClips = 0;                    // of those, clips with a reference transcript

    ClipMeasures& operator+=(const ClipMeasures& o);
};

// The measure over the totals; NaN when it does not apply (no reference words, no transcripts).
// SQNR is clamped to ±300 dB like everywhere else (kMaxSqnrDb).
double measureValue(Measure m, const ClipMeasures& totals);

// "gain" of a over b for measure m, positive when a is better: b − a for lower-is-better measures,
// a − b for SQNR. NaN when either is NaN.
double gainOf(Measure m, double a, double b);

}  // namespace qs
