// labels: e2e
// quantscope-cli analyze end to end on a generated corpus: analysis.json with the contract's keys,
// speaker selection and clip limits, one clear stderr line and no output file for every kind of bad
// input, atomic writes, and Ctrl-C (exit 130, nothing written).
#include <QtTest>

#include "tests/support/cli_process.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <signal.h>
#include <string>
#include <vector>

#include "tests/support/audio_files.h"

using nlohmann::json;
using namespace qs::test;

Q_DECLARE_METATYPE(std::vector<int>)

namespace {

QString fixture(const QString& name) { return QStringLiteral(QS_FIXTURES_DIR) + "/" + name; }

using Run = qs::test::CliRun;

// The non-empty lines of a process's stderr.
QStringList lines(const QString& text) { return text.split('\n', Qt::SkipEmptyParts); }

// Files a failed or cancelled atomic write could leave behind (json_io.cpp: "<path>.tmp.<pid>").
QStringList temporaries(const QString& dir) { return QDir(dir).entryList({"*.tmp.*"}, QDir::Files); }

json readJson(const QString& path) {
    std::ifstream in(path.toStdString());
    return json::parse(in);
}

std::string readText(const QString& path) {
    std::ifstream in(path.toStdString(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The statistics every layer carries per speaker (DESIGN.md, Contracts).
const char* const kStatKeys[] = {"mean_abs", "median_abs", "max",      "min",      "abs_max",
                                 "std_abs",  "var_abs",    "p99_9_abs", "histogram"};

}  // namespace

class TestCliAnalyze : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void analyzes();
    void options_data();
    void options();
    void errors_data();
    void errors();
    void outputFolderMissing();
    void failedRunKeepsExistingFile();
    void ctrlCCancels();

private:
    Run run(const QStringList& args, int timeoutMs = 120000);
    QString path(const QString& rel) const { return dir_.filePath(rel); }

    QTemporaryDir dir_;
    QString audio_;  // alice: 3 files (0.5, 0.7, 0.9 s), bob: 2 files (0.6 s each)
    QString model_;
};

void TestCliAnalyze::initTestCase() {
    QVERIFY(dir_.isValid());
    QVERIFY2(QFile::exists(QStringLiteral(QS_CLI)), QS_CLI);
    model_ = fixture("w2v2_traced.pt");
    audio_ = path("audio");
    const double aliceSeconds[] = {0.5, 0.7, 0.9};
    for (int i = 0; i < 3; ++i)
        writeSine(path("audio/alice/a%1.wav").arg(i).toStdString(), AudioFormat::Wav16, 16000, 1, aliceSeconds[i],
                  200 + 20 * i, 0.6);
    for (int i = 0; i < 2; ++i)
        writeSine(path("audio/bob/b%1.flac").arg(i).toStdString(), AudioFormat::Flac16, 22050, 2, 0.6, 500 + 30 * i,
                  0.3);
    QVERIFY(QDir().mkpath(path("empty")));
    writeText(path("texts/s/notes.wav").toStdString(), "not audio at all\n");
    for (const char* d : {"ok", "opt", "err", "keep", "sig"}) QVERIFY(QDir().mkpath(path(d)));
}

Run TestCliAnalyze::run(const QStringList& args, int timeoutMs) {
    return qs::test::runCli(QStringLiteral(QS_CLI), "analyze", args, timeoutMs);
}

// The whole corpus: exit 0, analysis.json by the contract, progress on stderr, nothing on stdout.
void TestCliAnalyze::analyzes() {
    const QString out = path("ok/analysis.json");
    const Run r = run({"--model", model_, "--audio", audio_, "--out", out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));

    const QStringList err = lines(r.err);
    QVERIFY2(err.size() >= 3, qPrintable(r.err));
    QVERIFY2(err.first().startsWith("analyze: " + model_ + ", 18 layers; 2 speakers, 5 clips (0 files skipped)"),
             qPrintable(r.err));
    QVERIFY2(r.err.contains("analyze: 5/5 clips"), qPrintable(r.err));  // progress, off a terminal
    QVERIFY2(err.last().startsWith("analyze: wrote " + out + " (3.3 s of audio"), qPrintable(r.err));

    QCOMPARE(QDir(path("ok")).entryList(QDir::Files), QStringList{"analysis.json"});  // no temporary left
    const json j = readJson(out);
    QCOMPARE(j.at("model").at("path").get<std::string>(), model_.toStdString());
    QCOMPARE(j["model"].at("total_params").get<int>(), 21590);
    QCOMPARE(j["model"].at("size_mb").get<double>(), 21590 * 4.0 / (1 << 20));

    const json& speakers = j.at("speakers");
    QCOMPARE(speakers.size(), std::size_t(2));
    QCOMPARE(speakers[0].at("name").get<std::string>(), std::string("alice"));
    QCOMPARE(speakers[0].at("clips").get<int>(), 3);
    QVERIFY(std::fabs(speakers[0].at("seconds").get<double>() - 2.1) < 1e-9);
    QCOMPARE(speakers[1].at("name").get<std::string>(), std::string("bob"));
    QCOMPARE(speakers[1].at("clips").get<int>(), 2);
    QVERIFY(std::fabs(speakers[1].at("seconds").get<double>() - 1.2) < 1e-9);

    std::ifstream expectedIn((fixture("w2v2_traced.expected.json")).toStdString());
    const json expected = json::parse(expectedIn);
    const json& layers = j.at("layers");
    QCOMPARE(layers.size(), expected.at("layers").size());
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const json& layer = layers[l];
        const std::string name = layer.at("name").get<std::string>();
        QCOMPARE(name, expected["layers"][l]["name"].get<std::string>());
        QCOMPARE(layer.at("kind").get<std::string>(), expected["layers"][l]["kind"].get<std::string>());
        QCOMPARE(layer.at("params").get<std::int64_t>(), expected["layers"][l]["params"].get<std::int64_t>());
        const json& stats = layer.at("stats");
        QCOMPARE(stats.size(), std::size_t(3));
        for (const char* speaker : {"all", "alice", "bob"}) {
            QVERIFY2(stats.contains(speaker), (name + " " + speaker).c_str());
            for (const char* key : kStatKeys) QVERIFY2(stats[speaker].contains(key), (name + ": " + key).c_str());
            const json& s = stats[speaker];
            QVERIFY(s["min"].get<double>() <= s["max"].get<double>());
            QCOMPARE(s["abs_max"].get<double>(), std::max(-s["min"].get<double>(), s["max"].get<double>()));
            QVERIFY(s["median_abs"].get<double>() <= s["p99_9_abs"].get<double>());
            QVERIFY(s["p99_9_abs"].get<double>() <= s["abs_max"].get<double>());
        }
        QCOMPARE(stats["all"]["count"].get<std::uint64_t>(),
                 stats["alice"]["count"].get<std::uint64_t>() + stats["bob"]["count"].get<std::uint64_t>());
    }
    QVERIFY(j.at("skipped").is_array());
    QVERIFY(j["skipped"].empty());
}

void TestCliAnalyze::options_data() {
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QStringList>("speakers");
    QTest::addColumn<std::vector<int>>("clips");
    QTest::addColumn<double>("seconds");  // audio analysed, all speakers
    QTest::addColumn<int>("threads");     // as recorded in run.threads; 0: not checked

    QTest::newRow("--speaker bob") << QStringList{"--speaker", "bob"} << QStringList{"bob"} << std::vector<int>{2}
                                   << 1.2 << 0;
    QTest::newRow("two speakers, in the order given")
        << QStringList{"--speaker", "bob", "--speaker", "alice"} << QStringList{"bob", "alice"}
        << std::vector<int>{2, 3} << 3.3 << 0;
    QTest::newRow("--max-clips 1") << QStringList{"--max-clips", "1"} << QStringList{"alice", "bob"}
                                   << std::vector<int>{1, 1} << 1.1 << 0;
    QTest::newRow("--threads 1") << QStringList{"--threads", "1"} << QStringList{"alice", "bob"}
                                 << std::vector<int>{3, 2} << 3.3 << 1;
    // 0.3 s windows (4800 frames at 16 kHz, 6615 at 22.05 kHz): alice 2 + 3 + 3, bob 2 + 2.
    QTest::newRow("--window-seconds 0.3") << QStringList{"--window-seconds", "0.3"} << QStringList{"alice", "bob"}
                                          << std::vector<int>{8, 4} << 3.3 << 0;
}

void TestCliAnalyze::options() {
    QFETCH(QStringList, options);
    QFETCH(QStringList, speakers);
    QFETCH(std::vector<int>, clips);
    QFETCH(double, seconds);
    QFETCH(int, threads);

    const QString out = path("opt/analysis.json");
    QFile::remove(out);
    const Run r = run(QStringList{"--model", model_, "--audio", audio_, "--out", out} + options);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const json j = readJson(out);
    QCOMPARE(j.at("speakers").size(), std::size_t(speakers.size()));
    double total = 0;
    for (int i = 0; i < speakers.size(); ++i) {
        QCOMPARE(QString::fromStdString(j["speakers"][i].at("name").get<std::string>()), speakers[i]);
        QCOMPARE(j["speakers"][i].at("clips").get<int>(), clips[std::size_t(i)]);
        total += j["speakers"][i].at("seconds").get<double>();
    }
    QVERIFY2(std::fabs(total - seconds) < 1e-9, qPrintable(QString::number(total, 'g', 17)));
    if (threads > 0) QCOMPARE(j.at("run").at("threads").get<int>(), threads);

    std::set<std::string> want{"all"};
    for (const QString& s : speakers) want.insert(s.toStdString());
    for (const json& layer : j.at("layers")) {
        std::set<std::string> got;
        for (const auto& [k, v] : layer.at("stats").items()) got.insert(k);
        QVERIFY(got == want);
    }
}

void TestCliAnalyze::errors_data() {
    // {model}, {audio}, {out}, {dir} and {fixtures} are replaced by paths of this run.
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("messages");  // parts of the one error line

    const QStringList base{"--model", "{model}", "--audio", "{audio}", "--out", "{out}"};
    auto with = [&](const QString& option, const QString& value) {
        QStringList a = base;
        a[int(a.indexOf(option)) + 1] = value;
        return a;
    };
    QTest::newRow("missing --model") << QStringList{"--audio", "{audio}", "--out", "{out}"}
                                     << QStringList{"missing --model"};
    QTest::newRow("missing --out") << QStringList{"--model", "{model}", "--audio", "{audio}"}
                                   << QStringList{"missing --out"};
    QTest::newRow("not a model") << with("--model", "{fixtures}/not_a_model.pt")
                                 << QStringList{"not_a_model.pt is not a TorchScript model"};
    QTest::newRow("model without layers") << with("--model", "{fixtures}/no_layers.pt")
                                          << QStringList{"no_layers.pt has no quantizable layers"};
    QTest::newRow("model rejects waveforms") << with("--model", "{fixtures}/wants_images.pt")
                                             << QStringList{"rejected a [1, 16000] float waveform"};
    QTest::newRow("missing audio folder") << with("--audio", "{dir}/no_such_audio")
                                          << QStringList{"audio folder {dir}/no_such_audio does not exist"};
    QTest::newRow("empty audio folder") << with("--audio", "{dir}/empty")
                                        << QStringList{"no readable audio in {dir}/empty"};
    QTest::newRow("audio folder without readable audio")
        << with("--audio", "{dir}/texts") << QStringList{"no readable audio", "1 file(s) skipped", "notes.wav"};
    QTest::newRow("unknown option") << base + QStringList{"--frobnicate", "3"} << QStringList{"unknown option --frobnicate"};
    QTest::newRow("non-numeric --threads") << base + QStringList{"--threads", "two"}
                                           << QStringList{"--threads takes a whole number, not 'two'"};
    QTest::newRow("negative --threads") << base + QStringList{"--threads", "-1"} << QStringList{"--threads must be 0"};
    QTest::newRow("zero --window-seconds") << base + QStringList{"--window-seconds", "0"}
                                           << QStringList{"--window-seconds must be positive"};
    QTest::newRow("option without value") << base + QStringList{"--speaker"}
                                          << QStringList{"option --speaker needs a value"};
    QTest::newRow("unknown speaker") << base + QStringList{"--speaker", "alice", "--speaker", "zoe"}
                                     << QStringList{"unknown speaker \"zoe\"", "alice, bob"};
}

// Exit code non-zero, exactly one line on stderr naming the problem, no output or temporary file.
void TestCliAnalyze::errors() {
    QFETCH(QStringList, args);
    QFETCH(QStringList, messages);

    const QString out = path("err/analysis.json");
    auto expand = [&](QString s) {
        return s.replace("{model}", model_)
            .replace("{audio}", audio_)
            .replace("{out}", out)
            .replace("{dir}", dir_.path())
            .replace("{fixtures}", QStringLiteral(QS_FIXTURES_DIR));
    };
    for (QString& a : args) a = expand(a);

    const Run r = run(args);
    QVERIFY2(r.exitCode > 0, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(r.err)));
    QVERIFY2(lines(r.err).size() == 1 && r.err.endsWith('\n'), qPrintable(r.err));
    QVERIFY2(r.err.startsWith("quantscope-cli analyze: "), qPrintable(r.err));
    for (const QString& m : messages) QVERIFY2(r.err.contains(expand(m)), qPrintable(r.err));
    QVERIFY(!QFile::exists(out));
    QCOMPARE(QDir(path("err")).entryList(QDir::Files | QDir::Hidden), QStringList{});
}

// An --out in a folder that does not exist: the analysis runs, then writing fails. The last line
// says why, the exit code is non-zero and nothing is left behind.
void TestCliAnalyze::outputFolderMissing() {
    const QString out = path("no_such_folder/analysis.json");
    const Run r = run({"--model", model_, "--audio", audio_, "--out", out, "--max-clips", "1"});
    QVERIFY2(r.exitCode > 0, qPrintable(r.err));
    QVERIFY2(lines(r.err).last().startsWith("quantscope-cli analyze: cannot write " + out), qPrintable(r.err));
    QVERIFY(!QDir(path("no_such_folder")).exists());
}

// A run that fails leaves an existing output file as it was; a run that succeeds replaces it whole.
void TestCliAnalyze::failedRunKeepsExistingFile() {
    const QString out = path("keep/analysis.json");
    const std::string previous = "{\"previous\": \"analysis\"}\n";
    writeText(out.toStdString(), previous);

    const QList<QStringList> failing{
        {"--model", fixture("not_a_model.pt"), "--audio", audio_, "--out", out},
        {"--model", model_, "--audio", audio_, "--out", out, "--speaker", "zoe"},
        {"--model", model_, "--audio", path("empty"), "--out", out},
    };
    for (const QStringList& args : failing) {
        const Run r = run(args);
        QVERIFY2(r.exitCode > 0, qPrintable(r.err));
        QCOMPARE(readText(out), previous);
        QCOMPARE(temporaries(path("keep")), QStringList{});
    }

    const Run r = run({"--model", model_, "--audio", audio_, "--out", out, "--max-clips", "1"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const json j = readJson(out);
    QCOMPARE(j.at("speakers").size(), std::size_t(2));
    QVERIFY(!j.contains("previous"));
    QCOMPARE(QDir(path("keep")).entryList(QDir::Files), QStringList{"analysis.json"});
}

// SIGINT during a long analysis: the run stops at the next progress check, says it was cancelled,
// exits with 130 and writes nothing.
void TestCliAnalyze::ctrlCCancels() {
    // 60 recordings of 20 s, cut into 600 clips of 2 s: a minute or so of work, while one clip takes
    // a fraction of a second. (Not whole 20 s clips: the fixture's encoder downsamples only 20×, so
    // its attention over 16,000 frames takes gigabytes per clip. A cancel no longer waits for running
    // clips, it stops them at their next layer: test_forward_memory, test_cli_cancel.)
    const QString longAudio = path("long");
    for (int i = 0; i < 60; ++i)
        writeSine(QString("%1/%2/clip%3.wav").arg(longAudio).arg(i % 2 ? "x" : "y").arg(i, 2, 10, QChar('0')).toStdString(),
                  AudioFormat::Wav16, 16000, 1, 20.0, 150 + 7 * i, 0.5);
    const QString out = path("sig/analysis.json");

    QProcess p;
    p.start(QStringLiteral(QS_CLI),
            {"analyze", "--model", model_, "--audio", longAudio, "--window-seconds", "2", "--out", out});
    QVERIFY(p.waitForStarted());
    QString err;
    QElapsedTimer clock;
    clock.start();
    while (!err.contains("analyze:") && clock.elapsed() < 60000 && p.state() == QProcess::Running) {
        p.waitForReadyRead(1000);
        err += QString::fromUtf8(p.readAllStandardError());
    }
    QVERIFY2(err.contains("analyze:"), qPrintable(err));
    QVERIFY2(err.contains("2 speakers, 600 clips"), qPrintable(err));
    // The header line is printed just before the Ctrl-C handler is installed (cmd_analyze.cpp): give
    // the process a moment to get there and into the analysis.
    QTest::qWait(300);
    QVERIFY2(p.state() == QProcess::Running, "the analysis finished before it could be interrupted");

    QElapsedTimer stopping;
    stopping.start();
    QCOMPARE(::kill(pid_t(p.processId()), SIGINT), 0);
    QVERIFY(p.waitForFinished(30000));
    const qint64 stopMs = stopping.elapsed();
    err += QString::fromUtf8(p.readAllStandardError());

    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 130);
    QVERIFY2(lines(err).last() == "quantscope-cli analyze: cancelled, nothing written", qPrintable(err));
    QVERIFY2(stopMs < 10000, qPrintable(QString("took %1 ms to stop").arg(stopMs)));
    QVERIFY(!QFile::exists(out));
    QCOMPARE(QDir(path("sig")).entryList(QDir::Files | QDir::Hidden), QStringList{});
}

QTEST_GUILESS_MAIN(TestCliAnalyze)
#include "test_cli_analyze.moc"
