// The Scoring view: controls, the bars of one measure, the table of all measures, the recommendation
// and the apply buttons.
#include "widgets/scoring_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

#include "widgets/scoring_bars.h"

namespace qs::gui {

namespace {

const Measure kShown[] = {Measure::Wer, Measure::WerVsFloat, Measure::SqnrDb, Measure::Kl};

QString measureLabel(Measure m) {
    switch (m) {
        case Measure::Wer: return QObject::tr("WER %");
        case Measure::WerVsFloat: return QObject::tr("WER vs float %");
        case Measure::SqnrDb: return QObject::tr("SQNR dB");
        case Measure::Kl: return QObject::tr("KL");
        default: return QString::fromStdString(measureName(m));
    }
}

}  // namespace

ScoringView::ScoringView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Random draws:")));
    random_ = new QSpinBox;
    random_->setRange(0, 20);
    random_->setValue(3);
    random_->setToolTip(tr("The default allocation with its extra bits given to randomly drawn layers, within the budget: "
                           "the baseline a scoring rule must beat"));
    controls->addWidget(random_);
    distances_ = new QCheckBox(tr("Distance scores (kl, l1, l2, cosine, sqnr)"));
    distances_->setToolTip(tr("One forward pass per layer per clip: the costly part of the comparison"));
    distances_->setChecked(true);
    controls->addWidget(distances_);
    perProfile_ = new QCheckBox(tr("Each speaker on its own"));
    perProfile_->setToolTip(tr("One comparison per speaker (or per speaker group, when groups are loaded), each on its own "
                               "tune and test clips, to see whether the best rule differs between users; "
                               "unchecked, every checked speaker is pooled"));
    controls->addWidget(perProfile_);
    run_ = new QPushButton(tr("Compare rules"));
    run_->setToolTip(tr("Every metric × order at the budget panel's budget, calibrated alike, on test clips"));
    cancel_ = new QPushButton(tr("Cancel"));
    cancel_->setEnabled(false);
    controls->addWidget(run_);
    controls->addWidget(cancel_);
    controls->addSpacing(20);
    controls->addWidget(new QLabel(tr("Profile:")));
    profile_ = new QComboBox;
    controls->addWidget(profile_);
    controls->addWidget(new QLabel(tr("Measure:")));
    measure_ = new QComboBox;
    for (Measure m : kShown) measure_->addItem(measureLabel(m), int(m));
    controls->addWidget(measure_);
    controls->addStretch(1);
    layout->addLayout(controls);
    note_ = new QLabel;
    note_->setWordWrap(true);
    layout->addWidget(note_);
    auto* rec = new QHBoxLayout;
    recommendation_ = new QLabel;
    recommendation_->setWordWrap(true);
    recommendation_->setTextFormat(Qt::RichText);
    rec->addWidget(recommendation_, 1);
    applyRecommended_ = new QPushButton(tr("Apply recommendation"));
    apply_ = new QPushButton(tr("Apply selected rule"));
    applyRecommended_->setToolTip(tr("Sets the budget panel's metric and order to the recommended rule"));
    apply_->setToolTip(tr("Sets the budget panel's metric and order to the rule selected in the table (or double-click a row)"));
    rec->addWidget(applyRecommended_);
    rec->addWidget(apply_);
    layout->addLayout(rec);

    auto* split = new QSplitter(Qt::Horizontal);
    bars_ = new ScoringBars;
    table_ = new QTableWidget;
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    split->addWidget(bars_);
    split->addWidget(table_);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    connect(run_, &QPushButton::clicked, this, &ScoringView::runRequested);
    connect(cancel_, &QPushButton::clicked, this, &ScoringView::cancelRequested);
    connect(profile_, &QComboBox::currentIndexChanged, this, [this](int i) { showProfile(i); });
    connect(measure_, &QComboBox::currentIndexChanged, this, [this] { refresh(); });
    connect(apply_, &QPushButton::clicked, this, [this] { applyRow(table_->currentRow()); });
    connect(applyRecommended_, &QPushButton::clicked, this, [this] {
        if (const ScoringBudget* b = budget()) applyRow(b->recommendation.row);
    });
    connect(table_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { applyRow(row); });
    connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) {
        ScoringRule r;
        apply_->setEnabled(ruleOfRow(row, &r));
    });
    setResult(nullptr);
}

int ScoringView::randomDraws() const { return random_->value(); }
bool ScoringView::distanceRules() const { return distances_->isChecked(); }
void ScoringView::setDistanceRules(bool on) { distances_->setChecked(on); }
bool ScoringView::perProfile() const { return perProfile_->isChecked(); }
void ScoringView::setPerProfile(bool on) { perProfile_->setChecked(on); }

std::vector<ScoringRule> ScoringView::rules() const {
    std::vector<ScoringRule> out;
    for (const ScoringRule& r : everyRule())
        if (distanceRules() || isStatistic(r.metric)) out.push_back(r);
    return out;
}

void ScoringView::setNote(const QString& text) { note_->setText(text); }

void ScoringView::setRunning(bool running) {
    run_->setEnabled(!running);
    cancel_->setEnabled(running);
}

void ScoringView::setResult(std::shared_ptr<const ScoringResult> result) {
    result_ = std::move(result);
    const QSignalBlocker block(profile_);
    profile_->clear();
    if (result_)
        for (const ProfileScoring& p : result_->profiles) profile_->addItem(QString::fromStdString(p.profile));
    profile_->setEnabled(profile_->count() > 1);
    refresh();
}

void ScoringView::showProfile(int index) {
    if (index >= 0 && index < profile_->count() && profile_->currentIndex() != index) profile_->setCurrentIndex(index);
    refresh();
}

void ScoringView::showMeasure(Measure m) {
    const int i = measure_->findData(int(m));
    if (i >= 0) measure_->setCurrentIndex(i);
    refresh();
}

const ScoringBudget* ScoringView::budget() const {
    const int p = profile_->currentIndex();
    if (!result_ || p < 0 || p >= int(result_->profiles.size()) || result_->profiles[std::size_t(p)].budgets.empty()) return nullptr;
    return &result_->profiles[std::size_t(p)].budgets[0];
}

QString ScoringView::recommendationText() const { return recommendation_->text(); }

bool ScoringView::ruleOfRow(int row, ScoringRule* rule) const {
    const ScoringBudget* b = budget();
    if (!b || row < 0 || row >= int(b->rows.size()) || b->rows[std::size_t(row)].kind != "rule") return false;
    *rule = b->rows[std::size_t(row)].rule;
    return true;
}

void ScoringView::applyRow(int row) {
    ScoringRule r;
    if (ruleOfRow(row, &r))
        emit applyRequested(QString::fromStdString(metricName(r.metric)), QString::fromStdString(orderName(r.order)));
}

void ScoringView::refresh() {
    const ScoringBudget* b = budget();
    const Measure measure = Measure(measure_->currentData().toInt());
    const double confidence = result_ ? result_->options.run.bootstrap.confidence : 0.95;
    bars_->setBudget(b, measure, confidence);
    table_->clear();
    applyRecommended_->setEnabled(b && b->recommendation.switched);
    apply_->setEnabled(false);
    if (!b) {
        recommendation_->setText(tr("No comparison yet."));
        table_->setRowCount(0);
        table_->setColumnCount(0);
        return;
    }
    const Recommendation& rec = b->recommendation;
    // "keep the default median, descending: the best rule, ..." -> "Keep the default (median,
    // descending). The best rule, ..."; a switch names the rule in bold the same way.
    const QString text = QString::fromStdString(rec.text);
    const int colon = text.indexOf(QStringLiteral(": "));
    QString rest = colon >= 0 ? text.mid(colon + 2) : text;
    if (!rest.isEmpty()) rest[0] = rest[0].toUpper();
    const QString head = rec.switched ? tr("Recommended: %1.").arg(QString::fromStdString(b->rows[std::size_t(rec.row)].rule.name()))
                                      : tr("Keep the default (%1).").arg(QString::fromStdString(b->rows[0].rule.name()));
    recommendation_->setText(QStringLiteral("<b>%1</b> %2").arg(head.toHtmlEscaped(), rest.toHtmlEscaped()));
    QStringList headers = {tr("rule"), tr("size MB"), tr("bits"), tr("layers moved")};
    std::vector<Measure> measures;
    for (Measure m : kShown)
        if (b->rows[0].find(m)) measures.push_back(m), headers << measureLabel(m);
    table_->setColumnCount(headers.size());
    table_->setHorizontalHeaderLabels(headers);
    table_->setRowCount(int(b->rows.size()));
    for (int i = 0; i < int(b->rows.size()); ++i) {
        const RuleRow& row = b->rows[std::size_t(i)];
        auto set = [&](int column, const QString& text, const QString& tip = QString()) {
            auto* item = new QTableWidgetItem(text);
            item->setToolTip(tip);
            if (row.kind == "random") item->setForeground(QColor("#707070"));
            if (rec.switched && i == rec.row) item->setBackground(QColor("#d9f0d3"));
            table_->setItem(i, column, item);
        };
        set(0, QString::fromStdString(row.label()));
        set(1, QString::number(row.sizeMb, 'f', 4));
        set(2, QString::number(row.averageBits, 'f', 2));
        set(3, QString::number(row.differingFromDefault));
        for (std::size_t k = 0; k < measures.size(); ++k) {
            const RuleMeasure* m = row.find(measures[k]);
            if (!m) continue;
            const double scale = isRate(measures[k]) ? 100.0 : 1.0;
            QString text = QString::number(scale * m->value, 'f', measures[k] == Measure::Kl ? 4 : 2);
            if (i > 0 && !m->identical) text += QStringLiteral("  ") + QString::fromStdString(gainIntervalText(measures[k], m->versusDefault));
            set(4 + int(k), text, tr("the value, then its gain over the default (positive: better) with its paired interval"));
        }
    }
    table_->resizeColumnsToContents();
}

}  // namespace qs::gui
