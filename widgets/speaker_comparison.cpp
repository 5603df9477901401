// Building the speaker comparison data: scores, allocations and differing budget ranges.
#include "widgets/speaker_comparison.h"

#include <QCoreApplication>
#include <QStringList>
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "widgets/plot_style.h"

namespace qs::gui {

namespace {
QString tr(const char* s) { return QCoreApplication::translate("SpeakerComparison", s); }
QString layerCount(int n) { return n == 1 ? tr("1 layer") : tr("%1 layers").arg(n); }
}  // namespace

std::vector<int> SpeakerComparison::differingLayers() const {
    std::vector<int> out;
    if (!valid()) return out;
    for (std::size_t i = 0; i < bitsA.size(); ++i)
        if (bitsA[i] != bitsB[i]) out.push_back(int(i));
    return out;
}

int SpeakerComparison::maxDiffering() const {
    int m = 0;
    for (const auto& r : ranges) m = std::max(m, r.differing);
    return m;
}

double SpeakerComparison::differingShare() const {
    double all = 0, diff = 0;
    for (const auto& r : ranges) {
        all += r.toMb - r.fromMb;
        if (r.differing > 0) diff += r.toMb - r.fromMb;
    }
    return all > 0 ? diff / all : 0.0;
}

QString comparisonHeadline(const SpeakerComparison& c) {
    if (!c.valid()) return tr("Choose two speakers to compare");
    const std::vector<int> diff = c.differingLayers();
    const QString at = tr("At %1").arg(formatMb(c.targetMb));
    if (diff.empty()) return tr("%1: identical allocation at this budget").arg(at);
    int maxGap = 0;
    for (int i : diff) maxGap = std::max(maxGap, std::abs(c.bitsA[std::size_t(i)] - c.bitsB[std::size_t(i)]));
    const QString by = maxGap == 1 ? tr("by one bit") : tr("by up to %1 bits").arg(maxGap);
    return (diff.size() == 1 ? tr("%1: %2 of %3 layers differs %4") : tr("%1: %2 of %3 layers differ %4"))
        .arg(at)
        .arg(diff.size())
        .arg(c.bitsA.size())
        .arg(by);
}

QString comparisonDetails(const SpeakerComparison& c, const std::vector<std::string>& names) {
    if (!c.valid()) return QString();
    QStringList parts;
    const std::vector<int> diff = c.differingLayers();
    if (!diff.empty()) {
        QStringList layers;
        for (int i : diff) {
            const QString name = std::size_t(i) < names.size() ? QString::fromStdString(names[std::size_t(i)])
                                                               : QString::number(i);
            layers << QStringLiteral("%1 (%2: %3, %4: %5)")
                          .arg(name, c.a)
                          .arg(c.bitsA[std::size_t(i)])
                          .arg(c.b)
                          .arg(c.bitsB[std::size_t(i)]);
        }
        parts << tr("Layers that differ here: %1.").arg(layers.join(QStringLiteral("; ")));
    }
    const int maxDiff = c.maxDiffering();
    if (maxDiff == 0) {
        parts << tr("The two allocations are identical at every budget.");
    } else {
        parts << tr("Over all budgets, the allocations differ for %1% of the range, in at most %2.")
                     .arg(100.0 * c.differingShare(), 0, 'f', 1)
                     .arg(layerCount(maxDiff));
        // The nearest budgets below and above the current one where they differ.
        const BudgetRange* below = nullptr;
        const BudgetRange* above = nullptr;
        for (const auto& r : c.ranges) {
            if (r.differing == 0) continue;
            if (r.toMb < c.targetMb) below = &r;
            if (r.fromMb >= c.targetMb && !above) above = &r;
        }
        auto span = [](const BudgetRange& r) {
            return tr("%1–%2 MB (%3)").arg(r.fromMb, 0, 'f', 4).arg(r.toMb, 0, 'f', 4).arg(layerCount(r.differing));
        };
        QStringList nearest;
        if (below) nearest << tr("below: %1").arg(span(*below));
        if (above) nearest << tr("above: %1").arg(span(*above));
        if (diff.empty() && !nearest.isEmpty())
            parts << tr("Nearest budgets where they differ, %1.").arg(nearest.join(QStringLiteral("; ")));
    }
    if (std::isfinite(c.pearson))
        parts << tr("Score correlation: Pearson %1, Spearman %2.")
                     .arg(c.pearson, 0, 'f', 4)
                     .arg(c.spearman, 0, 'f', 4);
    return parts.join(QLatin1Char(' '));
}

}  // namespace qs::gui
