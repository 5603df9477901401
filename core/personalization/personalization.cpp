// The arithmetic on a personalization result: cells, budgets in bits, the uniform width and the
// gains with their bootstrap intervals.
#include "core/personalization/personalization.h"

#include <cmath>
#include <cstdlib>

#include "core/base/errors.h"

namespace qs {

std::string Scheme::label() const {
    if (kind == "own") return "own (" + profile + ")";
    if (kind == "all") return "all profiles";
    if (kind == "rule" || kind == "random") return kind + " (" + profile + ")";  // the scoring comparison's
    return "uniform " + std::to_string(uniformBits) + "-bit";
}

std::vector<std::string> PersonalizationResult::columns() const {
    std::vector<std::string> out;
    for (const ProfileClips& p : profiles) out.push_back(p.name);
    out.push_back("all");
    return out;
}

std::vector<ClipMeasures> PersonalizationResult::clipsOf(int scheme, std::size_t column) const {
    const std::vector<ClipMeasures>& v = variants.at(std::size_t(schemes.at(std::size_t(scheme)).variant));
    std::vector<ClipMeasures> out;
    for (std::size_t i : columnClips.at(column)) out.push_back(v[i]);
    return out;
}

ClipMeasures PersonalizationResult::cell(int scheme, std::size_t column) const {
    ClipMeasures total;
    for (const ClipMeasures& c : clipsOf(scheme, column)) total += c;
    return total;
}

double targetMbForAverageBits(const SizeModel& size, double bits, const std::vector<bool>& include) {
    if (!(bits > 0 && bits <= kFloatBits)) throw InputError("a budget in bits must be above 0 and at most 32");
    double total = double(size.floatBits());
    for (std::size_t i = 0; i < size.layerCount(); ++i)
        if (include.empty() || include[i]) total -= double(size.layerParams(i)) * (kFloatBits - bits);
    return total / kBitsPerMb;
}

std::vector<int> uniformBits(std::size_t layers, int bits, const std::vector<bool>& include) {
    std::vector<int> out(layers, kFloatBits);
    for (std::size_t i = 0; i < layers; ++i)
        if (include.empty() || include[i]) out[i] = bits;
    return out;
}

int closestUniformBits(const SizeModel& size, double targetMb, int minBits, const std::vector<bool>& include) {
    int best = kFloatBits;
    double bestGap = HUGE_VAL;
    for (int b = std::max(1, minBits); b <= kFloatBits; ++b) {
        const double gap = std::abs(size.sizeMb(uniformBits(size.layerCount(), b, include)) - targetMb);
        if (gap < bestGap) best = b, bestGap = gap;  // ascending b: ties keep the narrower
    }
    return best;
}

Measure primaryMeasure(bool transcripts, bool references) {
    if (transcripts && references) return Measure::Wer;
    if (transcripts) return Measure::WerVsFloat;
    return Measure::SqnrDb;
}

namespace {

double valueOn(const PersonalizationResult& r, int scheme, std::size_t column, Measure m) {
    return measureValue(m, r.cell(scheme, column));
}

}  // namespace

void computeGains(PersonalizationResult& r) {
    for (PersonalizationMatrix& matrix : r.matrices) {
        matrix.gains.clear();
        int all = -1, uniform = -1;
        std::vector<int> own(r.profiles.size(), -1);
        for (int s : matrix.rows) {
            const Scheme& scheme = r.schemes[std::size_t(s)];
            if (scheme.kind == "all") all = s;
            if (scheme.kind == "uniform") uniform = s;
            if (scheme.kind == "own")
                for (std::size_t p = 0; p < r.profiles.size(); ++p)
                    if (r.profiles[p].name == scheme.profile) own[p] = s;
        }
        for (std::size_t p = 0; p < r.profiles.size(); ++p) {
            if (own[p] < 0 || r.columnClips[p].empty()) continue;
            const std::vector<ClipMeasures> mine = r.clipsOf(own[p], p);
            for (Measure m : allMeasures()) {
                if (std::isnan(valueOn(r, own[p], p, m))) continue;  // does not apply here
                auto compare = [&](const std::string& versus, int other) {
                    if (other < 0) return;
                    SchemeGain g;
                    g.profile = r.profiles[p].name;
                    g.versus = versus;
                    g.versusScheme = other;
                    g.measure = m;
                    g.own = valueOn(r, own[p], p, m);
                    g.other = valueOn(r, other, p, m);
                    g.identical = r.schemes[std::size_t(other)].variant == r.schemes[std::size_t(own[p])].variant;
                    g.gain = pairedGain(m, mine, r.clipsOf(other, p), r.options.bootstrap);
                    matrix.gains.push_back(g);
                };
                compare("all", all);
                // The best other profile's own scheme on this profile's test clips, for this measure.
                int best = -1;
                double bestValue = 0;
                for (std::size_t q = 0; q < r.profiles.size(); ++q) {
                    if (q == p || own[q] < 0) continue;
                    const double v = valueOn(r, own[q], p, m);
                    if (best < 0 || gainOf(m, v, bestValue) > 0) best = own[q], bestValue = v;
                }
                compare("best_other", best);
                compare("uniform", uniform);
            }
        }
    }
}

}  // namespace qs
