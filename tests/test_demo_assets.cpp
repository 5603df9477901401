// labels: e2e
// The bundled demo (resources/demo, made by tools/make_demo.py): the model loads with its metadata,
// the audio set and the demo users scan cleanly with a transcript for every clip, the files stay within
// their size budgets, the users' split.csv and speakers.csv cover every clip and user exactly once, and
// quantscope's own pipeline (FLAC decoding, soxr resampling of the 8 kHz user, normalization,
// TorchScript forward, greedy CTC, WER/CER) reproduces the float model's transcripts and word and
// character errors the script measured in Python, voice by voice and user clip by user clip, exactly.
// The script resamples the 8 kHz user with the same libsoxr call as core/audio/audio_corpus.cpp (via ctypes),
// so that user needs no tolerance either.
#include "core/audio/audio_corpus.h"
#include "core/evaluation/evaluation.h"
#include "core/base/json_io.h"
#include "core/model/speech_model.h"

#include <QtTest>

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QSet>
#include <QTextStream>

#include <map>
#include <set>

namespace {

const QString kDemo = QStringLiteral(QS_DEMO_DIR);

qint64 folderBytes(const QString& dir) {
    qint64 total = 0;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) total += QFileInfo(it.next()).size();
    return total;
}

// Lines of a small CSV file without quoting (the demo's files have none), split at commas.
QList<QStringList> readCsv(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
    QList<QStringList> rows;
    QTextStream in(&file);
    while (!in.atEnd()) {
        const QString line = in.readLine();
        if (!line.isEmpty()) rows.push_back(line.split(QLatin1Char(',')));
    }
    return rows;
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
        // all demo audio: the voices and the users
        QVERIFY(folderBytes(kDemo + "/audio") + folderBytes(kDemo + "/users") <= 25LL * 1000 * 1000);
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

    // Every user: one folder, the script's clips with transcripts, the telephone user stored at 8 kHz.
    void usersHaveEveryClipAndTranscript() {
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan((kDemo + "/users").toStdString(), qs::CorpusOptions{});
        QVERIFY(corpus.skipped().empty());
        const auto users = quality_["user_order"].get<std::vector<std::string>>();
        QVERIFY(users.size() >= 6);
        QCOMPARE(corpus.speakers().size(), users.size());
        bool narrowband = false;
        for (const qs::Speaker& s : corpus.speakers()) {
            const nlohmann::json& u = quality_["users"][s.name];
            QVERIFY2(!u.is_null(), s.name.c_str());
            QCOMPARE(s.clips.size(), u["clips"].size());
            for (const qs::Clip& c : s.clips) {
                QVERIFY2(!c.transcript.empty(), c.path.c_str());
                QCOMPARE(c.sourceRate, u["sample_rate"].get<int>());
            }
            narrowband = narrowband || u["sample_rate"].get<int>() != 16000;
        }
        QVERIFY2(narrowband, "no user is stored at another rate than the model's: the resampling path goes untested");
    }

    // split.csv: header path,part; every clip file under users/ exactly once; 10 tune and 20 test per user,
    // the parts the script measured.
    void splitCoversEveryClipOnce() {
        const QList<QStringList> rows = readCsv(kDemo + "/users/split.csv");
        QVERIFY(!rows.isEmpty());
        QCOMPARE(rows.front(), (QStringList{"path", "part"}));
        std::map<std::string, std::string> partOf;  // clip id -> part, from quality.json
        for (const auto& [user, u] : quality_["users"].items())
            for (const nlohmann::json& c : u["clips"]) partOf[c["id"].get<std::string>()] = c["part"].get<std::string>();
        QSet<QString> listed;
        std::map<QString, std::pair<int, int>> counts;  // user -> (tune, test)
        for (qsizetype i = 1; i < rows.size(); ++i) {
            const QStringList& r = rows[i];
            QCOMPARE(r.size(), 2);
            const QString& path = r[0];
            const QString& part = r[1];
            QVERIFY2(part == "tune" || part == "test", qPrintable(part));
            QVERIFY2(!listed.contains(path), qPrintable("listed twice: " + path));
            listed.insert(path);
            QVERIFY2(QFileInfo(kDemo + "/users/" + path).isFile(), qPrintable("missing: " + path));
            const QString user = path.section(QLatin1Char('/'), 0, 0);
            (part == "tune" ? counts[user].first : counts[user].second)++;
            const std::string id = QFileInfo(path).completeBaseName().toStdString();
            QVERIFY2(partOf.count(id), id.c_str());
            QCOMPARE(part.toStdString(), partOf[id]);
        }
        QDirIterator it(kDemo + "/users", {"*.flac"}, QDir::Files, QDirIterator::Subdirectories);
        int files = 0;
        while (it.hasNext()) {
            const QString rel = QDir(kDemo + "/users").relativeFilePath(it.next());
            QVERIFY2(listed.contains(rel), qPrintable("not in split.csv: " + rel));
            ++files;
        }
        QCOMPARE(files, int(listed.size()));
        QCOMPARE(counts.size(), quality_["user_order"].size());
        for (const auto& [user, c] : counts) {
            QCOMPARE(c.first, 10);
            QCOMPARE(c.second, 20);
        }
    }

    // speakers.csv: every user once, its group its sex, at least two users in each group.
    void speakersListEveryUser() {
        const QList<QStringList> rows = readCsv(kDemo + "/users/speakers.csv");
        QVERIFY(!rows.isEmpty());
        QCOMPARE(rows.front(), (QStringList{"speaker", "group", "sex", "accent", "condition"}));
        const auto users = quality_["user_order"].get<std::vector<std::string>>();
        std::set<std::string> seen;
        std::map<QString, int> perGroup;
        for (qsizetype i = 1; i < rows.size(); ++i) {
            const QStringList& r = rows[i];
            QCOMPARE(r.size(), 5);
            const std::string name = r[0].toStdString();
            QVERIFY2(seen.insert(name).second, name.c_str());
            QVERIFY2(QFileInfo(kDemo + "/users/" + r[0]).isDir(), name.c_str());
            const nlohmann::json& u = quality_["users"][name];
            QVERIFY2(!u.is_null(), name.c_str());
            QVERIFY(r[1] == "m" || r[1] == "f");
            QCOMPARE(r[1], r[2]);
            QCOMPARE(r[1].toStdString(), u["group"].get<std::string>());
            QCOMPARE(r[3].toStdString(), u["accent"].get<std::string>());
            QCOMPARE(r[4].toStdString(), u["condition"].get<std::string>());
            ++perGroup[r[1]];
        }
        QCOMPARE(seen, std::set<std::string>(users.begin(), users.end()));
        QCOMPARE(perGroup.size(), std::size_t(2));
        for (const auto& [group, n] : perGroup) QVERIFY2(n >= 2, qPrintable(group));
    }

    // The float model on the users' clips, as quantscope reads them (the 8 kHz user resampled with soxr):
    // the same transcript as the script's for every clip, hence the same edits on the tune and test parts.
    void pipelineReproducesTheUsersErrorRates() {
        const qs::SpeechModel model = qs::SpeechModel::load((kDemo + "/model.pt").toStdString());
        const qs::AudioCorpus corpus =
            qs::AudioCorpus::scan((kDemo + "/users").toStdString(), qs::corpusOptionsFor(model.info()));
        const qs::Evaluation e = qs::evaluate(model, model, corpus);
        QVERIFY(e.transcripts);
        QVERIFY(e.skipped.empty());
        std::map<std::string, const nlohmann::json*> expected;
        for (const auto& [user, u] : quality_["users"].items())
            for (const nlohmann::json& c : u["clips"]) expected[c["id"].get<std::string>()] = &c;
        QCOMPARE(e.clips.size(), expected.size());
        std::map<std::string, std::map<std::string, std::pair<qs::ErrorCounts, qs::ErrorCounts>>> sums;
        for (const qs::ClipEvaluation& c : e.clips) {
            QVERIFY2(expected.count(c.id), c.id.c_str());
            const nlohmann::json& x = *expected[c.id];
            QCOMPARE(c.reference, x["ref"].get<std::string>());
            QCOMPARE(c.floatTranscript, x["hyp"].get<std::string>());
            const qs::ErrorCounts w = qs::wordErrors(c.reference, c.floatTranscript);
            const qs::ErrorCounts ch = qs::charErrors(c.reference, c.floatTranscript);
            QCOMPARE(w.edits, x["word_errors"].get<std::int64_t>());
            QCOMPARE(ch.edits, x["char_errors"].get<std::int64_t>());
            auto& s = sums[c.speaker][x["part"].get<std::string>()];
            s.first += w;
            s.second += ch;
        }
        for (const auto& [user, parts] : sums) {
            const nlohmann::json& u = quality_["users"][user];
            for (const auto& [part, s] : parts) {
                QCOMPARE(s.first.edits, u[part]["word_errors"].get<std::int64_t>());
                QCOMPARE(s.first.referenceLength, u[part]["words"].get<std::int64_t>());
                QCOMPARE(s.second.edits, u[part]["char_errors"].get<std::int64_t>());
            }
            // the quality bar: every user's float WER on its test clips is at most 30%
            QVERIFY2(u["test"]["wer"].get<double>() <= 0.30, user.c_str());
        }
    }

private:
    nlohmann::json quality_;
};

QTEST_APPLESS_MAIN(TestDemoAssets)
#include "test_demo_assets.moc"
