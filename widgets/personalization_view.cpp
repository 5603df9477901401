// The Personalization view: controls, heatmap, gain bars and the clips' purposes.
#include "widgets/personalization_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/personalization/personalization_io.h"
#include "widgets/gain_bars.h"
#include "widgets/matrix_heatmap.h"
#include "widgets/plot_style.h"

namespace qs::gui {

namespace {

QString measureLabel(Measure m) {
    switch (m) {
        case Measure::Wer: return QObject::tr("WER");
        case Measure::Cer: return QObject::tr("CER");
        case Measure::WerVsFloat: return QObject::tr("WER against float (label-free)");
        case Measure::CerVsFloat: return QObject::tr("CER against float (label-free)");
        case Measure::SqnrDb: return QObject::tr("output SQNR");
        case Measure::Kl: return QObject::tr("output KL");
    }
    return QString();
}

// "3, 4.5" -> {3, 4.5}; empty on anything else.
std::vector<double> numbers(const QString& text, bool* ok) {
    std::vector<double> out;
    *ok = true;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool good = false;
        const double v = part.trimmed().toDouble(&good);
        if (!good || !(v > 0)) {
            *ok = false;
            return {};
        }
        out.push_back(v);
    }
    *ok = *ok && !out.empty();
    return out;
}

}  // namespace

PersonalizationView::PersonalizationView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("personalizationView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);

    auto* controls = new QHBoxLayout;
    controls->setSpacing(6);
    budgets_ = new QLineEdit(QStringLiteral("3, 4"), this);
    budgets_->setObjectName(QStringLiteral("personalBudgets"));
    budgets_->setMaximumWidth(110);
    budgets_->setToolTip(tr("Budgets as average bits per weight, separated by commas"));
    spreads_ = new QLineEdit(QStringLiteral("1"), this);
    spreads_->setObjectName(QStringLiteral("personalSpreads"));
    spreads_->setMaximumWidth(70);
    spreads_->setToolTip(tr("Spreads (relaxed uniformity), separated by commas: 1 is myQASR's Algorithm 1"));
    run_ = new QPushButton(tr("Compare"), this);
    run_->setObjectName(QStringLiteral("personalRun"));
    run_->setToolTip(tr("Build each profile's own scheme, the all-profiles and the uniform scheme from the tune "
                        "clips, and measure every scheme on every profile's test clips"));
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setObjectName(QStringLiteral("personalCancel"));
    cancel_->setEnabled(false);
    matrix_ = new QComboBox(this);
    matrix_->setObjectName(QStringLiteral("personalMatrix"));
    matrix_->setMinimumContentsLength(16);
    measure_ = new QComboBox(this);
    measure_->setObjectName(QStringLiteral("personalMeasure"));
    for (Measure m : allMeasures()) measure_->addItem(measureLabel(m), int(m));
    controls->addWidget(new QLabel(tr("Budgets (bits)"), this));
    controls->addWidget(budgets_);
    controls->addWidget(new QLabel(tr("Spreads"), this));
    controls->addWidget(spreads_);
    controls->addWidget(run_);
    controls->addWidget(cancel_);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Show"), this));
    controls->addWidget(matrix_);
    controls->addWidget(measure_);
    controls->addStretch(1);
    layout->addLayout(controls);

    note_ = new QLabel(this);
    note_->setObjectName(QStringLiteral("personalNote"));
    note_->setWordWrap(true);
    note_->setStyleSheet(QStringLiteral("color: #555;"));
    layout->addWidget(note_);
    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("personalSummary"));
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(summary_);

    auto* split = new QSplitter(Qt::Vertical, this);
    auto* figures = new QSplitter(Qt::Horizontal, split);
    heatmap_ = new MatrixHeatmap(figures);
    gains_ = new GainBars(figures);
    figures->setStretchFactor(0, 1);
    figures->setStretchFactor(1, 1);
    figures->setSizes({1000, 1000});  // half each, whatever the width
    clips_ = new QTreeWidget(split);
    clips_->setObjectName(QStringLiteral("personalClips"));
    clips_->setColumnCount(4);
    clips_->setHeaderLabels({tr("Clip"), tr("Speaker"), tr("Part"), tr("Used for")});
    clips_->setRootIsDecorated(true);
    clips_->setUniformRowHeights(true);
    clips_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    for (int c = 1; c < 4; ++c) clips_->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    clips_->header()->setStretchLastSection(false);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    connect(run_, &QPushButton::clicked, this, &PersonalizationView::runRequested);
    connect(cancel_, &QPushButton::clicked, this, &PersonalizationView::cancelRequested);
    connect(matrix_, &QComboBox::currentIndexChanged, this, &PersonalizationView::refresh);
    connect(measure_, &QComboBox::currentIndexChanged, this, &PersonalizationView::refresh);
    setResult(nullptr);
}

std::vector<double> PersonalizationView::budgetBits(QString* error) const {
    bool ok = false;
    std::vector<double> out = numbers(budgets_->text(), &ok);
    for (double b : out) ok = ok && b <= 32;
    if (!ok && error) *error = tr("type the budgets as bits per weight separated by commas, e.g. 3, 4");
    return ok ? out : std::vector<double>{};
}

std::vector<int> PersonalizationView::spreads(QString* error) const {
    bool ok = false;
    const std::vector<double> v = numbers(spreads_->text(), &ok);
    std::vector<int> out;
    for (double s : v) {
        ok = ok && s == std::floor(s) && s <= 31;
        out.push_back(int(s));
    }
    if (!ok && error) *error = tr("type the spreads as whole numbers from 1 to 31 separated by commas, e.g. 1, 2");
    return ok ? out : std::vector<int>{};
}

void PersonalizationView::setBudgetBits(const QString& text) { budgets_->setText(text); }
void PersonalizationView::setSpreads(const QString& text) { spreads_->setText(text); }

void PersonalizationView::setRunning(bool running) {
    run_->setEnabled(!running);
    cancel_->setEnabled(running);
}

void PersonalizationView::setNote(const QString& text) { note_->setText(text); }

QString PersonalizationView::summary() const { return summary_->text(); }

void PersonalizationView::setResult(std::shared_ptr<const PersonalizationResult> result) {
    result_ = std::move(result);
    {
        QSignalBlocker block(matrix_);
        matrix_->clear();
        if (result_)
            for (const PersonalizationMatrix& m : result_->matrices)
                matrix_->addItem(tr("%1 bits, spread %2").arg(m.targetBits, 0, 'f', 2).arg(m.spread));
        matrix_->setEnabled(matrix_->count() > 0);
    }
    if (result_) {
        QSignalBlocker block(measure_);
        measure_->setCurrentIndex(measure_->findData(int(result_->primary)));
    }
    fillClips();
    refresh();
}

void PersonalizationView::showMatrix(int index) { matrix_->setCurrentIndex(index); }

void PersonalizationView::showMeasure(Measure m) { measure_->setCurrentIndex(measure_->findData(int(m))); }

void PersonalizationView::refresh() {
    const int index = matrix_->currentIndex();
    const Measure m = Measure(measure_->currentData().toInt());
    heatmap_->setMatrix(result_, index, m);
    gains_->setMatrix(result_, index, m);
    if (!result_ || index < 0) {
        summary_->clear();
        return;
    }
    const PersonalizationResult& r = *result_;
    const PersonalizationMatrix& matrix = r.matrices[std::size_t(index)];
    int better = 0, worse = 0, same = 0, minDiff = 1 << 30, maxDiff = 0;
    for (const SchemeGain& g : matrix.gains) {
        if (g.measure != m || g.versus != "all") continue;
        if (g.identical || g.gain.containsZero()) ++same;
        else if (g.gain.low > 0) ++better;
        else ++worse;
    }
    for (int s : matrix.rows) {
        const Scheme& scheme = r.schemes[std::size_t(s)];
        if (scheme.kind != "own") continue;
        minDiff = std::min(minDiff, scheme.differingFromAll), maxDiff = std::max(maxDiff, scheme.differingFromAll);
    }
    QString text = tr("<b>Own scheme against the all-profiles scheme (%1):</b> better for %2, worse for %3, "
                      "<b>no measurable difference</b> for %4 of %5 profiles.")
                       .arg(measureLabel(m))
                       .arg(better)
                       .arg(worse)
                       .arg(same)
                       .arg(r.profiles.size());
    if (maxDiff >= minDiff)
        text += tr(" Own allocations differ from the shared one in %1–%2 of %3 layers.")
                    .arg(minDiff)
                    .arg(maxDiff)
                    .arg(r.layerNames.size());
    text += tr(" %1 test clips, %2 distinct schemes, %3.")
                .arg(r.testClips.size())
                .arg(r.variants.size())
                .arg(formatSeconds(r.elapsedSeconds));
    summary_->setText(text);
}

void PersonalizationView::fillClips() {
    clips_->clear();
    if (!result_) return;
    const PersonalizationResult& r = *result_;
    std::map<std::string, std::set<std::string>> calibratedBy;
    for (const CalibrationSet& s : r.calibrationSets)
        for (const std::string& c : s.clips) calibratedBy[c].insert(s.name);
    for (const ProfileClips& p : r.profiles) {
        auto* profile = new QTreeWidgetItem(clips_);
        profile->setText(0, QString::fromStdString(p.name));
        profile->setText(2, tr("%1 tune, %2 test").arg(p.tuneClips).arg(p.testClips));
        const std::set<std::string> members(p.speakers.begin(), p.speakers.end());
        for (const SplitFile& f : r.split.files) {
            if (!members.count(f.speaker)) continue;
            auto* item = new QTreeWidgetItem(profile);
            item->setText(0, QString::fromStdString(f.path));
            item->setText(1, QString::fromStdString(f.speaker));
            item->setText(2, QString::fromStdString(clipPartName(f.part)));
            QString used = f.part == ClipPart::Test ? tr("evaluation") : f.part == ClipPart::Tune ? tr("analysis") : tr("nothing");
            auto c = calibratedBy.find(f.path);
            if (f.part == ClipPart::Tune && c != calibratedBy.end()) {
                QStringList sets;
                for (const std::string& s : c->second) sets << QString::fromStdString(s);
                used += tr(", calibration of %1").arg(sets.join(QStringLiteral(", ")));
            }
            item->setText(3, used);
            item->setForeground(2, f.part == ClipPart::Test ? QColor("#1f6f3f") : QColor("#2c5c9c"));
        }
    }
}

}  // namespace qs::gui
