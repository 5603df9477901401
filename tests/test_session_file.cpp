// labels: unit
// links: qs_session
// Damaged and hand-edited session files (item 5 of the reliability issue): each row edits a saved
// session one way (a wrong type, a negative budget, an unknown metric, a layer or speaker its
// analysis does not have, a damaged embedded analysis, a truncated file, ...); loading must fail
// with one line naming the file and the field, never crash nor restore a wrong state.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>

#include "app/gui/session.h"
#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "tests/support/json_edit.h"

using namespace qs;

namespace {

// One layer, one speaker "alice": just what the session's checks refer to.
std::shared_ptr<const Analysis> sampleAnalysis() {
    auto a = std::make_shared<Analysis>();
    a->model.path = "/models/m.pt";
    a->model.totalParams = 20;
    a->speakers = {{"alice", 1, 1, 1.0}};
    for (const char* name : {"m.fc", "m.out"}) {
        LayerAnalysis l;
        l.info = {name, "linear", 6, {3, 2}};
        l.stats["all"].channel_abs_max = {1, 2, 3};
        l.stats["alice"].channel_abs_max = {1, 2, 3};
        a->model.layers.push_back(l.info);
        a->layers.push_back(l);
    }
    return a;
}

gui::Session sampleSession() {
    gui::Session s;
    s.modelPath = "/models/m.pt";
    s.analysis = sampleAnalysis();
    s.targetMb = 0.00005;
    s.speaker = "alice";
    s.excludedLayers = {"m.out"};
    s.selectedLayer = "m.fc";
    s.view.clipMode = 2;
    s.view.topTab = 1;
    return s;
}

}  // namespace

class TestSessionFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void sampleLoads();
    void damaged_data();
    void damaged();

private:
    QTemporaryDir dir_;
    std::string saved_;
};

void TestSessionFile::initTestCase() {
    QVERIFY(dir_.isValid());
    const QString path = dir_.filePath("sample.qss");
    gui::saveSession(path, sampleSession());
    saved_ = readJson(path.toStdString()).dump(1);
}

void TestSessionFile::sampleLoads() {
    const QString path = dir_.filePath("sample.qss");
    const gui::Session s = gui::loadSession(path);
    QCOMPARE(s.speaker, QStringLiteral("alice"));
    QCOMPARE(s.excludedLayers, QStringList{"m.out"});
    QCOMPARE(s.selectedLayer, QStringLiteral("m.fc"));
    QCOMPARE(s.view.clipMode, 2);
    QCOMPARE(s.targetMb, 0.00005);
    QVERIFY(s.analysis);
    QCOMPARE(s.analysis->layers.size(), std::size_t(2));
}

void TestSessionFile::damaged_data() {
    QTest::addColumn<QString>("edit");
    QTest::addColumn<QString>("message");
    QTest::newRow("negative budget") << "set /budget/target_mb -1" << ": budget.target_mb is -1, expected a number >= 0";
    QTest::newRow("budget as text") << "set /budget/target_mb \"2 MB\"" << ": budget.target_mb is a string, expected a number";
    QTest::newRow("NaN budget") << "set /budget/target_mb null" << ": budget.target_mb is null, expected a number";
    QTest::newRow("metric as number") << "set /budget/metric 5" << ": budget.metric is a number, expected a string";
    QTest::newRow("unknown metric") << "set /budget/metric \"entropy\"" << ": budget.metric is not valid: unknown metric";
    QTest::newRow("unknown order") << "set /budget/order \"up\"" << ": budget.order is not valid:";
    QTest::newRow("floor out of range") << "set /budget/min_bits 0" << ": budget.min_bits is 0, expected an integer 1 to 31";
    QTest::newRow("fractional floor") << "set /budget/min_bits 2.5" << ": budget.min_bits is 2.5, expected a whole number";
    QTest::newRow("unknown speaker")
        << "set /budget/speaker \"carol\"" << ": budget.speaker names speaker 'carol', who is not in the session's analysis";
    QTest::newRow("unknown excluded layer")
        << "set /budget/excluded_layers [\"m.fc\", \"m.gone\"]"
        << ": budget.excluded_layers[1] names layer 'm.gone', which the session's analysis does not have";
    QTest::newRow("excluded layers not a list") << "set /budget/excluded_layers \"m.fc\"" << ": budget.excluded_layers is a string, expected an array";
    QTest::newRow("unknown selected layer")
        << "set /selected_layer \"m.gone\"" << ": selected_layer names layer 'm.gone', which the session's analysis does not have";
    QTest::newRow("clip mode out of range") << "set /view/clip_mode 7" << ": view.clip_mode is 7, expected an integer 0 to 3";
    QTest::newRow("negative tab") << "set /view/top_tab -1" << ": view.top_tab is -1, expected an integer 0 to 1000";
    QTest::newRow("flag as text") << "set /view/sensitivity_log \"yes\"" << ": view.sensitivity_log is a string, expected true or false";
    QTest::newRow("model path as number") << "set /model/path 3" << ": model.path is a number, expected a string";
    QTest::newRow("model not an object") << "set /model 3" << ": model is a number, expected an object";
    QTest::newRow("folders not a list") << "set /audio/folders {}" << ": audio.folders is an object, expected an array";
    QTest::newRow("damaged analysis")
        << "set /analysis/layers/0/params -6" << ": analysis.layers[0].params is -6, expected an integer >= 1";
    QTest::newRow("analysis missing layers") << "remove /analysis/layers" << ": analysis has no 'layers'";
    QTest::newRow("newer session") << "set /quantscope_session 2" << ": quantscope_session is 2: the session was saved by a newer quantscope";
    QTest::newRow("version as text") << "set /quantscope_session \"1\"" << ": quantscope_session is a string, expected an integer";
    QTest::newRow("not a session") << "remove /quantscope_session" << " is not a quantscope session file";
    QTest::newRow("truncated") << "truncate 200" << " is not valid JSON";
    QTest::newRow("number beyond double (fuzz finding)")
        << "text {\"quantscope_session\": 1, \"budget\": {\"target_mb\": 1e400}}" << " is not valid JSON ([json.exception.out_of_range.406]";
}

void TestSessionFile::damaged() {
    QFETCH(QString, edit);
    QFETCH(QString, message);
    const QString path = dir_.filePath("damaged.qss");
    std::ofstream(path.toStdString(), std::ios::binary) << test::editJson(saved_, edit.toStdString());
    try {
        (void)gui::loadSession(path);
        QFAIL("loaded without a word");
    } catch (const InputError& e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(!what.contains('\n'), qPrintable(what));
        QVERIFY2(what.startsWith(path), qPrintable(what));
        QVERIFY2(what.contains(message), qPrintable("\"" + what + "\" lacks \"" + message + "\""));
    }
}

QTEST_APPLESS_MAIN(TestSessionFile)
#include "test_session_file.moc"
