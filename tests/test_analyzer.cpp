// labels: unit
// qs::analyze on the fixture models and synthetic corpora: per-speaker and "all" statistics against
// an exact reference recorded with a plain LayerSink, independence from the thread count, skipped
// clips, progress and cancellation, the model's sample rate, and the analysis.json round trip.
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/stats/analysis.h"
#include "core/stats/analyzer.h"
#include "core/model/clip_runner.h"
#include "core/audio/audio_corpus.h"
#include "core/base/errors.h"
#include "core/model/speech_model.h"
#include "tests/support/audio_files.h"

using namespace qs::test;
using nlohmann::json;

namespace {

std::string fixture(const std::string& name) { return std::string(QS_FIXTURES_DIR) + "/" + name; }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A temporary folder; at(rel) is a path inside it.
struct Tree {
    QTemporaryDir dir;
    std::string root() const { return dir.path().toStdString(); }
    std::string at(const std::string& rel) const { return root() + "/" + rel; }
};

// A "voice": a tone and its third harmonic, so every speaker sounds (and activates) differently.
void writeVoice(const std::string& path, double seconds, double freq, double amp, int rate = 16000,
                AudioFormat format = AudioFormat::Wav16) {
    std::vector<float> x = sine(rate, seconds, freq, amp);
    const std::vector<float> h = sine(rate, seconds, 3.0 * freq, amp / 3.0, 0.5);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += h[i];
    writeAudio(path, format, rate, 1, x);
}

// Corpus options that feed the model what it expects (as the CLI does).
qs::CorpusOptions optionsFor(const qs::SpeechModel& model) {
    return qs::corpusOptionsFor(model.info());
}

qs::Analysis analyzeWith(const qs::SpeechModel& model, const qs::AudioCorpus& corpus, int threads,
                         const qs::ProgressFn& progress = {}) {
    qs::AnalyzeOptions options;
    options.threads = threads;
    return qs::analyze(model, corpus, options, progress);
}

// ---- the exact reference ------------------------------------------------------------------------

// Every value one layer produced, and the max |y| per output channel.
struct ExactLayer {
    std::vector<float> values;
    std::vector<float> channelAbsMax;

    void add(const float* data, std::size_t outer, std::size_t channels, std::size_t inner) {
        if (channelAbsMax.empty()) channelAbsMax.assign(channels, 0.0f);
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t c = 0; c < channels; ++c)
                for (std::size_t i = 0; i < inner; ++i) {
                    const float y = data[(o * channels + c) * inner + i];
                    values.push_back(y);
                    channelAbsMax[c] = std::max(channelAbsMax[c], std::fabs(y));
                }
    }
};

struct ExactSink : qs::LayerSink {
    explicit ExactSink(std::size_t layers) : layers(layers) {}
    void observe(int layer, const float* data, std::size_t outer, std::size_t channels, std::size_t inner) override {
        layers.at(std::size_t(layer)).add(data, outer, channels, inner);
    }
    std::vector<ExactLayer> layers;
};

struct ExactStats {
    std::uint64_t count = 0;
    double meanAbs = 0, varAbs = 0, stdAbs = 0, min = 0, max = 0, absMax = 0, medianAbs = 0, p99_9Abs = 0;
    std::vector<float> channelAbsMax;
};

// The q-quantile convention of core/stats/activation_stats.h: sorted value at index floor(q * (n - 1)).
double orderStatistic(std::vector<double> x, double q) {
    const auto k = std::size_t(std::floor(q * double(x.size() - 1)));
    std::nth_element(x.begin(), x.begin() + std::ptrdiff_t(k), x.end());
    return x[k];
}

ExactStats exactStats(const ExactLayer& layer) {
    ExactStats e;
    e.count = layer.values.size();
    e.channelAbsMax = layer.channelAbsMax;
    if (e.count == 0) return e;
    std::vector<double> a(layer.values.size());
    long double sum = 0;
    e.min = INFINITY;
    e.max = -INFINITY;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double y = layer.values[i];
        a[i] = std::fabs(y);
        sum += a[i];
        e.min = std::min(e.min, y);
        e.max = std::max(e.max, y);
    }
    e.meanAbs = double(sum / (long double)a.size());
    long double squares = 0;
    for (double v : a) squares += (v - e.meanAbs) * (v - e.meanAbs);
    e.varAbs = double(squares / (long double)a.size());
    e.stdAbs = std::sqrt(e.varAbs);
    e.absMax = std::max(-e.min, e.max);
    e.medianAbs = orderStatistic(a, 0.5);
    e.p99_9Abs = orderStatistic(a, 0.999);
    return e;
}

// Runs the given clips through forwardObserved into one exact sink (what analyze should see). LibTorch's
// kernels may round differently with another intra-op thread count, so the reference runs with the
// one thread that analyze gives every worker, whatever its thread budget (clip_runner.h).
ExactSink exactOver(const qs::SpeechModel& model, const qs::AudioCorpus& corpus, const std::vector<qs::Clip>& clips,
                    int /*analyzeThreads*/) {
    qs::setComputeThreads(1);
    ExactSink sink(model.info().layers.size());
    for (const qs::Clip& clip : clips) model.forwardObserved(corpus.load(clip), sink);
    return sink;
}

bool near(double a, double b, double relative) { return std::fabs(a - b) <= relative * std::max(std::fabs(b), 1e-300); }

QString describe(const std::string& layer, const std::string& speaker, const char* field, double got, double want) {
    return QString("%1 [%2] %3: analysis %4, expected %5")
        .arg(QString::fromStdString(layer), QString::fromStdString(speaker), field)
        .arg(got, 0, 'g', 17)
        .arg(want, 0, 'g', 17);
}

// Empty when s agrees with e: count, min, max, abs_max and channel maxima exactly, moments to
// `relative`, and (when checkQuantiles) the sketch quantiles to 1% of the exact order statistics.
QString compareToExact(const qs::StatsSummary& s, const ExactStats& e, const std::string& layer,
                       const std::string& speaker, double relative, bool checkQuantiles) {
    if (s.count != e.count) return describe(layer, speaker, "count", double(s.count), double(e.count));
    if (s.nonfinite != 0) return describe(layer, speaker, "nonfinite", double(s.nonfinite), 0);
    if (s.min != e.min) return describe(layer, speaker, "min", s.min, e.min);
    if (s.max != e.max) return describe(layer, speaker, "max", s.max, e.max);
    if (s.abs_max != e.absMax) return describe(layer, speaker, "abs_max", s.abs_max, e.absMax);
    if (!near(s.mean_abs, e.meanAbs, relative)) return describe(layer, speaker, "mean_abs", s.mean_abs, e.meanAbs);
    if (!near(s.var_abs, e.varAbs, 100 * relative)) return describe(layer, speaker, "var_abs", s.var_abs, e.varAbs);
    if (!near(s.std_abs, e.stdAbs, 100 * relative)) return describe(layer, speaker, "std_abs", s.std_abs, e.stdAbs);
    if (s.channel_abs_max != e.channelAbsMax)
        return QString("%1 [%2] channel_abs_max differs (%3 vs %4 channels)")
            .arg(QString::fromStdString(layer), QString::fromStdString(speaker))
            .arg(s.channel_abs_max.size())
            .arg(e.channelAbsMax.size());
    if (checkQuantiles) {
        if (!near(s.median_abs, e.medianAbs, 0.01))
            return describe(layer, speaker, "median_abs", s.median_abs, e.medianAbs);
        if (!near(s.p99_9_abs, e.p99_9Abs, 0.01)) return describe(layer, speaker, "p99_9_abs", s.p99_9_abs, e.p99_9Abs);
    }
    std::uint64_t histogramTotal = 0;
    for (std::uint64_t c : s.histogram.counts) histogramTotal += c;
    if (histogramTotal != s.count || s.histogram.counts.size() != 128 || s.histogram.lo != s.min ||
        s.histogram.hi != s.max)
        return QString("%1 [%2] histogram: %3 bins over [%4, %5] holding %6 of %7 values")
            .arg(QString::fromStdString(layer), QString::fromStdString(speaker))
            .arg(s.histogram.counts.size())
            .arg(s.histogram.lo)
            .arg(s.histogram.hi)
            .arg(histogramTotal)
            .arg(s.count);
    return {};
}

std::set<std::string> keysOf(const std::map<std::string, qs::StatsSummary>& m) {
    std::set<std::string> keys;
    for (const auto& [k, v] : m) keys.insert(k);
    return keys;
}

// Three speakers with different voices, clip lengths and file formats.
//   alice: 3 clips (0.5, 0.75, 1 s), 180 Hz, loud, 16 kHz WAV
//   bob:   2 clips (0.6, 0.9 s), 420 Hz, medium, 44.1 kHz FLAC (resampled)
//   carol: 4 clips (0.4 s each), 900 Hz, quiet, 8 kHz WAV (resampled)
void writeThreeSpeakers(const Tree& t) {
    const double aliceSeconds[] = {0.5, 0.75, 1.0};
    for (int i = 0; i < 3; ++i)
        writeVoice(t.at("alice/a" + std::to_string(i) + ".wav"), aliceSeconds[i], 180.0 + 10 * i, 0.8);
    writeVoice(t.at("bob/ch1/b0.flac"), 0.6, 420, 0.4, 44100, AudioFormat::Flac16);
    writeVoice(t.at("bob/ch1/b1.flac"), 0.9, 430, 0.4, 44100, AudioFormat::Flac16);
    for (int i = 0; i < 4; ++i) writeVoice(t.at("carol/c" + std::to_string(i) + ".wav"), 0.4, 900 + 50 * i, 0.05, 8000);
}

}  // namespace

class TestAnalyzer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void speakersAndAllAggregate();
    void speakerStatisticsMatchExactReference();
    void singleClipMatchesExactReference_data();
    void singleClipMatchesExactReference();
    void threadCountDoesNotChangeResults_data();
    void threadCountDoesNotChangeResults();
    void badClipsAreSkipped();
    void partlyProcessedClipLeavesNoTrace();
    void everyClipFailing_data();
    void everyClipFailing();
    void progressCountsClipsAndSeconds();
    void slowProgressCallbackStillSeesTheEnd();
    void cancelStopsPromptly();
    void modelSampleRateDrivesLoading();
    void jsonRoundTrip();

private:
    std::optional<qs::SpeechModel> traced_;  // w2v2_traced.pt: 16 kHz, normalize off, 18 layers
    Tree corpusTree_;                        // writeThreeSpeakers
};

void TestAnalyzer::initTestCase() {
    QVERIFY(corpusTree_.dir.isValid());
    traced_.emplace(qs::SpeechModel::load(fixture("w2v2_traced.pt")));
    QCOMPARE(traced_->info().layers.size(), std::size_t(18));
    QCOMPARE(traced_->info().normalize, false);
    writeThreeSpeakers(corpusTree_);
}

// Speakers, clips and seconds as in the corpus; every layer has stats for every speaker and "all",
// and "all" is exactly the union of the speakers.
void TestAnalyzer::speakersAndAllAggregate() {
    const qs::SpeechModel& model = *traced_;
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(corpusTree_.root(), optionsFor(model));
    QCOMPARE(corpus.speakers().size(), std::size_t(3));
    const qs::Analysis a = analyzeWith(model, corpus, 2);

    QVERIFY(a.skipped.empty());
    QCOMPARE(a.threads, 2);
    QCOMPARE(a.audioRoot, corpusTree_.root());
    QCOMPARE(a.model.path, fixture("w2v2_traced.pt"));
    QCOMPARE(a.model.totalParams, model.info().totalParams);
    QVERIFY(a.elapsedSeconds > 0);
    QCOMPARE(a.speakers.size(), corpus.speakers().size());
    const int wantClips[] = {3, 2, 4};
    const double wantSeconds[] = {2.25, 1.5, 1.6};
    for (std::size_t i = 0; i < a.speakers.size(); ++i) {
        const qs::Speaker& s = corpus.speakers()[i];
        QCOMPARE(a.speakers[i].name, s.name);
        QCOMPARE(a.speakers[i].clips, int(s.clips.size()));
        QCOMPARE(a.speakers[i].clips, wantClips[i]);
        QCOMPARE(a.speakers[i].files, s.files);
        QVERIFY(std::fabs(a.speakers[i].seconds - s.seconds) < 1e-12);
        QVERIFY(std::fabs(a.speakers[i].seconds - wantSeconds[i]) < 1e-9);
    }
    QCOMPARE(a.speakers[0].name, std::string("alice"));
    QCOMPARE(a.speakers[2].name, std::string("carol"));

    QCOMPARE(a.layers.size(), model.info().layers.size());
    const std::set<std::string> wantKeys{"all", "alice", "bob", "carol"};
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        const qs::LayerAnalysis& layer = a.layers[l];
        const std::string& name = layer.info.name;
        QCOMPARE(name, model.info().layers[l].name);
        QCOMPARE(keysOf(layer.stats), wantKeys);
        const qs::StatsSummary& all = layer.stats.at("all");

        std::uint64_t count = 0;
        double max = -INFINITY, min = INFINITY, absMax = 0, weightedMeanAbs = 0, secondMomentAbs = 0;
        std::vector<float> channelMax(all.channel_abs_max.size(), 0.0f);
        for (const auto& sp : a.speakers) {
            const qs::StatsSummary& s = layer.stats.at(sp.name);
            QVERIFY2(s.count > 0, name.c_str());
            QCOMPARE(s.abs_max, std::max(-s.min, s.max));
            count += s.count;
            max = std::max(max, s.max);
            min = std::min(min, s.min);
            absMax = std::max(absMax, s.abs_max);
            weightedMeanAbs += double(s.count) * s.mean_abs;
            secondMomentAbs += double(s.count) * (s.var_abs + s.mean_abs * s.mean_abs);
            QCOMPARE(s.channel_abs_max.size(), channelMax.size());
            for (std::size_t c = 0; c < channelMax.size(); ++c)
                channelMax[c] = std::max(channelMax[c], s.channel_abs_max[c]);
        }
        QCOMPARE(all.count, count);
        QCOMPARE(all.max, max);
        QCOMPARE(all.min, min);
        QCOMPARE(all.abs_max, absMax);
        QCOMPARE(all.abs_max, std::max(-all.min, all.max));
        QCOMPARE(all.channel_abs_max, channelMax);
        QCOMPARE(std::int64_t(all.channel_abs_max.size()), model.info().layers[l].outChannels());
        weightedMeanAbs /= double(count);
        QVERIFY2(near(all.mean_abs, weightedMeanAbs, 1e-9),
                 qPrintable(describe(name, "all", "mean_abs", all.mean_abs, weightedMeanAbs)));
        const double varAbs = secondMomentAbs / double(count) - weightedMeanAbs * weightedMeanAbs;
        QVERIFY2(near(all.var_abs, varAbs, 1e-6), qPrintable(describe(name, "all", "var_abs", all.var_abs, varAbs)));
        QVERIFY(near(all.std_abs, std::sqrt(all.var_abs), 1e-12));
        // Order statistics of the union lie between the speakers' own.
        double lo = INFINITY, hi = 0;
        for (const auto& sp : a.speakers) {
            lo = std::min(lo, layer.stats.at(sp.name).median_abs);
            hi = std::max(hi, layer.stats.at(sp.name).median_abs);
        }
        QVERIFY2(all.median_abs >= lo && all.median_abs <= hi, name.c_str());
    }
    // The speakers really differ: loud alice activates the first conv more than quiet carol.
    const qs::LayerAnalysis& first = a.layers.front();
    QVERIFY(first.stats.at("alice").mean_abs > first.stats.at("carol").mean_abs);
    QVERIFY(first.stats.at("alice").abs_max > 2 * first.stats.at("carol").abs_max);
}

// Each speaker's statistics equal an exact reference over the same clips through forwardObserved.
void TestAnalyzer::speakerStatisticsMatchExactReference() {
    const qs::SpeechModel& model = *traced_;
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(corpusTree_.root(), optionsFor(model));
    const qs::Analysis a = analyzeWith(model, corpus, 2);

    ExactSink all(model.info().layers.size());
    for (const qs::Speaker& speaker : corpus.speakers()) {
        const ExactSink exact = exactOver(model, corpus, speaker.clips, 2);
        for (std::size_t l = 0; l < a.layers.size(); ++l) {
            const QString problem = compareToExact(a.layers[l].stats.at(speaker.name), exactStats(exact.layers[l]),
                                                   a.layers[l].info.name, speaker.name, 1e-9, true);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
            ExactLayer& into = all.layers[l];
            into.values.insert(into.values.end(), exact.layers[l].values.begin(), exact.layers[l].values.end());
            if (into.channelAbsMax.empty()) into.channelAbsMax.assign(exact.layers[l].channelAbsMax.size(), 0.0f);
            for (std::size_t c = 0; c < into.channelAbsMax.size(); ++c)
                into.channelAbsMax[c] = std::max(into.channelAbsMax[c], exact.layers[l].channelAbsMax[c]);
        }
    }
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        const QString problem = compareToExact(a.layers[l].stats.at("all"), exactStats(all.layers[l]),
                                               a.layers[l].info.name, "all", 1e-9, true);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
}

void TestAnalyzer::singleClipMatchesExactReference_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("rate");
    QTest::addColumn<double>("seconds");
    QTest::addColumn<double>("freq");
    QTest::addColumn<double>("amp");
    QTest::newRow("traced w2v2, 1 s at 16 kHz") << "w2v2_traced.pt" << 16000 << 1.0 << 220.0 << 0.5;
    QTest::newRow("traced w2v2, 2.3 s at 22.05 kHz, loud") << "w2v2_traced.pt" << 22050 << 2.3 << 133.0 << 0.95;
    QTest::newRow("traced w2v2, 0.25 s, quiet") << "w2v2_traced.pt" << 16000 << 0.25 << 1500.0 << 0.01;
    QTest::newRow("scripted If/Loop, shared layer twice, conv2d") << "control_flow_scripted.pt" << 16000 << 1.0
                                                                  << 300.0 << 0.3;
    QTest::newRow("scripted w2v2, tuple output, 8 kHz model") << "w2v2_tuple_scripted.pt" << 16000 << 1.5 << 250.0
                                                              << 0.5;
}

// A one-clip corpus: every layer's analysis equals the exact statistics of what the layer produced.
void TestAnalyzer::singleClipMatchesExactReference() {
    QFETCH(QString, model);
    QFETCH(int, rate);
    QFETCH(double, seconds);
    QFETCH(double, freq);
    QFETCH(double, amp);

    const qs::SpeechModel m = qs::SpeechModel::load(fixture(model.toStdString()));
    Tree t;
    writeVoice(t.at("solo/clip.wav"), seconds, freq, amp, rate, AudioFormat::WavFloat);
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(t.root(), optionsFor(m));
    QCOMPARE(corpus.speakers().size(), std::size_t(1));
    QCOMPARE(corpus.speakers()[0].clips.size(), std::size_t(1));

    const qs::Analysis a = analyzeWith(m, corpus, 2);
    const ExactSink exact = exactOver(m, corpus, corpus.speakers()[0].clips, 2);
    QCOMPARE(a.layers.size(), m.info().layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        QCOMPARE(keysOf(a.layers[l].stats), (std::set<std::string>{"all", "solo"}));
        const ExactStats e = exactStats(exact.layers[l]);
        QVERIFY2(e.count > 0, a.layers[l].info.name.c_str());
        for (const char* speaker : {"solo", "all"}) {
            const QString problem =
                compareToExact(a.layers[l].stats.at(speaker), e, a.layers[l].info.name, speaker, 1e-9, true);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
    }
}

// One thread or two: the same clips give the same statistics (the merge order is the only change).
void TestAnalyzer::threadCountDoesNotChangeResults_data() {
    QTest::addColumn<bool>("singleClipSpeaker");
    QTest::newRow("every speaker has several clips") << false;
    QTest::newRow("a speaker with a single clip") << true;
}

void TestAnalyzer::threadCountDoesNotChangeResults() {
    QFETCH(bool, singleClipSpeaker);
    const qs::SpeechModel& model = *traced_;
    Tree single;
    if (singleClipSpeaker) {
        writeVoice(single.at("dave/only.wav"), 1.2, 140, 0.7);
        writeVoice(single.at("erin/1.wav"), 0.6, 600, 0.3);
        writeVoice(single.at("erin/2.wav"), 0.8, 610, 0.3);
    }
    const qs::AudioCorpus corpus =
        qs::AudioCorpus::scan(singleClipSpeaker ? single.root() : corpusTree_.root(), optionsFor(model));
    const qs::Analysis one = analyzeWith(model, corpus, 1);
    const qs::Analysis two = analyzeWith(model, corpus, 2);
    QCOMPARE(one.threads, 1);
    QCOMPARE(two.threads, 2);
    QCOMPARE(one.speakers.size(), two.speakers.size());
    for (std::size_t i = 0; i < one.speakers.size(); ++i) {
        QCOMPARE(one.speakers[i].name, two.speakers[i].name);
        QCOMPARE(one.speakers[i].clips, two.speakers[i].clips);
        QCOMPARE(one.speakers[i].seconds, two.speakers[i].seconds);
    }
    QCOMPARE(one.layers.size(), two.layers.size());
    for (std::size_t l = 0; l < one.layers.size(); ++l) {
        QCOMPARE(keysOf(one.layers[l].stats), keysOf(two.layers[l].stats));
        for (const auto& [speaker, s1] : one.layers[l].stats) {
            const qs::StatsSummary& s2 = two.layers[l].stats.at(speaker);
            const std::string where = one.layers[l].info.name + " [" + speaker + "]";
            QVERIFY2(s1.count == s2.count, where.c_str());
            QVERIFY2(s1.min == s2.min && s1.max == s2.max && s1.abs_max == s2.abs_max, where.c_str());
            QVERIFY2(s1.channel_abs_max == s2.channel_abs_max, where.c_str());
            QVERIFY2(s1.median_abs == s2.median_abs && s1.p99_abs == s2.p99_abs && s1.p99_9_abs == s2.p99_9_abs &&
                         s1.p99_99_abs == s2.p99_99_abs && s1.p0_1 == s2.p0_1 && s1.p99_9 == s2.p99_9,
                     where.c_str());
            QVERIFY2(s1.histogram.counts == s2.histogram.counts, where.c_str());
            // Bit-identical, moments included: clips are folded in corpus order (clip_runner.h).
            QVERIFY2(s1.mean_abs == s2.mean_abs, qPrintable(describe(one.layers[l].info.name, speaker, "mean_abs",
                                                                      s1.mean_abs, s2.mean_abs)));
            QVERIFY2(s1.var_abs == s2.var_abs && s1.std_abs == s2.std_abs, where.c_str());
            QVERIFY2(s1.kurtosis == s2.kurtosis, where.c_str());
        }
    }
}

void TestAnalyzer::badClipsAreSkipped() {
    const qs::SpeechModel& model = *traced_;
    Tree t;
    writeVoice(t.at("s/a_good.wav"), 0.5, 200, 0.5);
    writeVoice(t.at("s/b_cut.flac"), 2.0, 300, 0.5, 16000, AudioFormat::Flac16);
    truncateFile(t.at("s/b_cut.flac"), std::filesystem::file_size(t.at("s/b_cut.flac")) / 2);
    writeText(t.at("s/c_text.wav"), "this is not audio\n");
    writeAudio(t.at("s/d_tiny.wav"), AudioFormat::Wav16, 16000, 1, {0.1f, -0.2f, 0.3f, -0.1f, 0.05f});
    writeVoice(t.at("s/e_good.wav"), 0.75, 260, 0.4);
    writeVoice(t.at("other/o.wav"), 0.5, 500, 0.2);

    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(t.root(), optionsFor(model));
    QCOMPARE(corpus.skipped().size(), std::size_t(1));  // only the text file fails at scan time
    QCOMPARE(corpus.speakers()[1].clips.size(), std::size_t(4));

    const qs::Analysis a = analyzeWith(model, corpus, 2);
    QCOMPARE(a.skipped.size(), std::size_t(3));
    QCOMPARE(a.skipped[0].path, t.at("s/b_cut.flac"));
    QCOMPARE(a.skipped[1].path, t.at("s/c_text.wav"));
    QCOMPARE(a.skipped[2].path, t.at("s/d_tiny.wav"));
    QVERIFY2(contains(a.skipped[0].reason, "b_cut.flac"), a.skipped[0].reason.c_str());
    QVERIFY2(contains(a.skipped[1].reason, "not an audio file libsndfile can read"), a.skipped[1].reason.c_str());
    QVERIFY2(contains(a.skipped[2].reason, "model could not process"), a.skipped[2].reason.c_str());
    for (const auto& s : a.skipped) QVERIFY2(s.reason.find('\n') == std::string::npos, s.reason.c_str());

    QCOMPARE(a.speakers.size(), std::size_t(2));
    QCOMPARE(a.speakers[0].name, std::string("other"));
    QCOMPARE(a.speakers[1].name, std::string("s"));
    QCOMPARE(a.speakers[1].clips, 2);  // analysed clips only
    QCOMPARE(a.speakers[1].files, 2);
    QVERIFY(std::fabs(a.speakers[1].seconds - 1.25) < 1e-9);

    // s's statistics are those of its two good clips.
    std::vector<qs::Clip> good;
    for (const qs::Clip& c : corpus.speakers()[1].clips)
        if (contains(c.path, "_good")) good.push_back(c);
    QCOMPARE(good.size(), std::size_t(2));
    const ExactSink exact = exactOver(model, corpus, good, 2);
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        const QString problem =
            compareToExact(a.layers[l].stats.at("s"), exactStats(exact.layers[l]), a.layers[l].info.name, "s", 1e-9, true);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
}

// A clip long enough for the first conv layer (kernel 10, stride 5: 14 samples give 1 frame) but too
// short for the second (kernel 3) fails midway through the forward pass. It is skipped, and what
// the first layer saw of it must not end up in the statistics.
void TestAnalyzer::partlyProcessedClipLeavesNoTrace() {
    const qs::SpeechModel& model = *traced_;
    Tree t;
    writeVoice(t.at("s/good.wav"), 0.5, 200, 0.5);
    writeAudio(t.at("s/short.wav"), AudioFormat::WavFloat, 16000, 1,
               {0.9f, -0.9f, 0.9f, -0.9f, 0.9f, -0.9f, 0.9f, -0.9f, 0.9f, -0.9f, 0.9f, -0.9f, 0.9f, -0.9f});
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(t.root(), optionsFor(model));
    QCOMPARE(corpus.speakers()[0].clips.size(), std::size_t(2));

    // Precondition: the short clip really fails after the first layer produced output.
    const qs::Clip& shortClip = corpus.speakers()[0].clips[1];
    QCOMPARE(shortClip.id, std::string("short"));
    ExactSink partial(model.info().layers.size());
    QVERIFY_THROWS_EXCEPTION(qs::ModelError, model.forwardObserved(corpus.load(shortClip), partial));
    QCOMPARE(partial.layers[0].values.size(), std::size_t(16));

    const qs::Analysis a = analyzeWith(model, corpus, 1);
    QCOMPARE(a.skipped.size(), std::size_t(1));
    QVERIFY2(contains(a.skipped[0].reason, "model could not process"), a.skipped[0].reason.c_str());
    QCOMPARE(a.speakers[0].clips, 1);

    const ExactSink exact = exactOver(model, corpus, {corpus.speakers()[0].clips[0]}, 1);
    const ExactStats e = exactStats(exact.layers[0]);
    const qs::StatsSummary& s = a.layers[0].stats.at("s");
    QCOMPARE(s.count, e.count);
    QCOMPARE(s.abs_max, e.absMax);
}

void TestAnalyzer::everyClipFailing_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("reason");
    QTest::newRow("too short for the model") << "short" << "model could not process";
    QTest::newRow("undecodable") << "cut" << "cannot decode";
}

// When no clip at all can be analysed the result would be empty: ModelError with the last reason.
void TestAnalyzer::everyClipFailing() {
    QFETCH(QString, kind);
    QFETCH(QString, reason);
    Tree t;
    for (const char* speaker : {"a", "b"})
        for (int i = 0; i < 2; ++i) {
            const std::string path = t.at(std::string(speaker) + "/" + std::to_string(i));
            if (kind == "short") {
                writeAudio(path + ".wav", AudioFormat::Wav16, 16000, 1, {0.1f, 0.2f, 0.3f, 0.2f, 0.1f});
            } else {
                writeVoice(path + ".flac", 2.0, 300, 0.5, 16000, AudioFormat::Flac16);
                truncateFile(path + ".flac", std::filesystem::file_size(path + ".flac") / 2);
            }
        }
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(t.root(), optionsFor(*traced_));
    QCOMPARE(corpus.speakers().size(), std::size_t(2));
    try {
        analyzeWith(*traced_, corpus, 2);
        QFAIL("analyze should have thrown ModelError");
    } catch (const qs::ModelError& e) {
        const QString what = QString::fromStdString(e.what());
        QVERIFY2(what.contains("no clip could be analysed"), qPrintable(what));
        QVERIFY2(what.contains(reason), qPrintable(what));
        QVERIFY2(!what.contains('\n'), qPrintable(what));
    }
}

// Progress is reported on the calling thread with done rising to the clip count and seconds to the
// audio seconds, over all speakers.
void TestAnalyzer::progressCountsClipsAndSeconds() {
    const qs::SpeechModel& model = *traced_;
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(corpusTree_.root(), optionsFor(model));
    std::size_t clips = 0;
    double seconds = 0;
    for (const auto& s : corpus.speakers()) {
        clips += s.clips.size();
        seconds += s.seconds;
    }
    QCOMPARE(clips, std::size_t(9));

    std::vector<qs::Progress> calls;
    bool otherThread = false;
    const auto caller = std::this_thread::get_id();
    analyzeWith(model, corpus, 2, [&](const qs::Progress& p) {
        otherThread = otherThread || std::this_thread::get_id() != caller;
        calls.push_back(p);
        return true;
    });
    QVERIFY(!otherThread);
    QVERIFY(calls.size() >= 3);  // at least once per speaker
    for (std::size_t i = 0; i < calls.size(); ++i) {
        QCOMPARE(calls[i].total, clips);
        QVERIFY(calls[i].done <= clips);
        QVERIFY(calls[i].seconds <= seconds + 1e-9);
        if (i > 0) {
            QVERIFY(calls[i].done >= calls[i - 1].done);
            QVERIFY(calls[i].seconds >= calls[i - 1].seconds);
        }
    }
    QCOMPARE(calls.back().done, clips);
    QVERIFY2(std::fabs(calls.back().seconds - seconds) < 1e-9,
             qPrintable(QString("%1 vs %2").arg(calls.back().seconds).arg(seconds)));
    QVERIFY(!calls.back().message.empty());
}

// A callback that takes a while (a GUI marshalling to its thread, a slow terminal) must still be
// told that the last clip is done: clip_runner.h promises a call "at least after every clip".
void TestAnalyzer::slowProgressCallbackStillSeesTheEnd() {
    const qs::SpeechModel& model = *traced_;
    Tree t;
    for (int i = 0; i < 6; ++i) writeVoice(t.at("s/" + std::to_string(i) + ".wav"), 0.5, 200 + 10 * i, 0.5);
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(t.root(), optionsFor(model));
    std::vector<std::size_t> done;
    // The first call takes long enough for the remaining clips (tens of ms each) to finish meanwhile.
    analyzeWith(model, corpus, 2, [&](const qs::Progress& p) {
        done.push_back(p.done);
        if (done.size() == 1) std::this_thread::sleep_for(std::chrono::milliseconds(2000));
        return true;
    });
    QVERIFY(!done.empty());
    if (done.front() == 6) QSKIP("every clip was done before the first progress call: nothing to race with");
    QCOMPARE(done.back(), std::size_t(6));
}

// A callback returning false stops the run: Cancelled, no further calls, and well before the clips
// that were not started would have taken.
void TestAnalyzer::cancelStopsPromptly() {
    const qs::SpeechModel& model = *traced_;
    Tree t;
    for (const char* speaker : {"a", "b"})
        for (int i = 0; i < 10; ++i)
            writeVoice(t.at(std::string(speaker) + "/" + std::to_string(i) + ".wav"), 2.0, 150 + 20 * i, 0.5);
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(t.root(), optionsFor(model));

    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    analyzeWith(model, corpus, 2);
    const double full = std::chrono::duration<double>(Clock::now() - start).count();

    int calls = 0;
    start = Clock::now();
    QVERIFY_THROWS_EXCEPTION(qs::Cancelled, analyzeWith(model, corpus, 2, [&](const qs::Progress&) {
                                 ++calls;
                                 return false;
                             }));
    const double cancelled = std::chrono::duration<double>(Clock::now() - start).count();
    QCOMPARE(calls, 1);
    QVERIFY2(cancelled < 0.5 * full, qPrintable(QString("cancelled after %1 s; the full run took %2 s")
                                                   .arg(cancelled)
                                                   .arg(full)));

    // Cancelling after a few calls, in the second speaker, works the same.
    calls = 0;
    QVERIFY_THROWS_EXCEPTION(qs::Cancelled, analyzeWith(model, corpus, 2, [&](const qs::Progress& p) {
                                 ++calls;
                                 return p.done < 12;
                             }));
    QVERIFY(calls >= 2);
}

// w2v2_tuple_scripted.pt declares 8000 Hz: a corpus scanned with the model's rate loads clips at 8 kHz,
// and the analysis sees exactly that many samples (its first conv: 16 channels × ((n - 10) / 5 + 1)).
void TestAnalyzer::modelSampleRateDrivesLoading() {
    const qs::SpeechModel model = qs::SpeechModel::load(fixture("w2v2_tuple_scripted.pt"));
    QCOMPARE(model.info().sampleRate, 8000);
    Tree t;
    writeVoice(t.at("s/a.wav"), 1.0, 220, 0.5, 16000);
    writeVoice(t.at("s/b.wav"), 0.5, 330, 0.5, 44100);
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(t.root(), optionsFor(model));
    QCOMPARE(corpus.options().targetRate, 8000);
    const auto& clips = corpus.speakers()[0].clips;
    QCOMPARE(corpus.load(clips[0]).size(), std::size_t(8000));
    QCOMPARE(corpus.load(clips[1]).size(), std::size_t(4000));

    const qs::Analysis a = analyzeWith(model, corpus, 2);
    QCOMPARE(a.model.sampleRate, 8000);
    QVERIFY(std::fabs(a.speakers[0].seconds - 1.5) < 1e-9);
    const std::uint64_t frames = (8000 - 10) / 5 + 1 + (4000 - 10) / 5 + 1;
    QCOMPARE(a.layers[0].stats.at("all").count, 16 * frames);
}

// saveAnalysis writes the DESIGN.md keys; loadAnalysis gives back the same analysis.
void TestAnalyzer::jsonRoundTrip() {
    const qs::SpeechModel& model = *traced_;
    Tree t;
    writeVoice(t.at("audio/x/1.wav"), 0.5, 200, 0.5);
    writeVoice(t.at("audio/x/2.wav"), 0.4, 210, 0.5);
    writeVoice(t.at("audio/y/1.wav"), 0.6, 400, 0.2);
    writeText(t.at("audio/y/broken.wav"), "RIFF but not really");
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(t.at("audio"), optionsFor(model));
    const qs::Analysis a = analyzeWith(model, corpus, 2);
    QCOMPARE(a.skipped.size(), std::size_t(1));

    const std::string path = t.at("out/analysis.json");
    std::filesystem::create_directories(t.at("out"));
    qs::saveAnalysis(path, a);
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(t.at("out"))) files.push_back(e.path().filename());
    QCOMPARE(files, std::vector<std::string>{"analysis.json"});  // no temporary file left

    // The file itself, by the contract's keys.
    std::ifstream in(path);
    const json j = json::parse(in);
    QCOMPARE(j.at("model").at("path").get<std::string>(), fixture("w2v2_traced.pt"));
    QCOMPARE(j.at("model").at("total_params").get<std::int64_t>(), std::int64_t(21590));
    QVERIFY(std::fabs(j.at("model").at("size_mb").get<double>() - 21590 * 4.0 / (1 << 20)) < 1e-12);
    QCOMPARE(j.at("speakers").size(), std::size_t(2));
    QCOMPARE(j["speakers"][0].at("name").get<std::string>(), std::string("x"));
    QCOMPARE(j["speakers"][0].at("clips").get<int>(), 2);
    QVERIFY(std::fabs(j["speakers"][0].at("seconds").get<double>() - 0.9) < 1e-9);
    QCOMPARE(j["speakers"][1].at("name").get<std::string>(), std::string("y"));
    QCOMPARE(j["speakers"][1].at("clips").get<int>(), 1);
    QCOMPARE(j.at("layers").size(), std::size_t(18));
    std::ifstream expectedIn(fixture("w2v2_traced.expected.json"));
    const json expected = json::parse(expectedIn);
    const std::set<std::string> statKeys{"mean_abs", "median_abs", "max", "min", "abs_max",
                                         "std_abs",  "var_abs",    "p99_9_abs", "histogram"};
    for (std::size_t l = 0; l < j["layers"].size(); ++l) {
        const json& layer = j["layers"][l];
        const std::string name = layer.at("name").get<std::string>();
        QCOMPARE(name, expected["layers"][l]["name"].get<std::string>());  // without ".weight"
        QCOMPARE(layer.at("kind").get<std::string>(), expected["layers"][l]["kind"].get<std::string>());
        QCOMPARE(layer.at("params").get<std::int64_t>(), expected["layers"][l]["params"].get<std::int64_t>());
        QCOMPARE(layer.at("stats").size(), std::size_t(3));
        for (const char* speaker : {"all", "x", "y"}) {
            const json& s = layer["stats"].at(speaker);
            for (const std::string& key : statKeys) QVERIFY2(s.contains(key), (name + ": " + key).c_str());
            QCOMPARE(s["histogram"].at("counts").size(), std::size_t(128));
            QCOMPARE(s["max"].get<double>(), a.layers[l].stats.at(speaker).max);
        }
    }
    QCOMPARE(j.at("skipped").size(), std::size_t(1));
    QCOMPARE(j["skipped"][0].at("path").get<std::string>(), t.at("audio/y/broken.wav"));
    QVERIFY(contains(j["skipped"][0].at("reason").get<std::string>(), "not an audio file"));

    // And back.
    const qs::Analysis b = qs::loadAnalysis(path);
    QCOMPARE(b.model.path, a.model.path);
    QCOMPARE(b.model.totalParams, a.model.totalParams);
    QCOMPARE(b.model.sampleRate, a.model.sampleRate);
    QCOMPARE(b.model.normalize, a.model.normalize);
    QCOMPARE(b.model.labels, a.model.labels);
    QCOMPARE(b.audioRoot, a.audioRoot);
    QCOMPARE(b.threads, a.threads);
    QCOMPARE(b.speakers.size(), a.speakers.size());
    for (std::size_t i = 0; i < a.speakers.size(); ++i) {
        QCOMPARE(b.speakers[i].name, a.speakers[i].name);
        QCOMPARE(b.speakers[i].clips, a.speakers[i].clips);
        QCOMPARE(b.speakers[i].files, a.speakers[i].files);
        QCOMPARE(b.speakers[i].seconds, a.speakers[i].seconds);
    }
    QCOMPARE(b.skipped.size(), a.skipped.size());
    QCOMPARE(b.skipped[0].path, a.skipped[0].path);
    QCOMPARE(b.skipped[0].reason, a.skipped[0].reason);
    QCOMPARE(b.layers.size(), a.layers.size());
    QCOMPARE(b.model.layers.size(), a.layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        const qs::LayerAnalysis &x = a.layers[l], &y = b.layers[l];
        QCOMPARE(y.info.name, x.info.name);
        QCOMPARE(y.info.kind, x.info.kind);
        QCOMPARE(y.info.params, x.info.params);
        QCOMPARE(y.info.shape, x.info.shape);
        QCOMPARE(keysOf(y.stats), keysOf(x.stats));
        for (const auto& [speaker, s] : x.stats) {
            const qs::StatsSummary& r = y.stats.at(speaker);
            // JSON keeps doubles to 17 significant digits: the values come back bit for bit.
            QCOMPARE(r.count, s.count);
            QCOMPARE(r.nonfinite, s.nonfinite);
            const double got[] = {r.mean_abs, r.std_abs, r.var_abs, r.min, r.max, r.abs_max, r.median_abs,
                                  r.p99_abs, r.p99_9_abs, r.p99_99_abs, r.p0_1, r.p99_9, r.kurtosis,
                                  r.histogram.lo, r.histogram.hi};
            const double want[] = {s.mean_abs, s.std_abs, s.var_abs, s.min, s.max, s.abs_max, s.median_abs,
                                   s.p99_abs, s.p99_9_abs, s.p99_99_abs, s.p0_1, s.p99_9, s.kurtosis,
                                   s.histogram.lo, s.histogram.hi};
            for (std::size_t k = 0; k < std::size(got); ++k)
                QVERIFY2(got[k] == want[k], qPrintable(describe(x.info.name, speaker, "field", got[k], want[k])));
            QCOMPARE(r.histogram.counts, s.histogram.counts);
            QCOMPARE(r.channel_abs_max, s.channel_abs_max);
        }
    }
}

QTEST_GUILESS_MAIN(TestAnalyzer)
#include "test_analyzer.moc"
