// labels: gui
// Session files: a studio saved and reopened in a fresh window comes back the same — model path,
// audio folders and checked speakers, the analysis numbers, budget and its settings, excluded
// layers, the selected layer and view state — and the file is written atomically. Broken or foreign
// files are one readable error and leave the window as it was.
#include <QtTest>

#include <QSlider>
#include <QTemporaryDir>
#include <memory>

#include "app/gui/analysis_controller.h"
#include "app/gui/budget_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/session.h"
#include "app/gui/studio_state.h"
#include "core/allocation/allocation.h"
#include "core/stats/analyzer.h"
#include "core/base/json_io.h"
#include "core/model/speech_model.h"
#include "tests/support/audio_files.h"
#include "tests/support/gui_wait.h"
#include "widgets/allocation_view.h"
#include "widgets/audio_panel.h"
#include "widgets/budget_panel.h"
#include "widgets/comparison_view.h"
#include "widgets/histogram_view.h"
#include "widgets/layer_table_model.h"
#include "widgets/model_panel.h"
#include "widgets/sensitivity_view.h"

using namespace qs;
using namespace qs::gui;

namespace {

using test::waitIdle;

void compareStats(const StatsSummary& a, const StatsSummary& b) {
    QCOMPARE(a.count, b.count);
    QCOMPARE(a.mean_abs, b.mean_abs);
    QCOMPARE(a.median_abs, b.median_abs);
    QCOMPARE(a.max, b.max);
    QCOMPARE(a.min, b.min);
    QCOMPARE(a.abs_max, b.abs_max);
    QCOMPARE(a.std_abs, b.std_abs);
    QCOMPARE(a.p99_9_abs, b.p99_9_abs);
    QCOMPARE(a.histogram.counts, b.histogram.counts);
}

}  // namespace

class TestGuiSession : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void roundTripRestoresEverything();
    void movedProjectResolvesRelativePaths();
    void brokenFilesAreOneMessage();
    void savedResultsShowTheAllocation();

private:
    QTemporaryDir dir_;
    QString audio_, second_;
};

void TestGuiSession::initTestCase() {
    QVERIFY(dir_.isValid());
    qputenv("XDG_CONFIG_HOME", dir_.filePath(QStringLiteral("config")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("quantscope-tests"));
    audio_ = dir_.filePath(QStringLiteral("project/audio"));
    second_ = dir_.filePath(QStringLiteral("project/more"));
    for (int s = 0; s < 3; ++s)
        for (int k = 0; k < 2; ++k)
            test::writeSine(QStringLiteral("%1/v%2/c%3.wav").arg(audio_).arg(s).arg(k).toStdString(),
                            test::AudioFormat::Wav16, 16000, 1, 0.6, 150.0 + 250 * s + 30 * k, 0.2 + 0.15 * s);
    test::writeSine(QStringLiteral("%1/w0/c.wav").arg(second_).toStdString(), test::AudioFormat::Wav16, 16000, 1, 0.5, 300, 0.3);
    QVERIFY(QFile::copy(QS_FIXTURES_DIR "/w2v2_traced.pt", dir_.filePath(QStringLiteral("project/model.pt"))));
}

void TestGuiSession::roundTripRestoresEverything() {
    const QString model = dir_.filePath(QStringLiteral("project/model.pt"));
    const QString file = dir_.filePath(QStringLiteral("project/studio.qscope.json"));
    Session saved;
    std::vector<int> bitsBefore;
    double targetBefore = 0;
    {
        MainWindow a;
        a.setInteractive(false);
        a.show();
        a.openModel(model);
        a.addAudioFolder(second_);
        QVERIFY(waitIdle(&a));
        a.addAudioFolder(audio_);  // added last: the active folder
        QVERIFY(waitIdle(&a));
        a.audioPanel()->setCheckedSpeakers(audio_, {QStringLiteral("v0"), QStringLiteral("v2")});
        QSignalSpy finished(a.analysis(), &AnalysisController::finished);
        QVERIFY(a.startAnalysis());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);

        a.budgetPanel()->setMetric(QStringLiteral("mean"));
        a.budgetPanel()->setMinBits(3);
        a.budgetPanel()->setSpeaker(QStringLiteral("v2"));
        LayerTableModel* table = a.modelPanel()->layerModel();
        QVERIFY(table->setData(table->index(1, 0), Qt::Unchecked, Qt::CheckStateRole));
        a.budgetPanel()->slider()->setValue(437);
        a.selectLayer(4);
        a.sensitivityView()->setLogScale(true);
        a.histogramView()->setClipMode(ClipMode::SymmetricMax);
        a.modelPanel()->setFilterText(QStringLiteral("attn"));
        bitsBefore = a.allocationView()->bits();
        targetBefore = a.budget()->target();
        QVERIFY(bitsBefore[1] == 32);

        QString error;
        QVERIFY2(a.saveSessionTo(file, &error), qPrintable(error));
        saved = loadSession(file);
        QCOMPARE(a.sessionPath(), QFileInfo(file).absoluteFilePath());
    }
    // Written atomically: no temporary sibling is left behind.
    const QStringList siblings = QDir(QFileInfo(file).path()).entryList(QDir::Files);
    QCOMPARE(siblings, QStringList({"model.pt", "studio.qscope.json"}));
    QVERIFY(readJson(file.toStdString()).contains("quantscope_session"));

    MainWindow b;
    b.setInteractive(false);
    b.show();
    QString error;
    QVERIFY2(b.openSessionFrom(file, &error), qPrintable(error));
    QVERIFY(waitIdle(&b));
    QVERIFY2(b.lastError().isEmpty(), qPrintable(b.lastError()));

    QCOMPARE(b.state()->modelPath(), QFileInfo(model).absoluteFilePath());
    QVERIFY(b.state()->model());
    QCOMPARE(b.audioPanel()->folders().size(), 2);
    QVERIFY(b.audioPanel()->folders().contains(audio_));
    QVERIFY(b.audioPanel()->folders().contains(second_));
    QCOMPARE(b.audioPanel()->activeFolder(), audio_);
    QCOMPARE(b.audioPanel()->checkedSpeakers(), QStringList({"v0", "v2"}));

    QVERIFY(b.state()->analysis());
    const Analysis& x = *saved.analysis;
    const Analysis& y = *b.state()->analysis();
    QCOMPARE(y.speakers.size(), std::size_t(2));
    QCOMPARE(y.layers.size(), x.layers.size());
    for (std::size_t l = 0; l < x.layers.size(); ++l)
        for (const char* s : {"all", "v0", "v2"}) compareStats(x.layers[l].stats.at(s), y.layers[l].stats.at(s));

    QCOMPARE(b.budgetPanel()->metric(), QStringLiteral("mean"));
    QCOMPARE(b.budgetPanel()->minBits(), 3);
    QCOMPARE(b.budgetPanel()->speaker(), QStringLiteral("v2"));
    QCOMPARE(b.budget()->target(), targetBefore);
    QCOMPARE(b.budgetPanel()->slider()->value(), 437);
    QCOMPARE(b.allocationView()->bits(), bitsBefore);
    QCOMPARE(b.modelPanel()->layerModel()->included()[1], false);
    QCOMPARE(b.state()->selectedLayer(), 4);
    QVERIFY(b.sensitivityView()->logScale());
    QCOMPARE(b.histogramView()->clipMode(), ClipMode::SymmetricMax);
    QCOMPARE(b.modelPanel()->filterText(), QStringLiteral("attn"));
}

void TestGuiSession::movedProjectResolvesRelativePaths() {
    // Save, move the whole project folder, reopen: paths are found relative to the session file.
    const QString project = dir_.filePath(QStringLiteral("moveme"));
    QVERIFY(QDir().mkpath(project + QStringLiteral("/audio/v0")));
    test::writeSine((project + QStringLiteral("/audio/v0/c.wav")).toStdString(), test::AudioFormat::Wav16, 16000, 1, 0.5, 220, 0.3);
    QVERIFY(QFile::copy(QS_FIXTURES_DIR "/w2v2_traced.pt", project + QStringLiteral("/model.pt")));
    {
        MainWindow a;
        a.setInteractive(false);
        a.openModel(project + QStringLiteral("/model.pt"));
        a.addAudioFolder(project + QStringLiteral("/audio"));
        QVERIFY(waitIdle(&a));
        QString error;
        QVERIFY2(a.saveSessionTo(project + QStringLiteral("/s.qscope.json"), &error), qPrintable(error));
    }
    const QString moved = dir_.filePath(QStringLiteral("moved"));
    QVERIFY(QDir().rename(project, moved));
    MainWindow b;
    b.setInteractive(false);
    QString error;
    QVERIFY2(b.openSessionFrom(moved + QStringLiteral("/s.qscope.json"), &error), qPrintable(error));
    QVERIFY(waitIdle(&b));
    QCOMPARE(b.state()->modelPath(), moved + QStringLiteral("/model.pt"));
    QCOMPARE(b.audioPanel()->folders(), QStringList({moved + QStringLiteral("/audio")}));
    QVERIFY(!b.state()->analysis());
}

void TestGuiSession::brokenFilesAreOneMessage() {
    MainWindow w;
    w.setInteractive(false);
    const QString notJson = dir_.filePath(QStringLiteral("broken.json"));
    test::writeText(notJson.toStdString(), "{ not json");
    const QString foreign = dir_.filePath(QStringLiteral("foreign.json"));
    test::writeText(foreign.toStdString(), "{\"layers\": []}");
    QString error;
    QVERIFY(!w.openSessionFrom(notJson, &error));
    QVERIFY(error.startsWith(QStringLiteral("Could not open the session: ")));
    QVERIFY(error.contains(QStringLiteral("broken.json")));
    QVERIFY(!w.openSessionFrom(foreign, &error));
    QVERIFY(error.contains(QStringLiteral("not a quantscope session")));
    QVERIFY(!w.openSessionFrom(dir_.filePath(QStringLiteral("absent.json")), &error));
    QVERIFY(!w.state()->analysis());
    QVERIFY(w.sessionPath().isEmpty());
}

// analysis.json + allocation.json (what quantscope-cli figures draws): the views show exactly the
// allocation's bits, with its metric, floor, speaker and excluded layers, without model or audio.
void TestGuiSession::savedResultsShowTheAllocation() {
    const Analysis analysis = [&] {
        const SpeechModel model = SpeechModel::load(QS_FIXTURES_DIR "/w2v2_traced.pt");
        return analyze(model, AudioCorpus::scan(audio_.toStdString()));
    }();
    AllocationRequest r;
    r.targetMb = analysis.model.sizeMb() * 0.3;
    r.metric = Metric::Max;
    r.speaker = "v1";
    r.settings.minBits = 3;
    r.settings.include.assign(analysis.layers.size(), true);
    r.settings.include[2] = false;
    const Allocation allocation = allocateAnalysis(analysis, r);

    MainWindow w;
    w.setInteractive(false);
    w.show();
    QString error;
    QVERIFY2(w.showSavedResults(std::make_shared<const Analysis>(analysis), &allocation, &error), qPrintable(error));
    QVERIFY(waitIdle(&w));
    QVERIFY(!w.state()->model());
    QCOMPARE(w.budgetPanel()->metric(), QStringLiteral("max"));
    QCOMPARE(w.budgetPanel()->minBits(), 3);
    QCOMPARE(w.budgetPanel()->speaker(), QStringLiteral("v1"));
    QCOMPARE(w.budget()->target(), allocation.targetMb);
    QCOMPARE(w.modelPanel()->layerModel()->included()[2], false);
    QCOMPARE(w.allocationView()->bits(), allocation.bits());

    Allocation foreign = allocation;
    foreign.layers.pop_back();
    QVERIFY(!w.showSavedResults(std::make_shared<const Analysis>(analysis), &foreign, &error));
    QVERIFY(error.contains(QStringLiteral("different models")));
}

QTEST_MAIN(TestGuiSession)
#include "test_gui_session.moc"
