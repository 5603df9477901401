// labels: unit
// links: qs_audio
// AudioCorpus and transcripts: folder layouts, formats, resampling, windows, bad files. All audio is
// synthesised into a temporary folder with tests/support/audio_files.h.
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "core/audio/audio_corpus.h"
#include "core/base/errors.h"
#include "core/audio/transcripts.h"
#include "tests/support/audio_files.h"

using qs::AudioCorpus;
using qs::CorpusOptions;
using namespace qs::test;

Q_DECLARE_METATYPE(qs::test::AudioFormat)
Q_DECLARE_METATYPE(std::vector<double>)

namespace {

// A temporary folder; at(rel) is a path inside it.
struct Tree {
    QTemporaryDir dir;
    std::string root() const { return dir.path().toStdString(); }
    std::string at(const std::string& rel) const { return root() + "/" + rel; }
};

CorpusOptions rawOptions() {
    CorpusOptions o;
    o.normalize = false;
    return o;
}

// The message of the E thrown by f, or "<not thrown>".
template <class E, class F>
std::string thrownMessage(F f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "<not thrown>";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

double mean(const std::vector<float>& x) { return std::accumulate(x.begin(), x.end(), 0.0) / double(x.size()); }

double variance(const std::vector<float>& x) {
    const double m = mean(x);
    double s = 0.0;
    for (float v : x) s += (v - m) * (v - m);
    return s / double(x.size());
}

double rms(const std::vector<float>& x) {
    double s = 0.0;
    for (float v : x) s += double(v) * v;
    return std::sqrt(s / double(x.size()));
}

// The middle of a signal, away from resampler edge effects.
std::vector<float> interior(const std::vector<float>& x, double edgeFraction = 0.1) {
    const auto edge = std::size_t(double(x.size()) * edgeFraction);
    return {x.begin() + std::ptrdiff_t(edge), x.end() - std::ptrdiff_t(edge)};
}

// Frequency of a tone from its zero crossings: two per period.
double zeroCrossingFrequency(const std::vector<float>& x, int rate) {
    int crossings = 0;
    for (std::size_t i = 1; i < x.size(); ++i)
        if ((x[i - 1] < 0) != (x[i] < 0)) ++crossings;
    return crossings / 2.0 / (double(x.size()) / rate);
}

// Amplitude of the component at freq, by projecting on sin and cos (any phase).
double toneAmplitude(const std::vector<float>& x, int rate, double freq) {
    double a = 0.0, b = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double w = 2.0 * M_PI * freq * double(i) / rate;
        a += x[i] * std::sin(w);
        b += x[i] * std::cos(w);
    }
    return 2.0 * std::hypot(a, b) / double(x.size());
}

const qs::Speaker& speakerNamed(const AudioCorpus& c, const std::string& name) {
    for (const auto& s : c.speakers())
        if (s.name == name) return s;
    throw std::runtime_error("no speaker " + name);
}

std::vector<std::string> speakerNames(const AudioCorpus& c) {
    std::vector<std::string> names;
    for (const auto& s : c.speakers()) names.push_back(s.name);
    return names;
}

std::vector<std::string> clipIds(const qs::Speaker& s) {
    std::vector<std::string> ids;
    for (const auto& c : s.clips) ids.push_back(c.id);
    return ids;
}

using Strings = std::vector<std::string>;

}  // namespace

class TestAudioCorpus : public QObject {
    Q_OBJECT

private slots:
    // Layouts
    void speakerSubfolders();
    void librispeechLayout();
    void looseFilesFormRootSpeaker();
    void mixedLooseAndSubfolders();
    void nonAudioFilesAreIgnored();

    // Formats and resampling
    void formats_data();
    void formats();
    void resampledLength_data();
    void resampledLength();
    void stereoMixesToMean();
    void normalizeGivesZeroMeanUnitVariance();

    // Windows
    void windowCounts_data();
    void windowCounts();
    void windowsLoadTheirSegment();

    // Bad input
    void badFilesAreSkipped();
    void truncatedWavLoadsWhatIsThere();
    void truncatedFlacThrowsAudioErrorAtLoad();
    void fileRemovedAfterScanThrowsAudioError();
    void missingFolderThrows();
    void emptyFolderThrows();
    void folderOfOnlyBadFilesThrows();

    // Transcripts
    void sphinxParser_data();
    void sphinxParser();
    void librispeechParser();
    void transcriptsAllThreeForms();

    // Selection
    void selectSpeakers();
    void limitClips();

    // Decoding from memory (the fuzz harnesses' entry point)
    void memoryDecodesAsTheFile_data();
    void memoryDecodesAsTheFile();
    void nonFiniteSamplesAreAnError();
    void memoryRejectsDamagedData();
};

// ---------------------------------------------------------------------------------------------- layouts

void TestAudioCorpus::speakerSubfolders() {
    Tree t;
    writeSine(t.at("alice/a1.wav"), AudioFormat::Wav16, 16000, 1, 1.0, 440, 0.5);
    writeSine(t.at("alice/a2.wav"), AudioFormat::Wav16, 16000, 1, 2.0, 440, 0.5);
    writeSine(t.at("bob/b1.flac"), AudioFormat::Flac16, 8000, 1, 0.5, 440, 0.5);

    const AudioCorpus c = AudioCorpus::scan(t.root());
    QCOMPARE(speakerNames(c), (Strings{"alice", "bob"}));
    const auto& alice = c.speakers()[0];
    QCOMPARE(clipIds(alice), (Strings{"a1", "a2"}));
    QCOMPARE(alice.files, 2);
    QCOMPARE(alice.seconds, 3.0);
    QCOMPARE(alice.clips[1].frames, std::int64_t(32000));
    QCOMPARE(alice.clips[1].sourceRate, 16000);
    QCOMPARE(alice.clips[0].speaker, std::string("alice"));
    const auto& bob = c.speakers()[1];
    QCOMPARE(bob.files, 1);
    QCOMPARE(bob.seconds, 0.5);
    QCOMPARE(bob.clips[0].sourceRate, 8000);
    QVERIFY(c.skipped().empty());
}

void TestAudioCorpus::librispeechLayout() {
    Tree t;
    writeSine(t.at("103/1241/103-1241-0000.flac"), AudioFormat::Flac16, 16000, 1, 0.25, 440, 0.3);
    writeSine(t.at("103/1240/103-1240-0001.flac"), AudioFormat::Flac16, 16000, 1, 0.5, 440, 0.3);
    writeSine(t.at("103/1240/103-1240-0000.flac"), AudioFormat::Flac16, 16000, 1, 1.0, 440, 0.3);
    writeSine(t.at("1034/121119/1034-121119-0000.flac"), AudioFormat::Flac16, 16000, 1, 0.75, 440, 0.3);
    writeText(t.at("103/1240/103-1240.trans.txt"),
              "103-1240-0000 CHAPTER ONE MISSUS RACHEL LYNDE IS SURPRISED\n103-1240-0001 AND  SHE\tWAS\n");
    writeText(t.at("103/1241/103-1241.trans.txt"), "103-1241-0000 THE THIRD ONE\n");

    const AudioCorpus c = AudioCorpus::scan(t.root());
    QCOMPARE(speakerNames(c), (Strings{"103", "1034"}));
    const auto& s103 = c.speakers()[0];
    QCOMPARE(clipIds(s103), (Strings{"103-1240-0000", "103-1240-0001", "103-1241-0000"}));
    QCOMPARE(s103.files, 3);
    QCOMPARE(s103.seconds, 1.75);
    QCOMPARE(s103.clips[0].transcript, std::string("CHAPTER ONE MISSUS RACHEL LYNDE IS SURPRISED"));
    QCOMPARE(s103.clips[1].transcript, std::string("AND SHE WAS"));
    QCOMPARE(s103.clips[2].transcript, std::string("THE THIRD ONE"));
    QCOMPARE(c.speakers()[1].clips.size(), std::size_t(1));
    QCOMPARE(c.speakers()[1].clips[0].transcript, std::string());  // no trans.txt there
    QVERIFY(c.skipped().empty());  // the .trans.txt files are not audio
}

void TestAudioCorpus::looseFilesFormRootSpeaker() {
    Tree t;
    const std::string root = t.at("myvoice");
    writeSine(root + "/y.wav", AudioFormat::Wav16, 16000, 1, 0.5, 440, 0.5);
    writeSine(root + "/x.wav", AudioFormat::Wav16, 16000, 1, 1.0, 440, 0.5);

    for (const std::string& spelling : {root, root + "/", root + "/."}) {
        const AudioCorpus c = AudioCorpus::scan(spelling);
        QCOMPARE(speakerNames(c), (Strings{"myvoice"}));
        QCOMPARE(clipIds(c.speakers()[0]), (Strings{"x", "y"}));
        QCOMPARE(c.speakers()[0].seconds, 1.5);
        QCOMPARE(c.speakers()[0].files, 2);
    }
}

void TestAudioCorpus::mixedLooseAndSubfolders() {
    Tree t;
    const std::string root = t.at("root");
    writeSine(root + "/loose.wav", AudioFormat::Wav16, 16000, 1, 1.0, 440, 0.5);
    writeSine(root + "/anna/a.wav", AudioFormat::Wav16, 16000, 1, 0.5, 440, 0.5);
    writeSine(root + "/zed/deep/er/z.ogg", AudioFormat::OggVorbis, 16000, 1, 0.5, 440, 0.5);
    writeText(root + "/empty_speaker/readme.txt", "no audio here");

    const AudioCorpus c = AudioCorpus::scan(root);
    QCOMPARE(speakerNames(c), (Strings{"anna", "root", "zed"}));  // folders without audio are no speaker
    QCOMPARE(clipIds(speakerNamed(c, "root")), (Strings{"loose"}));
    QCOMPARE(clipIds(speakerNamed(c, "zed")), (Strings{"z"}));
    QCOMPARE(c.root(), root);
}

void TestAudioCorpus::nonAudioFilesAreIgnored() {
    Tree t;
    writeSine(t.at("s/a.wav"), AudioFormat::Wav16, 16000, 1, 0.5, 440, 0.5);
    writeText(t.at("s/notes.txt"), "hello");
    writeText(t.at("s/meta.json"), "{}");
    writeText(t.at("README"), "corpus");

    const AudioCorpus c = AudioCorpus::scan(t.root());
    QCOMPARE(speakerNames(c), (Strings{"s"}));
    QCOMPARE(c.speakers()[0].clips.size(), std::size_t(1));
    QVERIFY(c.skipped().empty());
}

// ---------------------------------------------------------------------------------------------- formats

void TestAudioCorpus::formats_data() {
    QTest::addColumn<AudioFormat>("format");
    QTest::addColumn<int>("rate");
    QTest::addColumn<int>("channels");

    const std::vector<AudioFormat> all{AudioFormat::Wav16, AudioFormat::WavFloat, AudioFormat::Flac16,
                                       AudioFormat::OggVorbis, AudioFormat::Raw16};
    for (AudioFormat f : all)
        for (int rate : {8000, 16000, 22050, 44100, 48000})
            for (int channels : {1, 2})
                QTest::addRow("%s-%d-%dch", formatName(f), rate, channels) << f << rate << channels;
    QTest::newRow("aiff-22050-1ch") << AudioFormat::Aiff16 << 22050 << 1;
    QTest::newRow("wav24-44100-2ch") << AudioFormat::Wav24 << 44100 << 2;
}

// A 440 Hz tone in any format, rate and channel count loads at 16 kHz with its length, frequency and
// amplitude intact.
void TestAudioCorpus::formats() {
    QFETCH(AudioFormat, format);
    QFETCH(int, rate);
    QFETCH(int, channels);

    Tree t;
    const double seconds = 1.3, amp = 0.5;
    const std::string path = t.at(std::string("spk/tone.") + formatExtension(format));
    writeSine(path, format, rate, channels, seconds, 440.0, amp);

    CorpusOptions o = rawOptions();
    o.rawRate = rate;
    o.rawChannels = channels;
    const AudioCorpus c = AudioCorpus::scan(t.root(), o);
    QVERIFY(c.skipped().empty());
    const qs::Clip& clip = c.speakers().at(0).clips.at(0);
    QCOMPARE(clip.sourceRate, rate);
    QCOMPARE(clip.channels, channels);
    QCOMPARE(clip.frames, std::int64_t(std::llround(seconds * rate)));

    const std::vector<float> x = c.load(clip);
    QCOMPARE(x.size(), std::size_t(std::llround(double(clip.frames) * 16000 / rate)));
    const std::vector<float> mid = interior(x);
    const double freq = zeroCrossingFrequency(mid, 16000);
    QVERIFY2(std::abs(freq - 440.0) < 440.0 * 0.01, qPrintable(QString("frequency %1").arg(freq)));
    const double level = rms(mid);
    QVERIFY2(std::abs(level - amp / std::sqrt(2.0)) < amp / std::sqrt(2.0) * 0.03, qPrintable(QString("rms %1").arg(level)));
    const double fitted = toneAmplitude(mid, 16000, 440.0);
    QVERIFY2(std::abs(fitted - amp) < amp * 0.03, qPrintable(QString("440 Hz amplitude %1").arg(fitted)));
}

void TestAudioCorpus::resampledLength_data() {
    QTest::addColumn<int>("rate");
    QTest::addColumn<int>("frames");
    QTest::addColumn<int>("target");
    QTest::newRow("44100->16000, rounds up") << 44100 << 12345 << 16000;    // 4478.91 -> 4479
    QTest::newRow("22050->16000, rounds down") << 22050 << 1001 << 16000;   // 726.35 -> 726
    QTest::newRow("8000->16000, doubles") << 8000 << 777 << 16000;          // 1554
    QTest::newRow("48000->16000, exact third") << 48000 << 4801 << 16000;   // 1600.33 -> 1600
    QTest::newRow("16000->22050, upward") << 16000 << 999 << 22050;         // 1376.6 -> 1377
    QTest::newRow("same rate, untouched") << 16000 << 1234 << 16000;
}

void TestAudioCorpus::resampledLength() {
    QFETCH(int, rate);
    QFETCH(int, frames);
    QFETCH(int, target);
    Tree t;
    writeAudio(t.at("s/a.wav"), AudioFormat::WavFloat, rate, 1, sine(rate, double(frames) / rate, 300, 0.4));
    CorpusOptions o = rawOptions();
    o.targetRate = target;
    const AudioCorpus c = AudioCorpus::scan(t.root(), o);
    QCOMPARE(c.speakers()[0].clips[0].frames, std::int64_t(frames));
    const auto x = c.load(c.speakers()[0].clips[0]);
    QCOMPARE(x.size(), std::size_t(std::llround(double(frames) * target / rate)));
}

void TestAudioCorpus::stereoMixesToMean() {
    Tree t;
    const auto left = sine(16000, 0.5, 440, 0.6);
    const auto right = sine(16000, 0.5, 1000, 0.2, 0.3);
    writeAudio(t.at("s/st.wav"), AudioFormat::WavFloat, 16000, 2, interleave({left, right}));

    const AudioCorpus c = AudioCorpus::scan(t.root(), rawOptions());
    const auto x = c.load(c.speakers()[0].clips[0]);
    QCOMPARE(x.size(), left.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        if (std::abs(x[i] - (left[i] + right[i]) / 2) > 1e-6f)
            QFAIL(qPrintable(QString("sample %1: %2 is not the channel mean").arg(i).arg(x[i])));
}

void TestAudioCorpus::normalizeGivesZeroMeanUnitVariance() {
    Tree t;
    auto x = sine(22050, 1.0, 440, 0.3);
    for (float& v : x) v += 0.25f;  // a DC offset, so the mean really has to be removed
    writeAudio(t.at("s/a.wav"), AudioFormat::WavFloat, 22050, 1, x);

    const AudioCorpus plain = AudioCorpus::scan(t.root(), rawOptions());
    const auto before = plain.load(plain.speakers()[0].clips[0]);
    QVERIFY(std::abs(mean(before) - 0.25) < 0.01);

    CorpusOptions o;  // normalize is on by default
    QVERIFY(o.normalize);
    const AudioCorpus c = AudioCorpus::scan(t.root(), o);
    const auto y = c.load(c.speakers()[0].clips[0]);
    QCOMPARE(y.size(), before.size());
    QVERIFY2(std::abs(mean(y)) < 1e-4, qPrintable(QString::number(mean(y))));
    QVERIFY2(std::abs(variance(y) - 1.0) < 1e-4, qPrintable(QString::number(variance(y))));
    // Same formula as HuggingFace's Wav2Vec2FeatureExtractor, sample by sample.
    const double m = mean(before), s = std::sqrt(variance(before) + 1e-7);
    for (std::size_t i = 0; i < y.size(); i += 997) QVERIFY(std::abs(y[i] - (before[i] - m) / s) < 1e-4);
}

// ---------------------------------------------------------------------------------------------- windows

void TestAudioCorpus::windowCounts_data() {
    QTest::addColumn<double>("seconds");
    QTest::addColumn<double>("window");
    QTest::addColumn<std::vector<double>>("expected");
    QTest::newRow("70 s / 30") << 70.0 << 30.0 << std::vector<double>{30, 30, 10};
    QTest::newRow("exact multiple") << 60.0 << 30.0 << std::vector<double>{30, 30};
    QTest::newRow("shorter than window") << 29.5 << 30.0 << std::vector<double>{29.5};
    QTest::newRow("equal to window") << 30.0 << 30.0 << std::vector<double>{30};
    QTest::newRow("window off") << 45.0 << 0.0 << std::vector<double>{45};
    QTest::newRow("short windows") << 2.5 << 1.0 << std::vector<double>{1, 1, 0.5};
}

void TestAudioCorpus::windowCounts() {
    QFETCH(double, seconds);
    QFETCH(double, window);
    QFETCH(std::vector<double>, expected);
    Tree t;
    writeSine(t.at("s/long.wav"), AudioFormat::Wav16, 1000, 1, seconds, 50, 0.5);  // low rate: small files
    CorpusOptions o = rawOptions();
    o.windowSeconds = window;
    const AudioCorpus c = AudioCorpus::scan(t.root(), o);
    const auto& s = c.speakers()[0];
    QCOMPARE(s.clips.size(), expected.size());
    QCOMPARE(s.files, 1);
    QCOMPARE(s.seconds, seconds);
    std::int64_t start = 0;
    for (std::size_t k = 0; k < expected.size(); ++k) {
        QCOMPARE(s.clips[k].id, k == 0 ? std::string("long") : "long#" + std::to_string(k));
        QCOMPARE(s.clips[k].seconds, expected[k]);
        QCOMPARE(s.clips[k].startFrame, start);
        start += s.clips[k].frames;
    }
}

// Each 30 s window of a 70 s file carries its own tone, so a wrong seek shows.
void TestAudioCorpus::windowsLoadTheirSegment() {
    Tree t;
    const int rate = 8000;
    std::vector<float> x;
    for (auto [sec, freq] : {std::pair{30.0, 200.0}, {30.0, 500.0}, {10.0, 1000.0}}) {
        const auto part = sine(rate, sec, freq, 0.5);
        x.insert(x.end(), part.begin(), part.end());
    }
    writeAudio(t.at("s/talk.wav"), AudioFormat::WavFloat, rate, 1, x);
    writeText(t.at("s/talk.txt"), "a transcript for the whole recording");
    writeSine(t.at("s/short.wav"), AudioFormat::WavFloat, rate, 1, 1.0, 440, 0.5);
    writeText(t.at("s/short.txt"), "  short one \n");

    CorpusOptions o = rawOptions();
    o.targetRate = rate;  // no resampling: samples must match exactly
    const AudioCorpus c = AudioCorpus::scan(t.root(), o);
    const auto& s = c.speakers()[0];
    QCOMPARE(clipIds(s), (Strings{"short", "talk", "talk#1", "talk#2"}));
    QCOMPARE(s.files, 2);
    QCOMPARE(s.seconds, 71.0);
    QCOMPARE(s.clips[0].transcript, std::string("short one"));
    for (std::size_t k = 1; k < 4; ++k) QVERIFY(s.clips[k].transcript.empty());  // never split a transcript

    const std::vector<double> freqs{200, 500, 1000};
    for (std::size_t k = 0; k < 3; ++k) {
        const qs::Clip& clip = s.clips[k + 1];
        const auto y = c.load(clip);
        QCOMPARE(y.size(), std::size_t(clip.frames));
        QVERIFY(std::equal(y.begin(), y.end(), x.begin() + clip.startFrame));
        QVERIFY(std::abs(zeroCrossingFrequency(y, rate) - freqs[k]) < freqs[k] * 0.01);
    }
}

// ---------------------------------------------------------------------------------------------- bad input

void TestAudioCorpus::badFilesAreSkipped() {
    Tree t;
    writeSine(t.at("s/good.wav"), AudioFormat::Wav16, 16000, 1, 0.5, 440, 0.5);
    writeText(t.at("s/text.wav"), "this is not a wave file, just text with the wrong name\n");
    writeSine(t.at("s/cut_header.wav"), AudioFormat::Wav16, 16000, 1, 0.5, 440, 0.5);
    truncateFile(t.at("s/cut_header.wav"), 20);
    writeText(t.at("s/zero_bytes.wav"), "");
    writeAudio(t.at("s/no_frames.wav"), AudioFormat::Wav16, 16000, 1, {});
    writeText(t.at("s/zero_bytes.flac"), "");

    const AudioCorpus c = AudioCorpus::scan(t.root());
    QCOMPARE(clipIds(c.speakers()[0]), (Strings{"good"}));
    QCOMPARE(c.speakers()[0].files, 1);
    QCOMPARE(c.load(c.speakers()[0].clips[0]).size(), std::size_t(8000));

    std::map<std::string, std::string> reasons;
    for (const auto& s : c.skipped()) reasons[std::filesystem::path(s.path).filename().string()] = s.reason;
    QCOMPARE(reasons.size(), std::size_t(5));
    QVERIFY(contains(reasons["text.wav"], "not an audio file libsndfile can read"));
    QVERIFY(contains(reasons["cut_header.wav"], "not an audio file libsndfile can read"));
    QCOMPARE(reasons["zero_bytes.wav"], std::string("empty file (0 bytes)"));
    QCOMPARE(reasons["zero_bytes.flac"], std::string("empty file (0 bytes)"));
    QCOMPARE(reasons["no_frames.wav"], std::string("empty (0 frames)"));
    for (const auto& s : c.skipped()) QVERIFY(contains(s.path, t.root()));
}

// libsndfile trusts the bytes present over a WAV header's data size, so a WAV whose data was cut
// short scans as the shorter recording it now is and loads without error.
void TestAudioCorpus::truncatedWavLoadsWhatIsThere() {
    Tree t;
    writeSine(t.at("s/cut.wav"), AudioFormat::Wav16, 16000, 1, 1.0, 440, 0.5);  // 44-byte header
    truncateFile(t.at("s/cut.wav"), 44 + 2 * 4000 + 1);                          // 4000 frames and a half
    const AudioCorpus c = AudioCorpus::scan(t.root(), rawOptions());
    QVERIFY(c.skipped().empty());
    const qs::Clip& clip = c.speakers()[0].clips[0];
    QCOMPARE(clip.frames, std::int64_t(4000));
    const auto x = c.load(clip);
    QCOMPARE(x.size(), std::size_t(4000));
    QVERIFY(std::abs(rms(x) - 0.5 / std::sqrt(2.0)) < 0.01);
}

// FLAC takes its length from the stream header, so cut data is only found when decoding: load()
// throws AudioError naming the file (and the corpus stays usable).
void TestAudioCorpus::truncatedFlacThrowsAudioErrorAtLoad() {
    Tree t;
    writeSine(t.at("s/cut.flac"), AudioFormat::Flac16, 16000, 1, 2.0, 440, 0.5);
    writeSine(t.at("s/fine.flac"), AudioFormat::Flac16, 16000, 1, 0.5, 440, 0.5);
    const auto size = std::filesystem::file_size(t.at("s/cut.flac"));
    truncateFile(t.at("s/cut.flac"), size / 2);

    const AudioCorpus c = AudioCorpus::scan(t.root(), rawOptions());
    QCOMPARE(clipIds(c.speakers()[0]), (Strings{"cut", "fine"}));
    QCOMPARE(c.speakers()[0].clips[0].frames, std::int64_t(32000));  // the header still says 2 s
    const std::string message = thrownMessage<qs::AudioError>([&] { c.load(c.speakers()[0].clips[0]); });
    QVERIFY2(contains(message, t.at("s/cut.flac")), message.c_str());
    QCOMPARE(c.load(c.speakers()[0].clips[1]).size(), std::size_t(8000));
}

void TestAudioCorpus::fileRemovedAfterScanThrowsAudioError() {
    Tree t;
    writeSine(t.at("s/a.wav"), AudioFormat::Wav16, 16000, 1, 0.5, 440, 0.5);
    const AudioCorpus c = AudioCorpus::scan(t.root());
    std::filesystem::remove(t.at("s/a.wav"));
    const std::string message = thrownMessage<qs::AudioError>([&] { c.load(c.speakers()[0].clips[0]); });
    QVERIFY2(contains(message, t.at("s/a.wav")), message.c_str());
}

void TestAudioCorpus::missingFolderThrows() {
    Tree t;
    const std::string missing = t.at("nope");
    std::string message = thrownMessage<qs::InputError>([&] { AudioCorpus::scan(missing); });
    QVERIFY2(contains(message, missing) && contains(message, "does not exist"), message.c_str());

    writeSine(t.at("file.wav"), AudioFormat::Wav16, 16000, 1, 0.5, 440, 0.5);
    message = thrownMessage<qs::InputError>([&] { AudioCorpus::scan(t.at("file.wav")); });
    QVERIFY2(contains(message, "file.wav") && contains(message, "not a folder"), message.c_str());
}

void TestAudioCorpus::emptyFolderThrows() {
    Tree t;
    writeText(t.at("notes/readme.txt"), "only text here");
    const std::string message = thrownMessage<qs::InputError>([&] { AudioCorpus::scan(t.root()); });
    QVERIFY2(contains(message, "no readable audio") && contains(message, t.root()) &&
                 contains(message, "no audio files"),
             message.c_str());
}

void TestAudioCorpus::folderOfOnlyBadFilesThrows() {
    Tree t;
    writeText(t.at("s/a.wav"), "");
    writeText(t.at("s/b.wav"), "text");
    const std::string message = thrownMessage<qs::InputError>([&] { AudioCorpus::scan(t.root()); });
    QVERIFY2(contains(message, "2 file(s) skipped") && contains(message, "a.wav") &&
                 contains(message, "empty file (0 bytes)"),
             message.c_str());
}

// ---------------------------------------------------------------------------------------------- transcripts

void TestAudioCorpus::sphinxParser_data() {
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("text");
    QTest::newRow("markers") << "<s> Hello World </s> (utt1)" << "utt1" << "Hello World";
    QTest::newRow("no markers") << "just text (u-2)" << "u-2" << "just text";
    QTest::newRow("spaces") << "  <s>  a \t  b  </s>   ( id3 )  " << "id3" << "a b";
    QTest::newRow("decoder score") << "go home (utt4 -12345)" << "utt4" << "go home";
    QTest::newRow("parens in text") << "call (me) now (utt5)" << "utt5" << "call (me) now";
    QTest::newRow("keeps case and punctuation") << "<s> It's OK, Bob. </s> (x)" << "x" << "It's OK, Bob.";
}

void TestAudioCorpus::sphinxParser() {
    QFETCH(QString, line);
    QFETCH(QString, id);
    QFETCH(QString, text);
    const auto texts = qs::parseSphinxTranscription(line.toStdString() + "\n");
    QCOMPARE(texts.size(), std::size_t(1));
    QCOMPARE(QString::fromStdString(texts.begin()->first), id);
    QCOMPARE(QString::fromStdString(texts.begin()->second), text);
}

void TestAudioCorpus::librispeechParser() {
    const auto texts = qs::parseLibriSpeechTranscripts("a-1 HELLO  THERE\r\n\nlonely\nb-2\tWHY NOT\n");
    QCOMPARE(texts.size(), std::size_t(2));
    QCOMPARE(texts.at("a-1"), std::string("HELLO THERE"));
    QCOMPARE(texts.at("b-2"), std::string("WHY NOT"));
    QCOMPARE(qs::collapseWhitespace("  a \n\t b  "), std::string("a b"));
}

void TestAudioCorpus::transcriptsAllThreeForms() {
    Tree t;
    auto tone = [&](const std::string& rel) { writeSine(t.at(rel), AudioFormat::Wav16, 16000, 1, 0.25, 440, 0.5); };
    // 1. sidecar
    tone("side/clip.wav");
    writeText(t.at("side/clip.txt"), "\n  Sidecar   Text, kept as is.\n");
    tone("side/bare.wav");
    // 2. LibriSpeech
    tone("libri/7/7-1-0000.wav");
    writeText(t.at("libri/7/7-1.trans.txt"), "7-1-0000 THE LIBRI TEXT\n");
    // 3. Sphinx, in the speaker folder, applying to files below it
    tone("sphinx/a/one.wav");
    tone("sphinx/b/two.wav");
    tone("sphinx/three.wav");
    writeText(t.at("sphinx/transcription.txt"),
              "<s> first  utterance </s> (one)\n<s> Second One </s> (two)\n<s> unrelated </s> (other)\n");
    // A sidecar wins over a list entry for the same stem.
    tone("sphinx/a/four.wav");
    writeText(t.at("sphinx/a/four.txt"), "from the sidecar");
    writeText(t.at("sphinx/a/transcription.txt"), "from the list (four)\n");

    const AudioCorpus c = AudioCorpus::scan(t.root());
    auto text = [&](const std::string& speaker, const std::string& id) {
        for (const auto& clip : speakerNamed(c, speaker).clips)
            if (clip.id == id) return clip.transcript;
        return std::string("<no clip>");
    };
    QCOMPARE(text("side", "clip"), std::string("Sidecar Text, kept as is."));
    QCOMPARE(text("side", "bare"), std::string());
    QCOMPARE(text("libri", "7-1-0000"), std::string("THE LIBRI TEXT"));
    QCOMPARE(text("sphinx", "one"), std::string("first utterance"));
    QCOMPARE(text("sphinx", "two"), std::string("Second One"));
    QCOMPARE(text("sphinx", "three"), std::string());
    QCOMPARE(text("sphinx", "four"), std::string("from the sidecar"));
    QVERIFY(c.skipped().empty());

    // The finder alone, and a Sphinx list above the root does not apply.
    qs::TranscriptFinder below(t.at("sphinx/a"));
    QCOMPARE(below.find(t.at("sphinx/a/one.wav")), std::string());
    qs::TranscriptFinder whole(t.root());
    QCOMPARE(whole.find(t.at("sphinx/a/one.wav")), std::string("first utterance"));
}

// ---------------------------------------------------------------------------------------------- selection

void TestAudioCorpus::selectSpeakers() {
    Tree t;
    for (const char* name : {"ann", "bea", "cid"})
        writeSine(t.at(std::string(name) + "/x.wav"), AudioFormat::Wav16, 16000, 1, 0.5, 440, 0.5);
    AudioCorpus c = AudioCorpus::scan(t.root());
    c.selectSpeakers({"cid", "ann"});
    QCOMPARE(speakerNames(c), (Strings{"cid", "ann"}));
    QCOMPARE(c.speakers()[0].seconds, 0.5);

    const std::string message = thrownMessage<qs::InputError>([&] { c.selectSpeakers({"ann", "zoe"}); });
    QVERIFY2(contains(message, "zoe") && contains(message, "unknown speaker"), message.c_str());
    QCOMPARE(speakerNames(c), (Strings{"cid", "ann"}));  // unchanged after the error
}

void TestAudioCorpus::limitClips() {
    Tree t;
    writeSine(t.at("s/a.wav"), AudioFormat::Wav16, 1000, 1, 2.5, 50, 0.5);  // 3 windows of 1 s
    writeSine(t.at("s/b.wav"), AudioFormat::Wav16, 1000, 1, 0.5, 50, 0.5);
    writeSine(t.at("u/c.wav"), AudioFormat::Wav16, 1000, 1, 0.5, 50, 0.5);
    CorpusOptions o;
    o.windowSeconds = 1.0;
    AudioCorpus c = AudioCorpus::scan(t.root(), o);
    QCOMPARE(clipIds(c.speakers()[0]), (Strings{"a", "a#1", "a#2", "b"}));
    QCOMPARE(c.speakers()[0].files, 2);
    QCOMPARE(c.speakers()[0].seconds, 3.0);

    c.limitClips(0);  // keeps all
    QCOMPARE(c.speakers()[0].clips.size(), std::size_t(4));
    c.limitClips(2);
    QCOMPARE(clipIds(c.speakers()[0]), (Strings{"a", "a#1"}));
    QCOMPARE(c.speakers()[0].files, 1);
    QCOMPARE(c.speakers()[0].seconds, 2.0);
    QCOMPARE(clipIds(c.speakers()[1]), (Strings{"c"}));
    QCOMPARE(c.speakers()[1].seconds, 0.5);
}

// ---------------------------------------------------------------------------------------------- memory

namespace {

std::string fileBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

void TestAudioCorpus::memoryDecodesAsTheFile_data() {
    QTest::addColumn<AudioFormat>("format");
    QTest::addColumn<int>("rate");
    QTest::addColumn<int>("channels");
    QTest::newRow("wav16 44.1k stereo") << AudioFormat::Wav16 << 44100 << 2;
    QTest::newRow("flac 16k") << AudioFormat::Flac16 << 16000 << 1;
    QTest::newRow("ogg 22.05k") << AudioFormat::OggVorbis << 22050 << 1;
    QTest::newRow("raw 8k 3 channels") << AudioFormat::Raw16 << 8000 << 3;
}

// decodeAudioMemory gives exactly what load() gives for the file's first clip (a 2 s window).
void TestAudioCorpus::memoryDecodesAsTheFile() {
    QFETCH(AudioFormat, format);
    QFETCH(int, rate);
    QFETCH(int, channels);
    Tree t;
    const std::string path = t.at(std::string("spk/tone.") + formatExtension(format));
    writeSine(path, format, rate, channels, 3.3, 330.0, 0.4);
    CorpusOptions o;
    o.rawRate = rate;
    o.rawChannels = channels;
    o.windowSeconds = 2.0;
    const AudioCorpus c = AudioCorpus::scan(t.root(), o);
    const std::vector<float> fromFile = c.load(c.speakers().at(0).clips.at(0));
    const std::string bytes = fileBytes(path);
    const std::vector<float> fromMemory =
        qs::decodeAudioMemory(path, bytes.data(), bytes.size(), o, format == AudioFormat::Raw16);
    QCOMPARE(fromMemory.size(), std::size_t(32000));
    QVERIFY(fromMemory == fromFile);
}

// A float file holding a NaN or an infinity is refused with the frame, not analysed as NaN.
void TestAudioCorpus::nonFiniteSamplesAreAnError() {
    Tree t;
    std::vector<float> x = sine(16000, 0.5, 440, 0.5);
    x[1234] = std::numeric_limits<float>::quiet_NaN();
    writeAudio(t.at("spk/nan.wav"), AudioFormat::WavFloat, 16000, 1, x);
    const AudioCorpus c = AudioCorpus::scan(t.root());
    try {
        (void)c.load(c.speakers().at(0).clips.at(0));
        QFAIL("a NaN sample was loaded");
    } catch (const qs::AudioError& e) {
        QCOMPARE(QString(e.what()), QString::fromStdString(t.at("spk/nan.wav") + " holds a NaN or infinite sample at frame 1234"));
    }
}

void TestAudioCorpus::memoryRejectsDamagedData() {
    Tree t;
    writeSine(t.at("a.wav"), AudioFormat::Wav16, 16000, 1, 0.5, 440, 0.5);
    const std::string bytes = fileBytes(t.at("a.wav"));
    const CorpusOptions o;
    QVERIFY_THROWS_EXCEPTION(qs::AudioError, qs::decodeAudioMemory("x.wav", bytes.data(), 0, o));
    QVERIFY_THROWS_EXCEPTION(qs::AudioError, qs::decodeAudioMemory("x.wav", "not audio at all", 16, o));
    QVERIFY_THROWS_EXCEPTION(qs::AudioError, qs::decodeAudioMemory("x.wav", bytes.data(), 30, o));  // header cut
    // Data cut after the header: what is there decodes (as libsndfile reads a truncated WAV).
    const std::vector<float> part = qs::decodeAudioMemory("x.wav", bytes.data(), 44 + 2000, o);
    QCOMPARE(part.size(), std::size_t(1000));
}

QTEST_APPLESS_MAIN(TestAudioCorpus)
#include "test_audio_corpus.moc"
