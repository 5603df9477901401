// labels: gui
// The studio's split, speaker groups, spread and Personalization view: the audio panel shows each
// speaker's tune/test files; an analysis sees only tune clips and records the split; groups become
// profiles in the budget panel; the spread keeps layers within S bits; an export evaluates on test
// clips only; the comparison runs in the background with progress, fills the heatmap (cells equal
// core's), the gain bars and the clip list, exports its figures, and a cancel leaves the previous
// result on show.
#include <QtTest>

#include <QSpinBox>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <memory>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/export_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/personalization_controller.h"
#include "app/gui/studio_state.h"
#include "core/base/json_io.h"
#include "core/personalization/personalization.h"
#include "core/personalization/personalization_io.h"
#include "tests/support/audio_files.h"
#include "tests/support/gui_wait.h"
#include "widgets/audio_panel.h"
#include "widgets/budget_panel.h"
#include "widgets/gain_bars.h"
#include "widgets/matrix_heatmap.h"
#include "widgets/model_export_dialog.h"
#include "widgets/personalization_view.h"

using namespace qs;
using namespace qs::gui;

class TestGuiPersonalization : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void audioPanelShowsTheSplit();
    void analysisSeesTuneClipsAndGroups();
    void spreadKeepsLayersWithinS();
    void exportEvaluatesOnTestClips();
    void comparisonFillsTheView();
    void cancelKeepsThePreviousResult();

private:
    QTemporaryDir dir_;
    QString audio_;
    std::unique_ptr<MainWindow> window_;
};

void TestGuiPersonalization::initTestCase() {
    QVERIFY(dir_.isValid());
    qputenv("XDG_CONFIG_HOME", dir_.filePath(QStringLiteral("config")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("quantscope-tests"));
    audio_ = dir_.filePath(QStringLiteral("audio"));
    for (int s = 0; s < 3; ++s)
        for (int k = 0; k < 4; ++k)
            test::writeSine(QStringLiteral("%1/spk%2/c%3.wav").arg(audio_).arg(s).arg(k).toStdString(),
                            test::AudioFormat::Wav16, 16000, 1, 0.5, 200.0 + 150 * s + 40 * k, 0.4);
    test::writeText(dir_.filePath(QStringLiteral("speakers.csv")).toStdString(),
                    "speaker,group\nspk0,low\nspk1,low\nspk2,high\n");
    window_ = std::make_unique<MainWindow>();
    window_->setInteractive(false);
    window_->resize(1400, 900);
    window_->show();
    window_->openModel(QS_FIXTURES_DIR "/w2v2_traced.pt");
    window_->addAudioFolder(audio_);
    QVERIFY(test::waitIdle(window_.get()));
}

void TestGuiPersonalization::cleanupTestCase() { window_.reset(); }

void TestGuiPersonalization::audioPanelShowsTheSplit() {
    QCOMPARE(window_->audioPanel()->splitText(audio_, QStringLiteral("spk0")), QString());
    window_->setSplit(SplitSpec::fraction(0.5));
    QCOMPARE(window_->audioPanel()->splitText(audio_, QStringLiteral("spk0")), QStringLiteral("2 / 2"));
    QCOMPARE(window_->audioPanel()->splitText(audio_, QStringLiteral("spk2")), QStringLiteral("2 / 2"));
    QString error;
    QVERIFY2(window_->loadSpeakerGroups(dir_.filePath(QStringLiteral("speakers.csv")), &error), qPrintable(error));
    // A malformed metadata file is one clear message naming file and line.
    test::writeText(dir_.filePath(QStringLiteral("bad.csv")).toStdString(), "speaker,group\nspk0,a,b\n");
    QVERIFY(!window_->loadSpeakerGroups(dir_.filePath(QStringLiteral("bad.csv")), &error));
    QVERIFY2(error.contains(QStringLiteral("bad.csv line 2: expected 2 fields")), qPrintable(error));
    QVERIFY(window_->state()->speakerTable());  // the good table stays
}

void TestGuiPersonalization::analysisSeesTuneClipsAndGroups() {
    QSignalSpy finished(window_->analysis(), &AnalysisController::finished);
    QVERIFY(window_->startAnalysis());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    QVERIFY(test::waitIdle(window_.get()));
    const Analysis& a = *window_->state()->analysis();
    QCOMPARE(a.split.method, std::string("fraction"));
    for (const SpeakerSummary& s : a.speakers) QCOMPARE(s.clips, 2);  // tune clips only
    QCOMPARE(a.profiles.size(), std::size_t(2));
    QCOMPARE(a.profiles[1].name, std::string("low"));
    QCOMPARE(a.profiles[1].speakers, (std::vector<std::string>{"spk0", "spk1"}));
    // The groups are choices wherever a speaker is.
    QVERIFY(window_->budget()->speakers().contains(QStringLiteral("low")));
    window_->budgetPanel()->setSpeaker(QStringLiteral("low"));
    QTRY_COMPARE(QString::fromStdString(window_->budget()->allocation().speaker), QStringLiteral("low"));
}

void TestGuiPersonalization::spreadKeepsLayersWithinS() {
    window_->budgetPanel()->setSpread(3);
    QTRY_COMPARE(window_->budget()->allocation().spread, 3);
    const std::vector<int> bits = window_->budget()->allocation().bits();
    QVERIFY(*std::max_element(bits.begin(), bits.end()) - *std::min_element(bits.begin(), bits.end()) <= 3);
    // The same as core's literal rule at this budget.
    AllocationSettings s;
    s.spread = 3;
    s.minBits = window_->budget()->settings().minBits;
    QCOMPARE(allocate(sizeModelFor(*window_->state()->analysis()), window_->budget()->scores("low"), s,
                      window_->budget()->target()),
             bits);
    window_->budgetPanel()->setSpread(1);
    QTRY_COMPARE(window_->budget()->allocation().spread, 1);
    window_->budgetPanel()->setSpeaker(QStringLiteral("all"));
}

void TestGuiPersonalization::exportEvaluatesOnTestClips() {
    const QString out = dir_.filePath(QStringLiteral("exported"));
    QSignalSpy finished(window_->exporter(), &ExportController::finished);
    QString error;
    QVERIFY2(window_->exportModelTo({out, 8, 8}, &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 180000);
    QVERIFY(test::waitIdle(window_.get()));
    const ExportResult r = finished.at(0).at(0).value<ExportResult>();
    QCOMPARE(r.calibrationClips, 6);  // the tune clips
    QVERIFY2(r.evaluated, qPrintable(r.evaluationProblem));
    QVERIFY(r.onTestClips);
    QCOMPARE(r.evaluatedClips, 6);    // the test clips, none of them a calibration clip
    QCOMPARE(r.calibrationClipsLeftOut, 0);
}

void TestGuiPersonalization::comparisonFillsTheView() {
    PersonalizationView* view = window_->personalizationView();
    view->setBudgetBits(QStringLiteral("5, 8"));
    view->setSpreads(QStringLiteral("1, 2"));
    QSignalSpy finished(window_->personalization(), &PersonalizationController::finished);
    QSignalSpy progress(window_->personalization(), &PersonalizationController::progress);
    QString error;
    QVERIFY2(window_->startPersonalization(&error), qPrintable(error));
    QVERIFY(window_->isBusy());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 300000);
    QVERIFY(test::waitIdle(window_.get()));
    QVERIFY(progress.count() > 0);
    QVERIFY2(window_->lastError().isEmpty(), qPrintable(window_->lastError()));
    const auto result = view->result();
    QVERIFY(result);
    // Profiles are the groups; 2 budgets x 2 spreads.
    QCOMPARE(result->profiles.size(), std::size_t(2));
    QCOMPARE(result->matrices.size(), std::size_t(4));
    // The heatmap draws core's cells.
    view->showMatrix(1);
    view->showMeasure(Measure::SqnrDb);
    MatrixHeatmap* heatmap = view->heatmap();
    QCOMPARE(heatmap->rows(), 4);     // own x 2, all, uniform
    QCOMPARE(heatmap->columns(), 3);  // high, low, all
    const PersonalizationMatrix& m = result->matrices[1];
    for (int row = 0; row < 4; ++row)
        for (int c = 0; c < 3; ++c)
            QCOMPARE(heatmap->cellValue(row, c), measureValue(Measure::SqnrDb, result->cell(m.rows[std::size_t(row)], std::size_t(c))));
    // A saved personalization.json shows the same cells (what `quantscope --personalization` opens).
    const QString saved = dir_.filePath(QStringLiteral("saved"));
    savePersonalization(saved.toStdString(), *result);
    window_->showPersonalization(std::make_shared<const PersonalizationResult>(
        personalizationFromJson(readJson((saved + QStringLiteral("/personalization.json")).toStdString()))));
    QVERIFY(view->result() != result);
    view->showMatrix(1);
    view->showMeasure(Measure::SqnrDb);
    QCOMPARE(heatmap->rows(), 4);
    for (int row = 0; row < 4; ++row)
        for (int c = 0; c < 3; ++c)
            QCOMPARE(heatmap->cellValue(row, c), measureValue(Measure::SqnrDb, result->cell(m.rows[std::size_t(row)], std::size_t(c))));
    // Three verdicts per profile.
    QCOMPARE(view->gains()->verdicts().size(), 6);
    QVERIFY(view->summary().contains(QStringLiteral("no measurable difference")));
    // Every clip of the profiles is listed with its part.
    auto* clips = view->findChild<QTreeWidget*>(QStringLiteral("personalClips"));
    QCOMPARE(clips->topLevelItemCount(), 2);
    QCOMPARE(clips->topLevelItem(1)->childCount(), 8);  // low: spk0 and spk1, 4 files each
    int tests = 0;
    for (int i = 0; i < clips->topLevelItem(1)->childCount(); ++i) tests += clips->topLevelItem(1)->child(i)->text(2) == "test";
    QCOMPARE(tests, 4);
    // The figures export like the others.
    for (const QString id : {QStringLiteral("personalization_matrix"), QStringLiteral("personalization_gains")}) {
        const QString png = dir_.filePath(id + QStringLiteral(".png"));
        QVERIFY2(window_->exportFigure(id, png, {}, &error), qPrintable(error));
        QVERIFY(QFileInfo(png).size() > 1000);
    }
    // Export all includes them once there is a comparison (and leaves them out before).
    const QString all = dir_.filePath(QStringLiteral("all-figures"));
    QVERIFY2(window_->exportAllFigures(all, {}, &error), qPrintable(error));
    const QStringList files = QDir(all).entryList({QStringLiteral("*.png")}, QDir::Files);
    QVERIFY(files.contains(QStringLiteral("personalization_matrix.png")));
    QVERIFY(files.contains(QStringLiteral("personalization_gains.png")));
}

void TestGuiPersonalization::cancelKeepsThePreviousResult() {
    PersonalizationView* view = window_->personalizationView();
    const auto before = view->result();
    QSignalSpy cancelled(window_->personalization(), &PersonalizationController::cancelled);
    QString error;
    QVERIFY2(window_->startPersonalization(&error), qPrintable(error));
    window_->cancelPersonalization();
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 120000);
    QVERIFY(test::waitIdle(window_.get()));
    QCOMPARE(view->result(), before);
    // Usable afterwards: a bad budget is one message, not a run.
    view->setBudgetBits(QStringLiteral("four"));
    QVERIFY(!window_->startPersonalization(&error));
    QVERIFY2(error.contains(QStringLiteral("bits per weight")), qPrintable(error));
}

QTEST_MAIN(TestGuiPersonalization)
#include "test_gui_personalization.moc"
