// labels: unit
// Quantized evaluation (core/evaluation/evaluation.h): a model against itself is perfect (SQNR at the 300 dB
// cap, KL 0, no transcript errors); against a 4-bit export made with core's own exporter, every measure
// equals a direct computation over the same clips (OutputComparer, greedyCtcDecode, wordErrors,
// charErrors); references from sidecar .txt files; mismatched models, models without labels, skipped
// files, the JSON keys and cancellation.
#include "core/evaluation/ctc.h"
#include "core/evaluation/error_rates.h"
#include "core/base/errors.h"
#include "core/evaluation/evaluation.h"
#include "core/evaluation/output_compare.h"
#include "core/quantize/quantizer.h"
#include "core/model/speech_model.h"
#include "tests/support/audio_files.h"

#include <QtTest>

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace qs::test;

namespace {

std::string fixture(const std::string& name) { return std::string(QS_FIXTURES_DIR) + "/" + name; }

// Every layer's weight at `bits`, symmetric per channel; exported as a plain TorchScript model.
void exportQuantized(const qs::SpeechModel& m, int bits, const std::string& path) {
    const auto& layers = m.info().layers;
    std::vector<std::vector<float>> weights;
    weights.reserve(layers.size());
    std::vector<qs::WeightOverride> overrides;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        weights.push_back(qs::quantizeWeightSymmetric(m.layerWeight(int(l)), layers[l].outChannels(), bits));
        overrides.push_back({int(l), &weights.back()});
    }
    makeParents(path);
    m.exportQuantized(path, overrides, {});
}

qs::AudioCorpus scanFor(const qs::SpeechModel& m, const std::string& dir) {
    return qs::AudioCorpus::scan(dir, qs::corpusOptionsFor(m.info()));
}

bool close(double a, double b, double rel = 1e-9) {
    return std::fabs(a - b) <= rel * std::max({1.0, std::fabs(a), std::fabs(b)});
}

// What evaluate() should find, computed clip by clip on this thread.
struct Direct {
    qs::OutputComparer comparer;
    qs::ErrorCounts werVsFloat, cerVsFloat, werFloat, cerFloat, werQuantized, cerQuantized;
    int clips = 0, referenceClips = 0;
    double seconds = 0;
    std::map<std::string, std::pair<std::string, std::string>> transcripts;  // clip path -> float, quantized
};

std::map<std::string, Direct> direct(const qs::SpeechModel& f, const qs::SpeechModel& q, const qs::AudioCorpus& corpus) {
    std::map<std::string, Direct> out;
    const auto& labels = f.info().labels;
    for (const qs::Speaker& s : corpus.speakers())
        for (const qs::Clip& c : s.clips) {
            const std::vector<float> wave = corpus.load(c);
            const qs::ModelOutput fo = f.forward(wave), qo = q.forward(wave);
            for (Direct* d : {&out[s.name], &out["all"]}) {
                d->comparer.add(fo, qo);
                ++d->clips;
                d->seconds += c.seconds;
                if (labels.empty()) continue;
                const std::string ft = qs::greedyCtcDecode(fo, labels), qt = qs::greedyCtcDecode(qo, labels);
                d->transcripts[c.path] = {ft, qt};
                d->werVsFloat += qs::wordErrors(ft, qt);
                d->cerVsFloat += qs::charErrors(ft, qt);
                if (c.transcript.empty()) continue;
                ++d->referenceClips;
                d->werFloat += qs::wordErrors(c.transcript, ft);
                d->cerFloat += qs::charErrors(c.transcript, ft);
                d->werQuantized += qs::wordErrors(c.transcript, qt);
                d->cerQuantized += qs::charErrors(c.transcript, qt);
            }
        }
    return out;
}

bool sameCounts(const qs::ErrorCounts& a, const qs::ErrorCounts& b) {
    return a.edits == b.edits && a.referenceLength == b.referenceLength;
}

}  // namespace

class TestEvaluation : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void againstItselfIsPerfect();
    void quantizedEqualsDirectComputation();
    void referencesFromSidecarFiles();
    void jsonKeys();
    void mismatchedModels_data();
    void mismatchedModels();
    void corpusAtAnotherRate();
    void modelWithoutLabels();
    void skippedFilesListed();
    void cancels();

private:
    std::string path(const std::string& rel) const { return dir_.filePath(QString::fromStdString(rel)).toStdString(); }

    QTemporaryDir dir_;
    std::unique_ptr<qs::SpeechModel> float_, q4_;
};

void TestEvaluation::initTestCase() {
    QVERIFY(dir_.isValid());
    qs::setComputeThreads(1);
    float_ = std::make_unique<qs::SpeechModel>(qs::SpeechModel::load(fixture("w2v2_traced.pt")));
    QCOMPARE(float_->info().labels.size(), std::size_t(6));
    exportQuantized(*float_, 4, path("q4/model.pt"));
    q4_ = std::make_unique<qs::SpeechModel>(qs::SpeechModel::load(path("q4/model.pt")));

    // alice: 3 clips at 16 kHz, two with references; bob: 2 stereo clips at 22.05 kHz, none.
    const double aliceSeconds[] = {0.5, 0.7, 0.9};
    for (int i = 0; i < 3; ++i)
        writeSine(path("audio/alice/a" + std::to_string(i) + ".wav"), AudioFormat::Wav16, 16000, 1, aliceSeconds[i],
                  200 + 90 * i, 0.6);
    writeText(path("audio/alice/a0.txt"), "a bad cab\n");
    writeText(path("audio/alice/a1.txt"), "Dab, a CAD!\n");
    for (int i = 0; i < 2; ++i)
        writeSine(path("audio/bob/b" + std::to_string(i) + ".flac"), AudioFormat::Flac16, 22050, 2, 0.6, 500 + 130 * i,
                  0.3);
    // A copy with an unreadable file.
    writeSine(path("broken/alice/a0.wav"), AudioFormat::Wav16, 16000, 1, 0.5, 300, 0.5);
    writeText(path("broken/alice/notes.wav"), "not audio at all\n");
}

void TestEvaluation::againstItselfIsPerfect() {
    const qs::AudioCorpus corpus = scanFor(*float_, path("audio"));
    const qs::Evaluation e = qs::evaluate(*float_, *float_, corpus);
    QVERIFY(e.transcripts);
    QCOMPARE(e.speakers.size(), std::size_t(2));
    QCOMPARE(e.all.clips, 5);
    QCOMPARE(e.clips.size(), std::size_t(5));
    for (const qs::EvaluationScores* s : {&e.speakers[0], &e.speakers[1], &e.all}) {
        QCOMPARE(s->output.sqnrDb, qs::kMaxSqnrDb);
        QCOMPARE(s->output.kl, 0.0);
        QCOMPARE(s->output.l1, 0.0);
        QCOMPARE(s->output.maxAbsDiff, 0.0);
        QCOMPARE(s->werVsFloat.edits, std::int64_t(0));
        QCOMPARE(s->cerVsFloat.edits, std::int64_t(0));
        QCOMPARE(s->werVsFloat.rate(), 0.0);
        QCOMPARE(s->cerVsFloat.rate(), 0.0);
    }
    for (const qs::ClipEvaluation& c : e.clips) {
        QCOMPARE(c.output.sqnrDb, qs::kMaxSqnrDb);
        QCOMPARE(c.floatTranscript, c.quantizedTranscript);
    }
    QCOMPARE(e.all.referenceClips, 2);
    QVERIFY(sameCounts(e.all.werFloat, e.all.werQuantized));
    QVERIFY(sameCounts(e.all.cerFloat, e.all.cerQuantized));
}

void TestEvaluation::quantizedEqualsDirectComputation() {
    const qs::AudioCorpus corpus = scanFor(*float_, path("audio"));
    qs::EvaluateOptions options;
    options.threads = 2;  // two workers of one thread each, clips in any order
    const qs::Evaluation e = qs::evaluate(*float_, *q4_, corpus, options);
    std::map<std::string, Direct> d = direct(*float_, *q4_, corpus);

    QCOMPARE(e.speakers.size(), std::size_t(2));
    QCOMPARE(e.speakers[0].name, std::string("alice"));
    QCOMPARE(e.speakers[1].name, std::string("bob"));
    QCOMPARE(e.all.name, std::string("all"));
    for (const qs::EvaluationScores* s : {&e.speakers[0], &e.speakers[1], &e.all}) {
        const Direct& x = d.at(s->name);
        const qs::OutputComparison o = x.comparer.result();
        QVERIFY2(std::isfinite(s->output.sqnrDb) && s->output.sqnrDb < qs::kMaxSqnrDb && s->output.sqnrDb > -qs::kMaxSqnrDb,
                 std::to_string(s->output.sqnrDb).c_str());
        QVERIFY2(close(s->output.sqnrDb, o.sqnrDb), (s->name + ": " + std::to_string(s->output.sqnrDb) + " vs " +
                                                      std::to_string(o.sqnrDb)).c_str());
        QVERIFY(s->output.kl > 0);
        QVERIFY(close(s->output.kl, o.kl));
        QVERIFY(close(s->output.l1, o.l1));
        QVERIFY(close(s->output.l2, o.l2));
        QVERIFY(close(s->output.cosine, o.cosine));
        QCOMPARE(s->output.maxAbsDiff, o.maxAbsDiff);
        QCOMPARE(s->output.rows, o.rows);
        QCOMPARE(s->output.elements, o.elements);
        QCOMPARE(s->clips, x.clips);
        QVERIFY(close(s->seconds, x.seconds));
        QVERIFY(sameCounts(s->werVsFloat, x.werVsFloat));
        QVERIFY(sameCounts(s->cerVsFloat, x.cerVsFloat));
        QVERIFY(s->werVsFloat.referenceLength + s->cerVsFloat.referenceLength > 0);
    }
    QCOMPARE(e.all.clips, e.speakers[0].clips + e.speakers[1].clips);
    QCOMPARE(e.all.werVsFloat.edits, e.speakers[0].werVsFloat.edits + e.speakers[1].werVsFloat.edits);

    // Per clip: corpus order, the transcripts greedyCtcDecode gives, the clip's own comparison.
    QCOMPARE(e.clips.size(), std::size_t(5));
    std::size_t i = 0;
    for (const qs::Speaker& s : corpus.speakers())
        for (const qs::Clip& c : s.clips) {
            const qs::ClipEvaluation& ce = e.clips[i++];
            QCOMPARE(ce.path, c.path);
            QCOMPARE(ce.id, c.id);
            QCOMPARE(ce.speaker, s.name);
            const auto& t = d.at("all").transcripts.at(c.path);
            QCOMPARE(ce.floatTranscript, t.first);
            QCOMPARE(ce.quantizedTranscript, t.second);
            const std::vector<float> wave = corpus.load(c);
            const qs::OutputComparison one = qs::compareOutputs(float_->forward(wave), q4_->forward(wave));
            QVERIFY(close(ce.output.sqnrDb, one.sqnrDb));
            QVERIFY(close(ce.output.kl, one.kl));
        }
    QVERIFY(e.skipped.empty());
}

void TestEvaluation::referencesFromSidecarFiles() {
    const qs::AudioCorpus corpus = scanFor(*float_, path("audio"));
    const qs::Evaluation e = qs::evaluate(*float_, *q4_, corpus);
    std::map<std::string, Direct> d = direct(*float_, *q4_, corpus);

    QCOMPARE(e.all.referenceClips, 2);
    QCOMPARE(e.speakers[0].referenceClips, 2);  // alice: a0, a1
    QCOMPARE(e.speakers[1].referenceClips, 0);  // bob: none
    for (const qs::EvaluationScores* s : {&e.speakers[0], &e.all}) {
        const Direct& x = d.at(s->name);
        QCOMPARE(x.referenceClips, 2);
        QVERIFY(sameCounts(s->werFloat, x.werFloat));
        QVERIFY(sameCounts(s->cerFloat, x.cerFloat));
        QVERIFY(sameCounts(s->werQuantized, x.werQuantized));
        QVERIFY(sameCounts(s->cerQuantized, x.cerQuantized));
        QCOMPARE(s->werFloat.referenceLength, std::int64_t(3 + 3));  // "a bad cab" + "dab a cad"
    }
    QCOMPARE(e.clips[0].reference, std::string("a bad cab"));
    QCOMPARE(e.clips[1].reference, std::string("Dab, a CAD!"));
    QVERIFY(!e.clips[2].hasReference());

    const nlohmann::json j = qs::toJson(e);
    QVERIFY(j["all"]["wer_float"].is_number());
    QCOMPARE(j["all"]["wer_quantized"].get<double>(), e.all.werQuantized.rate());
    QCOMPARE(j["speakers"][0]["cer_float"].get<double>(), e.speakers[0].cerFloat.rate());
    for (const char* key : {"wer_float", "cer_float", "wer_quantized", "cer_quantized"}) {
        QVERIFY2(j["speakers"][1][key].is_null(), key);  // bob has no references
        QVERIFY2(j["clips"][2][key].is_null(), key);
        QVERIFY2(j["clips"][0][key].is_number(), key);
    }
    QVERIFY(j["speakers"][1]["wer_vs_float"].is_number());
    QVERIFY(j["clips"][4]["reference"].is_null());
    QCOMPARE(j["clips"][1]["reference"].get<std::string>(), std::string("Dab, a CAD!"));
}

void TestEvaluation::jsonKeys() {
    const qs::AudioCorpus corpus = scanFor(*float_, path("audio"));
    const nlohmann::json j = qs::toJson(qs::evaluate(*float_, *q4_, corpus));
    for (const char* key : {"float_model", "quantized_model", "speakers", "all", "clips", "skipped"})
        QVERIFY2(j.contains(key), key);
    QCOMPARE(j["float_model"]["path"].get<std::string>(), fixture("w2v2_traced.pt"));
    QCOMPARE(j["quantized_model"]["path"].get<std::string>(), path("q4/model.pt"));
    QCOMPARE(j["speakers"].size(), std::size_t(2));
    for (const nlohmann::json* s : {&j["speakers"][0], &j["speakers"][1], &j["all"]})
        for (const char* key : {"name", "clips", "seconds", "sqnr_db", "kl", "l1", "l2", "cosine", "wer_vs_float",
                                "cer_vs_float", "wer_float", "cer_float", "wer_quantized", "cer_quantized"})
            QVERIFY2(s->contains(key), key);
    QCOMPARE(j["all"]["name"].get<std::string>(), std::string("all"));
    QCOMPARE(j["all"]["clips"].get<int>(), 5);
    QCOMPARE(j["speakers"][0]["clips"].get<int>(), 3);
    QVERIFY(std::fabs(j["speakers"][0]["seconds"].get<double>() - 2.1) < 1e-9);
    QCOMPARE(j["clips"].size(), std::size_t(5));
    for (const char* key : {"id", "path", "speaker", "sqnr_db", "kl", "float_transcript", "quantized_transcript", "reference"})
        QVERIFY2(j["clips"][0].contains(key), key);
    QVERIFY(j["skipped"].is_array() && j["skipped"].empty());
}

void TestEvaluation::mismatchedModels_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("message");
    QTest::newRow("8 kHz model") << "w2v2_tuple_scripted.pt" << "expects 8000 Hz audio but the float model";
    QTest::newRow("no labels") << "control_flow_scripted.pt" << "has other labels (0: none)";
}

void TestEvaluation::mismatchedModels() {
    QFETCH(QString, model);
    QFETCH(QString, message);
    const qs::SpeechModel other = qs::SpeechModel::load(fixture(model.toStdString()));
    const qs::AudioCorpus corpus = scanFor(*float_, path("audio"));
    try {
        qs::evaluate(*float_, other, corpus);
        QFAIL("no ModelError");
    } catch (const qs::ModelError& e) {
        const QString what = e.what();
        QVERIFY2(what.contains(message), e.what());
        QVERIFY2(what.contains(model) && what.contains("not the same model"), e.what());
    }
}

void TestEvaluation::corpusAtAnotherRate() {
    qs::CorpusOptions o;
    o.targetRate = 8000;
    o.normalize = false;
    const qs::AudioCorpus corpus = qs::AudioCorpus::scan(path("audio"), o);
    try {
        qs::evaluate(*float_, *q4_, corpus);
        QFAIL("no InputError");
    } catch (const qs::InputError& e) {
        QVERIFY2(QString(e.what()).contains("8000 Hz"), e.what());
    }
}

void TestEvaluation::modelWithoutLabels() {
    const qs::SpeechModel plain = qs::SpeechModel::load(fixture("control_flow_scripted.pt"));
    QVERIFY(plain.info().labels.empty());
    exportQuantized(plain, 4, path("cf4/model.pt"));
    const qs::SpeechModel q = qs::SpeechModel::load(path("cf4/model.pt"));
    const qs::AudioCorpus corpus = scanFor(plain, path("audio"));
    const qs::Evaluation e = qs::evaluate(plain, q, corpus);
    QVERIFY(!e.transcripts);
    const Direct x = direct(plain, q, corpus).at("all");
    QVERIFY(std::isfinite(e.all.output.sqnrDb) && e.all.output.sqnrDb < qs::kMaxSqnrDb);
    QVERIFY(close(e.all.output.sqnrDb, x.comparer.result().sqnrDb));

    const nlohmann::json j = qs::toJson(e);
    for (const nlohmann::json* s : {&j["speakers"][0], &j["speakers"][1], &j["all"], &j["clips"][0]})
        for (const char* key : {"wer_vs_float", "cer_vs_float", "wer_float", "cer_float", "wer_quantized", "cer_quantized"})
            QVERIFY2(s->at(key).is_null(), key);
    QVERIFY(j["clips"][0]["float_transcript"].is_null());
    QVERIFY(j["all"]["sqnr_db"].is_number());
    QVERIFY(j["all"]["kl"].get<double>() >= 0);
}

void TestEvaluation::skippedFilesListed() {
    const qs::AudioCorpus corpus = scanFor(*float_, path("broken"));
    const qs::Evaluation e = qs::evaluate(*float_, *q4_, corpus);
    QCOMPARE(e.all.clips, 1);
    QCOMPARE(e.skipped.size(), std::size_t(1));
    QCOMPARE(e.skipped[0].path, path("broken/alice/notes.wav"));
    QVERIFY(!e.skipped[0].reason.empty());
    const nlohmann::json j = qs::toJson(e);
    QCOMPARE(j["skipped"][0]["path"].get<std::string>(), path("broken/alice/notes.wav"));
    QVERIFY(j["all"]["wer_float"].is_null());  // no references in this folder
}

void TestEvaluation::cancels() {
    const qs::AudioCorpus corpus = scanFor(*float_, path("audio"));
    int calls = 0;
    std::vector<std::size_t> totals;
    bool cancelled = false;
    try {
        qs::evaluate(*float_, *q4_, corpus, {}, [&](const qs::Progress& p) {
            ++calls;
            totals.push_back(p.total);
            return p.done < 1;  // stop after the first clip
        });
    } catch (const qs::Cancelled&) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QVERIFY(calls >= 1);
    for (std::size_t t : totals) QCOMPARE(t, std::size_t(5));
}

QTEST_GUILESS_MAIN(TestEvaluation)
#include "test_evaluation.moc"
