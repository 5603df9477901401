// labels: e2e
// quantscope-cli within a memory budget, on the fixture whose memory grows fast with clip length
// (memory_hungry_scripted.pt: 20x downsampling and 8 attention heads, ~18 GB for one 30 s window):
// analyze with distance passes, export with activation and cosine weight calibration, and evaluate,
// each on a 20 s recording with --max-memory 768M, stay below it (the process's peak RSS, read as
// it is reaped), cut the recording into shorter windows (3.2 s on this model) and say so in one
// line; a budget that leaves no room for even a short window fails with one clear line and writes
// nothing. (A 30 s window of this model would need ~44 GiB: bench/bench_memory.) The recording is
// short because a pass of this model is slow (~2 s for a 3 s window on a busy core); the cut and
// the budget are the same for a longer one.
#include <QtTest>

#include <QDir>
#include <QTemporaryDir>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/support/audio_files.h"
#include "tests/support/cli_process.h"

using nlohmann::json;
using qs::test::CliRun;

namespace {

constexpr long kBudgetMiB = 768;
constexpr double kRecordingSeconds = 20;

QString fixture(const QString& name) { return QStringLiteral(QS_FIXTURES_DIR) + "/" + name; }

QStringList lines(const QString& text) { return text.split('\n', Qt::SkipEmptyParts); }

json readJson(const QString& path) {
    std::ifstream in(path.toStdString());
    return json::parse(in);
}

CliRun cli(const QStringList& args) { return qs::test::runMeasured(QStringLiteral(QS_CLI), args); }

// The line that says the recording was cut shorter than asked, and the window it names.
double windowOf(const QString& err, const QString& verb) {
    const QString prefix = verb + ": 1 recording is cut into ";
    for (const QString& l : lines(err))
        if (l.startsWith(prefix) && l.endsWith(QString(" s windows, not 30 s (--window-seconds), to fit the memory budget "
                                                      "of %1 MiB (--max-memory)").arg(kBudgetMiB)))
            return l.mid(prefix.size()).section(' ', 0, 0).toDouble();
    return 0;
}

}  // namespace

class TestCliMemory : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        // A gliding tone with noise, one speaker.
        std::mt19937 rng(3);
        std::normal_distribution<float> noise(0.0f, 0.05f);
        std::vector<float> samples(std::size_t(kRecordingSeconds * 16000));
        double phase = 0;
        for (std::size_t i = 0; i < samples.size(); ++i) {
            phase += 2 * M_PI * (180 + 60 * std::sin(double(i) / 16000)) / 16000;
            samples[i] = float(0.4 * std::sin(phase)) + noise(rng);
        }
        qs::test::writeAudio((dir_.path() + "/audio/talker/long.wav").toStdString(), qs::test::AudioFormat::Wav16, 16000, 1,
                             samples);
        model_ = fixture(QStringLiteral("memory_hungry_scripted.pt"));
    }

    // analyze → allocate → export → evaluate, every model-running step within the budget; one test
    // function per step, so each has the test watchdog's time.
    void analyzeStaysWithinTheBudget() {
        const QString audio = dir_.path() + "/audio";
        analysis_ = dir_.path() + "/analysis.json";
        const CliRun a = cli({"analyze", "--model", model_, "--audio", audio, "--max-memory", budget(), "--threads", "2",
                              "--distance-clips", "1", "--out", analysis_});
        QVERIFY2(a.exitCode == 0, qPrintable(a.err));
        QVERIFY2(a.peakRssKiB < kBudgetMiB * 1024, qPrintable(QString("analyze peaked at %1 MiB").arg(a.peakRssKiB / 1024)));
        window_ = windowOf(a.err, "analyze");
        QVERIFY2(window_ >= 2.0 && window_ < 30, qPrintable(a.err));
        const json j = readJson(analysis_);
        clips_ = j.at("speakers").at(0).at("clips").get<int>();
        QCOMPARE(clips_, int(std::ceil(kRecordingSeconds / window_ - 1e-9)));
        QVERIFY(j.at("layers").at(0).at("distances").contains("all"));
        qInfo("analyze: %.1f s windows, peak RSS %ld MiB of %ld", window_, a.peakRssKiB / 1024, kBudgetMiB);
    }

    void exportStaysWithinTheBudget() {
        QVERIFY(clips_ > 0);
        const QString allocation = dir_.path() + "/allocation.json";
        const CliRun al = qs::test::runCli(QStringLiteral(QS_CLI), "allocate",
                                          {"--analysis", analysis_, "--target-mb", "0.02", "--min-bits", "2", "--out", allocation});
        QVERIFY2(al.exitCode == 0, qPrintable(al.err));
        exported_ = dir_.path() + "/export";
        const CliRun e = cli({"export", "--model", model_, "--analysis", analysis_, "--allocation", allocation, "--out",
                              exported_, "--weight-calibration", "cosine", "--calibration-clips", "2", "--max-memory", budget()});
        QVERIFY2(e.exitCode == 0, qPrintable(e.err));
        QVERIFY2(e.peakRssKiB < kBudgetMiB * 1024, qPrintable(QString("export peaked at %1 MiB").arg(e.peakRssKiB / 1024)));
        const double window = windowOf(e.err, "export");  // the same budget, as the RSS then allows
        QVERIFY2(window >= 2.0 && window < 30, qPrintable(e.err));
        qInfo("export: peak RSS %ld MiB", e.peakRssKiB / 1024);
    }

    void evaluateStaysWithinTheBudget() {
        QVERIFY(!exported_.isEmpty());
        const QString evaluation = dir_.path() + "/evaluation.json";
        // The export's model.pt itself, not its folder: the one recording also calibrated it, and a folder
        // would have evaluate leave out the clips its calibration read (quality is never measured on them).
        const CliRun v = cli({"evaluate", "--model", model_, "--quantized", exported_ + "/model.pt", "--audio", dir_.path() + "/audio",
                              "--max-memory", budget(), "--out", evaluation});
        QVERIFY2(v.exitCode == 0, qPrintable(v.err));
        QVERIFY2(v.peakRssKiB < kBudgetMiB * 1024, qPrintable(QString("evaluate peaked at %1 MiB").arg(v.peakRssKiB / 1024)));
        // Two models per worker: a window no longer than the analysis's.
        const double window = windowOf(v.err, "evaluate");
        QVERIFY2(window >= 2.0 && window <= window_, qPrintable(v.err));
        QCOMPARE(readJson(evaluation).at("all").at("clips").get<int>(), int(std::ceil(kRecordingSeconds / window - 1e-9)));
        qInfo("evaluate: %.1f s windows, peak RSS %ld MiB", window, v.peakRssKiB / 1024);
    }

    // So small a budget that not even a 2 s window fits: one line, no file.
    void aBudgetTooSmallFailsInOneLine() {
        const QString out = dir_.path() + "/small/analysis.json";
        QDir().mkpath(dir_.path() + "/small");
        const CliRun r = cli({"analyze", "--model", model_, "--audio", dir_.path() + "/audio", "--max-memory", "300M",
                              "--out", out});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(lines(r.err).size(), 1);
        const QString line = lines(r.err).at(0);
        QVERIFY2(line.startsWith("quantscope-cli analyze: " + model_ + " needs about "), qPrintable(line));
        QVERIFY2(line.contains(" for a 2.0 s window, but the memory budget of 300 MiB leaves "), qPrintable(line));
        QVERIFY2(line.endsWith(": raise the memory budget (--max-memory)"), qPrintable(line));
        QCOMPARE(QDir(dir_.path() + "/small").entryList(QDir::Files | QDir::Hidden), QStringList{});
    }

    void badSizesAreOneLine() {
        const CliRun r = qs::test::runCli(QStringLiteral(QS_CLI), "analyze",
                                         {"--model", model_, "--audio", dir_.path() + "/audio", "--max-memory", "lots",
                                          "--out", dir_.path() + "/x.json"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(lines(r.err), QStringList{"quantscope-cli analyze: --max-memory takes a memory size such as 4G, 512M or "
                                           "1.5GiB, not 'lots'"});
    }

private:
    static QString budget() { return QString::number(kBudgetMiB) + "M"; }
    QTemporaryDir dir_;
    QString model_, analysis_, exported_;
    double window_ = 0;
    int clips_ = 0;
};

QTEST_GUILESS_MAIN(TestCliMemory)
#include "test_cli_memory.moc"
