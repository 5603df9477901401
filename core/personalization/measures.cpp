// Measures of the personalization matrix as ratios of per-clip sums.
#include "core/personalization/measures.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/base/errors.h"
#include "core/evaluation/output_compare.h"

namespace qs {

std::string measureName(Measure m) {
    switch (m) {
        case Measure::Wer: return "wer";
        case Measure::Cer: return "cer";
        case Measure::WerVsFloat: return "wer_vs_float";
        case Measure::CerVsFloat: return "cer_vs_float";
        case Measure::SqnrDb: return "sqnr_db";
        case Measure::Kl: return "kl";
    }
    return "wer";
}

const std::vector<Measure>& allMeasures() {
    static const std::vector<Measure> all = {Measure::Wer,    Measure::Cer, Measure::WerVsFloat,
                                             Measure::CerVsFloat, Measure::SqnrDb, Measure::Kl};
    return all;
}

Measure parseMeasure(const std::string& name) {
    std::string known;
    for (Measure m : allMeasures()) {
        if (measureName(m) == name) return m;
        known += (known.empty() ? "" : ", ") + measureName(m);
    }
    throw InputError("unknown measure '" + name + "' (known: " + known + ")");
}

bool lowerIsBetter(Measure m) { return m != Measure::SqnrDb; }
bool isRate(Measure m) { return m != Measure::SqnrDb && m != Measure::Kl; }

ClipMeasures& ClipMeasures::operator+=(const ClipMeasures& o) {
    wordErrors += o.wordErrors, words += o.words;
    charErrors += o.charErrors, chars += o.chars;
    floatWordErrors += o.floatWordErrors, floatWords += o.floatWords;
    floatCharErrors += o.floatCharErrors, floatChars += o.floatChars;
    signal += o.signal, noise += o.noise;
    klSum += o.klSum, rows += o.rows;
    clips += o.clips;
    transcriptClips += o.transcriptClips;
    referenceClips += o.referenceClips;
    return *this;
}

namespace {
// Error rates as ErrorCounts::rate() takes them: edits / max(1, reference length).
double ratio(double num, double den) { return num / std::max(1.0, den); }
}  // namespace

double measureValue(Measure m, const ClipMeasures& t) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    switch (m) {
        case Measure::Wer: return t.referenceClips > 0 ? ratio(t.wordErrors, t.words) : nan;
        case Measure::Cer: return t.referenceClips > 0 ? ratio(t.charErrors, t.chars) : nan;
        case Measure::WerVsFloat: return t.transcriptClips > 0 ? ratio(t.floatWordErrors, t.floatWords) : nan;
        case Measure::CerVsFloat: return t.transcriptClips > 0 ? ratio(t.floatCharErrors, t.floatChars) : nan;
        case Measure::SqnrDb: {
            if (t.clips == 0) return nan;
            if (t.noise <= 0) return kMaxSqnrDb;
            if (t.signal <= 0) return -kMaxSqnrDb;
            return std::clamp(10.0 * std::log10(t.signal / t.noise), -kMaxSqnrDb, kMaxSqnrDb);
        }
        case Measure::Kl: return t.rows > 0 ? t.klSum / t.rows : nan;
    }
    return nan;
}

double gainOf(Measure m, double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
    return lowerIsBetter(m) ? b - a : a - b;
}

}  // namespace qs
