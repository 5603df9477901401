// labels: unit
// links: qs_allocation qs_model
// Damaged and hand-edited files (item 5 of the reliability issue): analysis.json, allocation.json and
// model.json, each edited one way per row (a wrong type, a missing field, a NaN written as null, a
// negative size, a repeated layer, a truncated file, ...), must fail with one line that names the
// file, the field and what is wrong, never crash nor load a wrong value. Files whose layers are not
// the model's are refused the same way.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>

#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/base/errors.h"
#include "core/base/json_fields.h"
#include "core/base/json_io.h"
#include "core/model/model_metadata.h"
#include "core/stats/analysis.h"
#include "tests/support/json_edit.h"

namespace {

qs::StatsSummary stats(double scale, int channels) {
    qs::StatsSummary s;
    s.count = 1000;
    s.mean_abs = 0.5 * scale, s.std_abs = 0.3 * scale, s.var_abs = 0.09 * scale * scale;
    s.min = -2 * scale, s.max = 2.5 * scale, s.abs_max = 2.5 * scale;
    s.median_abs = 0.4 * scale, s.p99_abs = 1.9 * scale, s.p99_9_abs = 2.2 * scale, s.p99_99_abs = 2.4 * scale;
    s.p0_1 = -1.9 * scale, s.p99_9 = 2.3 * scale, s.kurtosis = 3.2;
    s.histogram = {-2 * scale, 2.5 * scale, {100, 400, 400, 100}};
    s.channel_abs_max.assign(std::size_t(channels), float(scale));
    return s;
}

// Two layers (conv [4, 1, 3] and linear [3, 4]), one speaker "alice", total 40 parameters.
qs::Analysis sampleAnalysis() {
    qs::Analysis a;
    a.model.path = "/models/m.pt";
    a.model.totalParams = 40;
    a.model.labels = {"<blank>", "a", "b"};
    a.speakers = {{"alice", 3, 2, 4.5}};
    const qs::LayerInfo infos[] = {{"m.conv", "conv1d", 12, {4, 1, 3}}, {"m.fc", "linear", 12, {3, 4}}};
    for (const qs::LayerInfo& info : infos) {
        qs::LayerAnalysis l;
        l.info = info;
        l.stats["all"] = stats(1.0, int(info.shape[0]));
        l.stats["alice"] = stats(1.5, int(info.shape[0]));
        a.model.layers.push_back(info);
        a.layers.push_back(l);
    }
    return a;
}

qs::Allocation sampleAllocation() {
    qs::Allocation a;
    a.targetMb = 0.0001, a.sizeMb = 0.00009, a.floatSizeMb = 0.00015;
    a.layers = {{"m.conv", 12, 0.4, 6, true}, {"m.fc", 12, 1.4, 5, true}};
    return a;
}

void writeFile(const QString& path, const std::string& text) {
    std::ofstream(path.toStdString(), std::ios::binary) << text;
}

// The error's message is one line, starts with the file's name and contains fragment.
void checkMessage(const std::string& what, const QString& file, const QString& fragment) {
    const QString message = QString::fromStdString(what);
    QVERIFY2(!message.contains('\n'), qPrintable(message));
    QVERIFY2(message.startsWith(file), qPrintable(message));
    QVERIFY2(message.contains(fragment), qPrintable("\"" + message + "\" lacks \"" + fragment + "\""));
}

}  // namespace

class TestDamagedFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }
    void samplesLoad();
    void damagedAnalysis_data();
    void damagedAnalysis();
    void damagedAllocation_data();
    void damagedAllocation();
    void damagedModelJson_data();
    void damagedModelJson();
    void layersMustBeTheModels();
    void numbersAreNeverConvertedSilently();

private:
    QTemporaryDir dir_;
};

// The undamaged samples load, so every row below fails because of its one edit.
void TestDamagedFiles::samplesLoad() {
    const QString analysis = dir_.filePath("ok-analysis.json"), allocation = dir_.filePath("ok-allocation.json");
    writeFile(analysis, toJson(sampleAnalysis()).dump(1));
    writeFile(allocation, toJson(sampleAllocation()).dump(1));
    QCOMPARE(toJson(qs::loadAnalysis(analysis.toStdString())), toJson(sampleAnalysis()));
    QCOMPARE(toJson(qs::loadAllocation(allocation.toStdString())), toJson(sampleAllocation()));
    qs::ModelInfo info;
    qs::applyModelMetadata("m.pt", R"({"sample_rate": 8000, "labels": ["", "a"], "normalize": false})", info);
    QCOMPARE(info.sampleRate, 8000);
    QCOMPARE(info.labels, (std::vector<std::string>{"", "a"}));
    QVERIFY(!info.normalize);
}

void TestDamagedFiles::damagedAnalysis_data() {
    QTest::addColumn<QString>("edit");
    QTest::addColumn<QString>("message");
    QTest::newRow("negative params") << "set /layers/1/params -5" << ": layers[1].params is -5, expected an integer >= 1";
    QTest::newRow("params as text") << "set /layers/0/params \"12\"" << ": layers[0].params is a string, expected an integer";
    QTest::newRow("fractional params") << "set /layers/0/params 12.5" << "layers[0].params is 12.5, expected a whole number";
    QTest::newRow("params beyond int64") << "set /layers/0/params 1e30" << "layers[0].params is 1e+30, expected an integer >= 1";
    QTest::newRow("missing kind") << "remove /layers/0/kind" << ": layers[0] has no 'kind'";
    QTest::newRow("unknown kind") << "set /layers/0/kind \"lstm\"" << "layers[0].kind is 'lstm', expected linear, conv1d or conv2d";
    QTest::newRow("NaN written as null")
        << "set /layers/0/stats/all/median_abs null"
        << "layers[0].stats.all.median_abs is null, expected a number (a NaN or infinity written as null?)";
    QTest::newRow("NaN literal") << "text {\"model\": {\"total_params\": NaN}}" << "is not valid JSON";
    QTest::newRow("negative magnitude") << "set /layers/0/stats/all/median_abs -1" << "median_abs is -1, expected a number >= 0";
    QTest::newRow("negative count") << "set /layers/0/stats/alice/count -3" << "stats.alice.count is -3, expected an integer >= 0";
    QTest::newRow("min above max") << "set /layers/1/stats/all/min 5" << "layers[1].stats.all.min is 5, above max 2.5";
    QTest::newRow("negative histogram count")
        << "set /layers/0/stats/all/histogram/counts/2 -1" << "histogram.counts[2] is -1, expected an integer >= 0";
    QTest::newRow("negative channel maximum")
        << "set /layers/0/stats/all/channel_abs_max/0 -0.5" << "channel_abs_max[0] is -0.5, expected a number >= 0";
    QTest::newRow("channel maximum beyond float")
        << "set /layers/0/stats/all/channel_abs_max/0 1e300" << "channel_abs_max[0] is 1e+300, expected a number";
    QTest::newRow("repeated layer") << "set /layers/1/name \"m.conv\"" << "layers[1].name repeats layer 'm.conv'";
    QTest::newRow("shape disagrees with params") << "set /layers/0/shape [3, 3]" << "layers[0].shape holds 9 weights, but params says 12";
    QTest::newRow("negative dimension") << "set /layers/0/shape [4, -1, 3]" << "layers[0].shape[1] is -1, expected an integer >= 1";
    QTest::newRow("model smaller than its layers")
        << "set /model/total_params 20" << "model.total_params is 20, fewer than the weights of the layers listed";
    QTest::newRow("negative total") << "set /model/total_params -40" << "model.total_params is -40, expected an integer >= 0";
    QTest::newRow("implausible sample rate") << "set /model/sample_rate 0" << "model.sample_rate is 0, expected an integer 1000 to 384000";
    QTest::newRow("stats of an unknown speaker")
        << "copy /layers/0/stats/alice /layers/0/stats/bob" << "layers[0].stats.bob names speaker 'bob', who is not in 'speakers'";
    QTest::newRow("repeated speaker") << "copy /speakers/0 /speakers/1" << "speakers[1].name repeats speaker 'alice'";
    QTest::newRow("negative seconds") << "set /speakers/0/seconds -1" << "speakers[0].seconds is -1, expected a number >= 0";
    QTest::newRow("no layers") << "set /layers []" << ": layers is empty: the analysis lists no layers";
    QTest::newRow("layers not a list") << "set /layers {}" << ": layers is an object, expected an array";
    QTest::newRow("missing stats") << "remove /layers/1/stats" << "layers[1] has no 'stats'";
    QTest::newRow("missing model") << "remove /model" << ": 'model' is missing";
    QTest::newRow("newer version") << "set /version 2" << "version is 2; this quantscope reads version 1";
    QTest::newRow("another format") << "set /format \"quantscope-session\"" << "format is 'quantscope-session', expected quantscope-analysis";
    QTest::newRow("distance with a negative KL")
        << "set /layers/0/distances {\"all\": {\"kl\": -1, \"l1\": 0, \"l2\": 0, \"cosine\": 0, \"sqnr_db\": 3}}"
        << "layers[0].distances.all.kl is -1, expected a number >= 0";
    QTest::newRow("truncated") << "truncate 300" << "is not valid JSON";
    // Fuzz finding: nlohmann reports 1e400 as out_of_range, not parse_error, and it escaped readJson
    // without the file's name (fuzz/corpus/fuzz_analysis_json/finding-number-overflow.json).
    QTest::newRow("number beyond double")
        << "text {\"model\": {\"total_params\": 1e400}}" << "is not valid JSON ([json.exception.out_of_range.406] number overflow parsing '1e400')";
    QTest::newRow("empty file") << "truncate 0" << "is not valid JSON";
    QTest::newRow("not an object") << "text [1, 2, 3]" << ": the document is an array, expected an object";
}

void TestDamagedFiles::damagedAnalysis() {
    QFETCH(QString, edit);
    QFETCH(QString, message);
    const QString path = dir_.filePath("analysis.json");
    writeFile(path, qs::test::editJson(toJson(sampleAnalysis()).dump(1), edit.toStdString()));
    try {
        const qs::Analysis a = qs::loadAnalysis(path.toStdString());
        QFAIL(qPrintable("loaded without a word; layer 0 has " + QString::number(a.layers[0].info.params) + " params"));
    } catch (const qs::InputError& e) {
        checkMessage(e.what(), path, message);
    }
}

void TestDamagedFiles::damagedAllocation_data() {
    QTest::addColumn<QString>("edit");
    QTest::addColumn<QString>("message");
    QTest::newRow("too many bits") << "set /layers/0/bits 40" << ": layers[0].bits is 40, expected an integer 1 to 32";
    QTest::newRow("fractional bits") << "set /layers/1/bits 4.5" << ": layers[1].bits is 4.5, expected a whole number";
    QTest::newRow("bits as text") << "set /layers/0/bits \"4\"" << ": layers[0].bits is a string, expected an integer";
    QTest::newRow("missing bits") << "remove /layers/1/bits" << ": layers[1] has no 'bits'";
    QTest::newRow("missing target") << "remove /target_mb" << ": 'target_mb' is missing";
    QTest::newRow("negative target") << "set /target_mb -1" << ": target_mb is -1, expected a number >= 0";
    QTest::newRow("zero target") << "set /target_mb 0" << ": target_mb is 0, expected a size in MB above 0";
    QTest::newRow("NaN size") << "set /size_mb null" << ": size_mb is null, expected a number";
    QTest::newRow("unknown metric") << "set /metric \"entropy\"" << ": metric is not valid: unknown metric 'entropy'";
    QTest::newRow("unknown order") << "set /order \"random\"" << ": order is not valid:";
    QTest::newRow("floor out of range") << "set /min_bits 0" << ": min_bits is 0, expected an integer 1 to 31";
    QTest::newRow("repeated layer") << "set /layers/1/name \"m.conv\"" << ": layers[1].name repeats layer 'm.conv'";
    QTest::newRow("excluded but quantized")
        << "set /layers/0/included false" << ": layers[0].bits is 6, but the layer is excluded (included: false) and stays at 32";
    QTest::newRow("negative params") << "set /layers/0/params -12" << ": layers[0].params is -12, expected an integer >= 0";
    QTest::newRow("no layers") << "set /layers []" << ": layers is empty";
    QTest::newRow("empty speaker") << "set /speaker \"\"" << ": speaker is empty";
    QTest::newRow("truncated") << "truncate 120" << "is not valid JSON";
    QTest::newRow("number beyond double") << "text {\"target_mb\": 0.1e30000229}" << "is not valid JSON ([json.exception.out_of_range.406]";
}

void TestDamagedFiles::damagedAllocation() {
    QFETCH(QString, edit);
    QFETCH(QString, message);
    const QString path = dir_.filePath("allocation.json");
    writeFile(path, qs::test::editJson(toJson(sampleAllocation()).dump(1), edit.toStdString()));
    try {
        (void)qs::loadAllocation(path.toStdString());
        QFAIL("loaded without a word");
    } catch (const qs::InputError& e) {
        checkMessage(e.what(), path, message);
    }
}

void TestDamagedFiles::damagedModelJson_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("rate as text") << R"({"sample_rate": "16k"})" << "sample_rate is a string, expected an integer";
    QTest::newRow("fractional rate") << R"({"sample_rate": 16000.5})" << "sample_rate is 16000.5, expected a whole number";
    QTest::newRow("rate too low") << R"({"sample_rate": 50})" << "sample_rate is 50, expected an integer 1000 to 384000";
    QTest::newRow("negative rate") << R"({"sample_rate": -16000})" << "sample_rate is -16000, expected an integer 1000 to 384000";
    QTest::newRow("rate beyond int") << R"({"sample_rate": 4294983296})" << "sample_rate is 4294983296, expected an integer 1000 to 384000";
    QTest::newRow("NaN rate") << R"({"sample_rate": null})" << "sample_rate is null, expected an integer";
    QTest::newRow("normalize as text") << R"({"normalize": "yes"})" << "normalize is a string, expected true or false";
    QTest::newRow("labels not a list") << R"({"labels": "abc"})" << "labels is a string, expected an array";
    QTest::newRow("label not text") << R"({"labels": ["-", 3]})" << "labels[1] is a number, expected a string";
    QTest::newRow("repeated label") << R"({"labels": ["-", "a", "a"]})" << "labels[2] repeats the label 'a'";
    QTest::newRow("empty label") << R"({"labels": ["", ""]})" << "labels[1] is empty: only the blank (label 0) may be";
    QTest::newRow("not an object") << R"([16000])" << "the document is an array, expected an object";
    QTest::newRow("truncated") << R"({"sample_rate": 16000, "labels": ["-", "a)" << "model.json is not valid JSON";
    QTest::newRow("number beyond double") << R"({"sample_rate": 1e400})" << "model.json is not valid JSON";
}

void TestDamagedFiles::damagedModelJson() {
    QFETCH(QString, text);
    QFETCH(QString, message);
    qs::ModelInfo info;
    info.sampleRate = 16000;
    try {
        qs::applyModelMetadata("/models/m.pt", text.toStdString(), info);
        QFAIL("accepted without a word");
    } catch (const qs::ModelError& e) {
        checkMessage(e.what(), "/models/m.pt: model.json", message);
    }
    QCOMPARE(info.sampleRate, 16000);  // nothing half-applied
    QVERIFY(info.labels.empty());
}

// An analysis or allocation of another model (or with a hand-edited layer) is refused before an
// export, by name.
void TestDamagedFiles::layersMustBeTheModels() {
    const qs::Analysis a = sampleAnalysis();
    qs::ModelInfo model = a.model;
    qs::checkSameModel(a, model, "analysis.json");

    model.layers.pop_back();
    try {
        qs::checkSameModel(a, model, "analysis.json");
        QFAIL("a model with fewer layers passed");
    } catch (const qs::InputError& e) {
        checkMessage(e.what(), "analysis.json", "lists 2 layers, /models/m.pt has 1: was it made from another model?");
    }
    model = a.model;
    model.layers[1].name = "m.out";
    try {
        qs::checkSameModel(a, model, "analysis.json");
        QFAIL("a renamed layer passed");
    } catch (const qs::InputError& e) {
        checkMessage(e.what(), "analysis.json", "layer 1 is m.fc, but /models/m.pt's is m.out");
    }
    model = a.model;
    model.layers[0].params = 24;
    try {
        qs::checkSameModel(a, model, "analysis.json");
        QFAIL("a layer of another size passed");
    } catch (const qs::InputError& e) {
        checkMessage(e.what(), "analysis.json", "layer m.conv has 12 weights, but /models/m.pt's has 24");
    }
    qs::Allocation other = sampleAllocation();
    QVERIFY(qs::sameLayers(other, a));
    other.layers[1].name = "m.out";
    QVERIFY(!qs::sameLayers(other, a));
}

// The checked accessors against nlohmann's own conversions, which would have kept these values.
void TestDamagedFiles::numbersAreNeverConvertedSilently() {
    const nlohmann::json j = nlohmann::json::parse(
        R"({"neg": -1, "frac": 2.5, "whole": 3.0, "big": 18446744073709551615, "huge": 1e300, "s": "7"})");
    const qs::JsonField f(j, "f.json");
    QCOMPARE(j["neg"].get<std::uint64_t>(), std::uint64_t(18446744073709551615ull));  // nlohmann: wraps
    QVERIFY_THROWS_EXCEPTION(qs::InputError, f["neg"].count());
    QCOMPARE(j["frac"].get<int>(), 2);  // nlohmann: truncates
    QVERIFY_THROWS_EXCEPTION(qs::InputError, f["frac"].integer());
    QCOMPARE(f["whole"].integer(), std::int64_t(3));
    QCOMPARE(f["big"].count(), std::uint64_t(18446744073709551615ull));
    QVERIFY_THROWS_EXCEPTION(qs::InputError, f["big"].integer());
    QVERIFY_THROWS_EXCEPTION(qs::InputError, f["huge"].integer());
    QVERIFY_THROWS_EXCEPTION(qs::InputError, f["huge"].floatNumber());
    QCOMPARE(f["huge"].number(), 1e300);
    QVERIFY_THROWS_EXCEPTION(qs::InputError, f["s"].number());
    QCOMPARE(qs::checkedShapeCount({1 << 20, 1 << 20, 1 << 20, 1 << 20}), std::int64_t(-1));
    QCOMPARE(qs::checkedShapeCount({3, 0, 5}), std::int64_t(0));
    QCOMPARE(qs::checkedShapeCount({4, -1}), std::int64_t(-1));
}

QTEST_APPLESS_MAIN(TestDamagedFiles)
#include "test_damaged_files.moc"
