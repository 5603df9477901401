// Budget curves per speaker, rebuilt when the settings change, and the allocation at the current
// target.
#include "app/gui/budget_controller.h"

#include <algorithm>
#include <cmath>

#include "app/gui/speaker_stats.h"
#include "core/base/errors.h"
#include "core/allocation/sensitivity.h"
#include "core/allocation/size_model.h"

namespace qs::gui {

AllocationSettings BudgetController::allocationSettings() const {
    AllocationSettings s;
    s.order = settings_.order;
    s.minBits = settings_.minBits;
    s.spread = settings_.spread;
    if (analysis_ && settings_.include.size() == analysis_->layers.size()) s.include = settings_.include;
    if (analysis_ && settings_.fitFiles) s.fitFiles = std::make_shared<FileSizeModel>(FileSizeModel::forAnalysis(*analysis_, {}));
    return s;
}

void BudgetController::setAnalysis(std::shared_ptr<const Analysis> analysis) {
    analysis_ = std::move(analysis);
    if (analysis_ && settings_.include.size() != analysis_->layers.size()) settings_.include.clear();
    if (analysis_ && !analysis_->hasSpeaker(settings_.speaker)) settings_.speaker = kAllSpeakers;
    target_ = 0.0;
    rebuild();
}

void BudgetController::setAnalysis(std::shared_ptr<const Analysis> analysis, const BudgetSettings& settings) {
    settings_ = settings;
    setAnalysis(std::move(analysis));
}

void BudgetController::setSettings(const BudgetSettings& settings) {
    settings_ = settings;
    rebuild();
}

void BudgetController::rebuild() {
    curves_.clear();
    ranges_.clear();
    hasRange_ = false;
    problem_.clear();
    allocation_ = {};
    minMb_ = floatMb_ = 0.0;
    if (analysis_ && !analysis_->layers.empty()) {
        try {
            const SizeModel size = sizeModelFor(*analysis_);
            const AllocationSettings alloc = allocationSettings();
            for (const std::string& speaker : availableSpeakers(*analysis_)) {
                SpeakerCurve c;
                c.scores = layerScores(*analysis_, settings_.metric, speaker);
                c.curve = BudgetCurve::build(size, c.scores, alloc);
                for (const CurvePoint& p : c.curve.points()) c.sizes.push_back(p.sizeMb);
                curves_.emplace(speaker, std::move(c));
            }
            const BudgetCurve& any = curves_.begin()->second.curve;
            minMb_ = any.minSizeMb();
            floatMb_ = any.floatSizeMb();
            hasRange_ = floatMb_ > minMb_;
            if (!hasRange_) problem_ = tr("every layer is excluded: nothing to allocate");
        } catch (const std::exception& e) {
            curves_.clear();
            problem_ = QString::fromUtf8(e.what());
        }
    }
    if (!curves_.count(settings_.speaker)) settings_.speaker = kAllSpeakers;
    emit curvesChanged();
    if (hasRange_) {
        setTarget(target_ > 0 ? target_ : defaultTarget());
    } else {
        for (auto& [name, c] : curves_) c.bits.clear();
        emit allocationChanged();
    }
}

double BudgetController::defaultTarget() const {
    if (!analysis_ || !hasRange_) return 0.0;
    const SizeModel size = sizeModelFor(*analysis_);
    const AllocationSettings alloc = allocationSettings();
    auto uniform = [&](int b) {
        std::vector<int> bits(analysis_->layers.size(), kFloatBits);
        for (std::size_t i = 0; i < bits.size(); ++i)
            if (alloc.include.empty() || alloc.include[i]) bits[i] = b;
        return size.sizeMb(bits);
    };
    if (settings_.minBits <= 4) return 0.5 * (uniform(4) + uniform(5));
    return 0.5 * (minMb_ + floatMb_);
}

void BudgetController::setTarget(double mb) {
    if (!hasRange_) return;
    // Targets live in (floor, float]: the floor itself is unreachable (sizes must drop strictly below).
    target_ = std::clamp(mb, std::nextafter(minMb_, HUGE_VAL), floatMb_);
    lookup();
    emit allocationChanged();
}

void BudgetController::lookup() {
    problem_.clear();
    try {
        for (auto& [name, c] : curves_) c.bits = c.curve.lookup(target_);
        AllocationRequest request;
        request.targetMb = target_;
        request.metric = settings_.metric;
        request.speaker = settings_.speaker;
        request.settings = allocationSettings();
        const SpeakerCurve& primary = curves_.at(settings_.speaker);
        allocation_ = describeAllocation(*analysis_, request, primary.scores, primary.bits);
    } catch (const std::exception& e) {
        problem_ = QString::fromUtf8(e.what());
        for (auto& [name, c] : curves_) c.bits.clear();
        allocation_ = {};
    }
}

QStringList BudgetController::speakers() const {
    QStringList out;
    if (!analysis_) return out;
    for (const std::string& s : availableSpeakers(*analysis_)) out << QString::fromStdString(s);
    return out;
}

std::vector<double> BudgetController::scores(const std::string& speaker) const {
    auto it = curves_.find(speaker);
    return it == curves_.end() ? std::vector<double>{} : it->second.scores;
}

std::vector<int> BudgetController::bits(const std::string& speaker) const {
    auto it = curves_.find(speaker);
    return it == curves_.end() ? std::vector<int>{} : it->second.bits;
}

BudgetCurveData BudgetController::curveData() const {
    BudgetCurveData d;
    auto it = curves_.find(settings_.speaker);
    if (!hasRange_ || it == curves_.end()) return d;
    const SizeModel size = sizeModelFor(*analysis_);
    const BudgetCurve& curve = it->second.curve;
    const int steps = curve.steps();
    const int stride = std::max(1, steps / 3000);  // enough points for any plot width
    std::vector<int> states;
    for (int k = 0; k < steps; k += stride) states.push_back(k);
    states.push_back(steps);
    for (int k : states) {
        const std::vector<int> b = curve.bitsAt(k);
        d.sizeMb << curve.sizeMbAt(k);
        d.averageBits << size.averageBits(b);
        d.layerMeanBits << size.plainAverageBits(b);
    }
    // Every included layer at one width (states of the chain only when the spread is 1).
    const AllocationSettings alloc = allocationSettings();
    for (int b = kFloatBits; b >= curve.minBits() && !curve.order().empty(); --b) {
        std::vector<int> bits(analysis_->layers.size(), kFloatBits);
        for (std::size_t i = 0; i < bits.size(); ++i)
            if (alloc.include.empty() || alloc.include[i]) bits[i] = b;
        d.uniformSizeMb << size.sizeMb(bits);
        d.uniformAverageBits << size.averageBits(bits);
        d.uniformBits << b;
    }
    return d;
}

SpeakerComparison BudgetController::compare(const QString& a, const QString& b) const {
    SpeakerComparison c;
    c.a = a;
    c.b = b;
    const auto ia = curves_.find(a.toStdString()), ib = curves_.find(b.toStdString());
    if (ia == curves_.end() || ib == curves_.end() || ia->second.bits.empty() || ib->second.bits.empty()) return c;
    c.scoresA = ia->second.scores;
    c.scoresB = ib->second.scores;
    c.bitsA = ia->second.bits;
    c.bitsB = ib->second.bits;
    c.targetMb = target_;
    c.pearson = pearson(c.scoresA, c.scoresB);
    c.spearman = spearman(c.scoresA, c.scoresB);
    auto& ranges = ranges_[{ia->first, ib->first}];
    if (ranges.empty())
        ranges = differingBudgets(ia->second.curve, ia->second.sizes, ib->second.curve, ib->second.sizes);
    c.ranges = ranges;
    return c;
}

}  // namespace qs::gui
