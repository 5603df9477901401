// labels: gui
// The studio's Scoring view: the comparison runs in the background at the budget panel's budget with
// progress; the table and the bars show exactly what core computes for the same request (every row's
// measures and intervals, one scale per measure across rules); the recommendation is core's; one
// click applies a rule's metric and order to the budget panel; a cancel leaves the previous result;
// a saved scoring.json opens in the view as it was; "each speaker on its own" runs one comparison per
// speaker.
#include <QtTest>

#include <QTableWidget>
#include <QTemporaryDir>
#include <cmath>
#include <memory>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/scoring_controller.h"
#include "app/gui/studio_state.h"
#include "core/engine/engine.h"
#include "core/scoring/scoring.h"
#include "core/scoring/scoring_io.h"
#include "tests/support/audio_files.h"
#include "tests/support/gui_wait.h"
#include "widgets/audio_panel.h"
#include "widgets/budget_panel.h"
#include "widgets/scoring_bars.h"
#include "widgets/scoring_view.h"

using namespace qs;
using namespace qs::gui;

class TestGuiScoring : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void viewShowsCoresResult();
    void applyRuleSetsTheBudgetPanel();
    void cancelKeepsThePreviousResult();
    void savedResultsOpenInTheView();
    void perProfileRunsEachSpeaker();

private:
    QTemporaryDir dir_;
    QString audio_;
    std::unique_ptr<MainWindow> window_;
};

void TestGuiScoring::initTestCase() {
    QVERIFY(dir_.isValid());
    qputenv("XDG_CONFIG_HOME", dir_.filePath(QStringLiteral("config")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("quantscope-tests"));
    audio_ = dir_.filePath(QStringLiteral("audio"));
    for (int s = 0; s < 3; ++s)
        for (int k = 0; k < 4; ++k) {
            const std::string file = QStringLiteral("%1/spk%2/c%3.wav").arg(audio_).arg(s).arg(k).toStdString();
            test::writeSine(file, test::AudioFormat::Wav16, 16000, 1, 0.5, 200.0 + 150 * s + 40 * k, 0.4);
            test::writeText(file.substr(0, file.size() - 4) + ".txt", k % 2 ? "a bad cab" : "dab a cab");
        }
    window_ = std::make_unique<MainWindow>();
    window_->setInteractive(false);
    window_->resize(1400, 900);
    window_->show();
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(audio_);
    QVERIFY(test::waitIdle(window_.get()));
    window_->setSplit(SplitSpec::fraction(0.5));
    QSignalSpy finished(window_->analysis(), &AnalysisController::finished);
    QVERIFY(window_->startAnalysis());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    QVERIFY(test::waitIdle(window_.get()));
    QVERIFY(window_->budget()->target() > 0);
}

void TestGuiScoring::cleanupTestCase() { window_.reset(); }

void TestGuiScoring::viewShowsCoresResult() {
    ScoringView* view = window_->scoringView();
    view->setDistanceRules(false);  // the six statistics × two orders: no distance passes
    QSignalSpy finished(window_->scoring(), &ScoringController::finished);
    QSignalSpy progress(window_->scoring(), &ScoringController::progress);
    QString error;
    QVERIFY2(window_->startScoring(&error), qPrintable(error));
    QVERIFY(window_->isBusy());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 300000);
    QVERIFY(test::waitIdle(window_.get()));
    QVERIFY(progress.count() > 0);
    QVERIFY2(window_->lastError().isEmpty(), qPrintable(window_->lastError()));
    const auto shown = view->result();
    QVERIFY(shown);

    // Core on the same request.
    const auto model = window_->state()->model();
    AudioCorpus corpus = AudioCorpus::scan(audio_.toStdString(), corpusOptionsFor(model->info()));
    const ClipSplit split = ClipSplit::make(corpus, SplitSpec::fraction(0.5));
    Profile every{kEverySpeakerProfile, {"spk0", "spk1", "spk2"}};
    ScoringOptions o;
    o.targetsMb = {window_->budget()->target()};
    o.rules = view->rules();
    o.randomDraws = view->randomDraws();
    o.run.minBits = window_->budgetPanel()->minBits();
    const ScoringResult core = engine().compareScoring(*model, corpus, split, {every}, o, {});
    QCOMPARE(shown->profiles.size(), std::size_t(1));
    const ScoringBudget& b = core.profiles[0].budgets[0];
    const ScoringBudget& s = shown->profiles[0].budgets[0];
    QCOMPARE(s.rows.size(), std::size_t(12 + 3));
    QCOMPARE(s.rows.size(), b.rows.size());
    QCOMPARE(s.recommendation.text, b.recommendation.text);

    // The table: one row per rule and draw, every measure with its interval against the default.
    QTableWidget* table = view->table();
    QCOMPARE(table->rowCount(), int(b.rows.size()));
    QCOMPARE(table->horizontalHeaderItem(4)->text(), QStringLiteral("WER %"));
    for (int i = 0; i < int(b.rows.size()); ++i) {
        const RuleRow& row = b.rows[std::size_t(i)];
        QCOMPARE(table->item(i, 0)->text(), QString::fromStdString(row.label()));
        QCOMPARE(table->item(i, 1)->text(), QString::number(row.sizeMb, 'f', 4));
        const RuleMeasure* wer = row.find(Measure::Wer);
        QVERIFY(wer);
        QString expected = QString::number(100.0 * wer->value, 'f', 2);
        if (i > 0 && !wer->identical) expected += QStringLiteral("  ") + QString::fromStdString(gainIntervalText(Measure::Wer, wer->versusDefault));
        QCOMPARE(table->item(i, 4)->text(), expected);
    }
    // The bars: core's values, every rule on one axis that holds them all.
    for (Measure m : {Measure::Wer, Measure::SqnrDb, Measure::Kl}) {
        view->showMeasure(m);
        const std::vector<double> values = view->bars()->shownValues();
        QCOMPARE(values.size(), b.rows.size());
        const auto [lo, hi] = view->bars()->valueRange();
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double expected = (isRate(m) ? 100.0 : 1.0) * b.rows[i].find(m)->value;
            QCOMPARE(values[i], expected);
            QVERIFY(values[i] >= lo && values[i] <= hi);
        }
    }
    // The recommendation is core's: the rule it names, and whether it switches.
    QVERIFY(view->recommendationText().contains(QString::fromStdString(b.rows[std::size_t(b.recommendation.best)].rule.name())));
    QCOMPARE(view->recommendationText().contains(QStringLiteral("Recommended:")), b.recommendation.switched);
    if (!b.recommendation.switched && b.recommendation.best > 0)
        QVERIFY(view->recommendationText().contains(QStringLiteral("intervals overlap")));
    // The figure exports like the others.
    const QString png = dir_.filePath(QStringLiteral("scoring.png"));
    QVERIFY2(window_->exportFigure(QStringLiteral("scoring"), png, {}, &error), qPrintable(error));
    QVERIFY(QFileInfo(png).size() > 1000);
}

void TestGuiScoring::applyRuleSetsTheBudgetPanel() {
    ScoringView* view = window_->scoringView();
    const ScoringBudget& b = view->result()->profiles[0].budgets[0];
    int row = -1;
    for (int i = 0; i < int(b.rows.size()); ++i)
        if (b.rows[std::size_t(i)].kind == "rule" && b.rows[std::size_t(i)].rule.name() == "mean, ascending") row = i;
    QVERIFY(row > 0);
    view->table()->setCurrentCell(row, 0);
    QSignalSpy applied(view, &ScoringView::applyRequested);
    view->applyRow(view->table()->currentRow());
    QCOMPARE(applied.count(), 1);
    QCOMPARE(window_->budgetPanel()->metric(), QStringLiteral("mean"));
    QCOMPARE(window_->budgetPanel()->order(), QStringLiteral("ascending"));
    QTRY_COMPARE(window_->budget()->allocation().metric, Metric::Mean);
    // A random draw is a baseline, not a rule: nothing to apply.
    ScoringRule r;
    QVERIFY(!view->ruleOfRow(1, &r));
    view->applyRow(1);
    QCOMPARE(applied.count(), 1);
}

void TestGuiScoring::cancelKeepsThePreviousResult() {
    ScoringView* view = window_->scoringView();
    const auto before = view->result();
    QSignalSpy cancelled(window_->scoring(), &ScoringController::cancelled);
    QString error;
    QVERIFY2(window_->startScoring(&error), qPrintable(error));
    window_->cancelScoring();
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 120000);
    QVERIFY(test::waitIdle(window_.get()));
    QCOMPARE(view->result(), before);
}

void TestGuiScoring::savedResultsOpenInTheView() {
    ScoringView* view = window_->scoringView();
    const auto shown = view->result();
    QVERIFY(shown);
    QTableWidget* table = view->table();
    QStringList before;
    for (int i = 0; i < table->rowCount(); ++i)
        for (int c = 0; c < table->columnCount(); ++c) before << (table->item(i, c) ? table->item(i, c)->text() : QString());
    const QString before_recommendation = view->recommendationText();
    const QString saved = dir_.filePath(QStringLiteral("saved"));
    saveScoring(saved.toStdString(), *shown);
    view->setResult(nullptr);
    QCOMPARE(table->rowCount(), 0);

    const QString file = saved + QStringLiteral("/scoring.json");
    QVERIFY(MainWindow::isComparisonFile(file));
    QString error;
    QVERIFY2(window_->openComparisonFile(file, &error), qPrintable(error));
    QVERIFY(view->result() && view->result() != shown);
    QStringList after;
    for (int i = 0; i < table->rowCount(); ++i)
        for (int c = 0; c < table->columnCount(); ++c) after << (table->item(i, c) ? table->item(i, c)->text() : QString());
    QCOMPARE(after, before);
    QCOMPARE(view->recommendationText(), before_recommendation);

    // Anything else: one line naming the file, and the view keeps what it shows.
    const QString other = dir_.filePath(QStringLiteral("other.json"));
    QFile f(other);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"format\": \"quantscope-session\"}");
    f.close();
    QVERIFY(!MainWindow::isComparisonFile(other));
    QVERIFY(!window_->openComparisonFile(other, &error));
    QVERIFY2(error.contains(QStringLiteral("other.json")) && error.contains(QStringLiteral("not a saved comparison")), qPrintable(error));
    QVERIFY(view->result());
}

void TestGuiScoring::perProfileRunsEachSpeaker() {
    ScoringView* view = window_->scoringView();
    view->setPerProfile(true);
    view->setDistanceRules(false);
    QSignalSpy finished(window_->scoring(), &ScoringController::finished);
    QString error;
    QVERIFY2(window_->startScoring(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 300000);
    QVERIFY(test::waitIdle(window_.get()));
    const auto r = view->result();
    QVERIFY(r);
    QCOMPARE(r->profiles.size(), std::size_t(3));
    for (int s = 0; s < 3; ++s) {
        QCOMPARE(QString::fromStdString(r->profiles[std::size_t(s)].profile), QStringLiteral("spk%1").arg(s));
        QCOMPARE(r->profiles[std::size_t(s)].run.testClips.size(), std::size_t(2));  // half of its 4 files
    }
    view->setPerProfile(false);
}

QTEST_MAIN(TestGuiScoring)
#include "test_gui_scoring.moc"
