// labels: e2e
// The bundled demo (resources/demo, made by tools/make_demo.py): the model loads with its metadata,
// the audio set scans cleanly with a transcript for every clip, the files stay within their size
// budgets, and quantscope's own pipeline (FLAC decoding, normalization, TorchScript forward, greedy
// CTC, WER/CER) reproduces the float-model word and character errors the script measured in Python,
// voice by voice, to the edit.
#include "core/audio/audio_corpus.h"
#include "core/evaluation/evaluation.h"
#include "core/base/json_io.h"
#include "core/model/speech_model.h"

#include <QtTest>

#include <QDirIterator>
#include <QFileInfo>

namespace {

const QString kDemo = QStringLiteral(QS_DEMO_DIR);

qint64 folderBytes(const QString& dir) {
    qint64 total = 0;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) total += QFileInfo(it.next()).size();
    return total;
}

}  // namespace

class TestDemoAssets : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFileInfo::exists(kDemo + "/model.pt"), "resources/demo/model.pt is missing: run tools/make_demo.py");
        quality_ = qs::readJson((kDemo + "/quality.json").toStdString());
    }

    void sizesWithinBudget() {
        QVERIFY(QFileInfo(kDemo + "/model.pt").size() <= 25LL * 1000 * 1000);
        QVERIFY(folderBytes(kDemo + "/audio") <= 15LL * 1000 * 1000);
        QVERIFY(quality_["model"]["params"].get<std::int64_t>() <= 6'000'000);
    }

    void modelCarriesItsMetadata() {
        const qs::SpeechModel model = qs::SpeechModel::load((kDemo + "/model.pt").toStdString());
        const qs::ModelInfo& info = model.info();
        QCOMPARE(info.sampleRate, 16000);
        QVERIFY(info.normalize);
        QCOMPARE(info.labels, quality_["model"]["labels"].get<std::vector<std::string>>());
        QCOMPARE(info.labels.front(), std::string("<blank>"));
        QCOMPARE(info.totalParams, quality_["model"]["params_exported"].get<std::int64_t>());
        QCOMPARE(int(info.layers.size()), quality_["model"]["quantizable_layers"].get<int>());
    }

    void audioHasEveryVoiceAndTranscript() {
        qs::CorpusOptions co;
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan((kDemo + "/audio").toStdString(), co);
        QVERIFY(corpus.skipped().empty());
        const auto voices = quality_["voice_order"].get<std::vector<std::string>>();
        QCOMPARE(corpus.speakers().size(), voices.size());
        QVERIFY(voices.size() >= 12);
        int heldOut = 0;
        for (const std::string& v : voices) heldOut += quality_["voices"][v]["held_out"].get<bool>();
        QVERIFY(heldOut >= 4);
        for (const qs::Speaker& s : corpus.speakers()) {
            QCOMPARE(int(s.clips.size()), quality_["demo"]["clips_per_voice"].get<int>());
            for (const qs::Clip& c : s.clips) QVERIFY2(!c.transcript.empty(), c.path.c_str());
        }
    }

    // The float model against itself: its WER/CER against the references equal the script's figures.
    void pipelineReproducesTheScriptsErrorRates() {
        const qs::SpeechModel model = qs::SpeechModel::load((kDemo + "/model.pt").toStdString());
        const qs::AudioCorpus corpus =
            qs::AudioCorpus::scan((kDemo + "/audio").toStdString(), qs::corpusOptionsFor(model.info()));
        const qs::Evaluation e = qs::evaluate(model, model, corpus);
        QVERIFY(e.transcripts);
        QCOMPARE(e.speakers.size(), corpus.speakers().size());
        for (const qs::EvaluationScores& s : e.speakers) {
            const nlohmann::json& demo = quality_["voices"][s.name]["demo"];
            QCOMPARE(s.referenceClips, demo["clips"].get<int>());
            QCOMPARE(s.werFloat.referenceLength, demo["words"].get<std::int64_t>());
            QCOMPARE(s.werFloat.edits, demo["word_errors"].get<std::int64_t>());
            QCOMPARE(s.cerFloat.referenceLength, demo["chars"].get<std::int64_t>());
            QCOMPARE(s.cerFloat.edits, demo["char_errors"].get<std::int64_t>());
            QCOMPARE(s.werVsFloat.edits, std::int64_t(0));
        }
        // The script's full test set: held-out voices below the 25% bar.
        QVERIFY(quality_["summary"]["heldout_voices_test"]["wer"].get<double>() < 0.25);
    }

private:
    nlohmann::json quality_;
};

QTEST_APPLESS_MAIN(TestDemoAssets)
#include "test_demo_assets.moc"
