// labels: unit
// links: qs_evaluation
// NIST trn files of an evaluation: the exact lines (normalised text, ids made unique and safe), which
// clips they hold, atomic writing and the errors; and, when sclite (Debian's sctk) is installed, that
// sclite's word errors on the files equal quantscope's wordErrors on a few hundred random
// utterances with substitutions, insertions, deletions, empty hypotheses and punctuation.
#include <QtTest>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <random>

#include "core/base/errors.h"
#include "core/evaluation/error_rates.h"
#include "core/evaluation/trn_files.h"
#include "tests/support/sclite.h"

namespace {

QString read(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

qs::ClipEvaluation clip(const std::string& speaker, const std::string& id, const std::string& reference,
                        const std::string& floatText, const std::string& quantizedText) {
    qs::ClipEvaluation c;
    c.speaker = speaker;
    c.id = id;
    c.reference = reference;
    c.floatTranscript = floatText;
    c.quantizedTranscript = quantizedText;
    return c;
}

}  // namespace

class TestTrnFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void linesAndIds() {
        qs::Evaluation e;
        e.transcripts = true;
        e.clips = {clip("en-029_f3", "en-029_f3-t0000", "Turn ON the lights!", "turn on the light", ""),
                   clip("spk0", "c0", "open the door", "open the door", "open door"),
                   clip("spk1", "c0", "don't stop", "'don't' stop", "dont stop"),
                   clip("spk1", "my take (2)", "well-known", "well known", "well known"),
                   clip("spk1", "c0", "again", "again", "again")};
        QCOMPARE(qs::trnIds(e), (std::vector<std::string>{"en-029_f3-t0000", "spk0-c0", "spk1-c0", "spk1-my_take__2_",
                                                          "spk1-c0#2"}));
        QCOMPARE(qs::trnLine("Turn ON the lights!", "a"), std::string("turn on the lights (a)\n"));
        QCOMPARE(qs::trnLine("  ", "a"), std::string("(a)\n"));

        QTemporaryDir dir;
        const QString out = dir.filePath("nested/trn");
        const qs::TrnFiles files = qs::writeTrnFiles(out.toStdString(), e);
        QCOMPARE(files.utterances, 5);
        QCOMPARE(QString::fromStdString(files.reference), out + "/reference.trn");
        QCOMPARE(read(out + "/reference.trn"), QStringLiteral("turn on the lights (en-029_f3-t0000)\n"
                                                              "open the door (spk0-c0)\n"
                                                              "don't stop (spk1-c0)\n"
                                                              "well known (spk1-my_take__2_)\n"
                                                              "again (spk1-c0#2)\n"));
        QCOMPARE(read(out + "/float.trn"), QStringLiteral("turn on the light (en-029_f3-t0000)\n"
                                                          "open the door (spk0-c0)\n"
                                                          "don't stop (spk1-c0)\n"
                                                          "well known (spk1-my_take__2_)\n"
                                                          "again (spk1-c0#2)\n"));
        QCOMPARE(read(out + "/quantized.trn"), QStringLiteral("(en-029_f3-t0000)\n"
                                                              "open door (spk0-c0)\n"
                                                              "dont stop (spk1-c0)\n"
                                                              "well known (spk1-my_take__2_)\n"
                                                              "again (spk1-c0#2)\n"));
        QCOMPARE(QDir(out).entryList(QDir::Files), (QStringList{"float.trn", "quantized.trn", "reference.trn"}));
    }

    // sclite needs every hypothesis in the reference: with some references, only those clips; with
    // none, every clip and no reference.trn.
    void whichClips() {
        qs::Evaluation e;
        e.transcripts = true;
        e.clips = {clip("a", "a-1", "", "one", "one"), clip("a", "a-2", "two", "two", "too"), clip("a", "a-3", "", "x", "y")};
        QTemporaryDir dir;
        qs::TrnFiles files = qs::writeTrnFiles(dir.filePath("some").toStdString(), e);
        QCOMPARE(files.utterances, 1);
        QCOMPARE(read(dir.filePath("some/float.trn")), QStringLiteral("two (a-2)\n"));
        QCOMPARE(read(dir.filePath("some/reference.trn")), QStringLiteral("two (a-2)\n"));

        e.clips[1].reference.clear();
        files = qs::writeTrnFiles(dir.filePath("none").toStdString(), e);
        QCOMPARE(files.utterances, 3);
        QVERIFY(files.reference.empty());
        QVERIFY(!QFile::exists(dir.filePath("none/reference.trn")));
        QCOMPARE(read(dir.filePath("none/quantized.trn")), QStringLiteral("one (a-1)\ntoo (a-2)\ny (a-3)\n"));
    }

    void errors() {
        qs::Evaluation e;
        e.clips = {clip("a", "a-1", "one", "one", "one")};
        QTemporaryDir dir;
        try {
            qs::writeTrnFiles(dir.path().toStdString(), e);
            QFAIL("no transcripts must be an error");
        } catch (const qs::InputError& err) {
            QVERIFY2(std::string(err.what()).find("no CTC labels") != std::string::npos, err.what());
        }
        e.transcripts = true;
        QFile file(dir.filePath("taken"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::writeTrnFiles(dir.filePath("taken").toStdString(), e));
    }

    // The standard scorer agrees with quantscope's word errors, utterance set by utterance set.
    void scliteAgrees() {
        if (qs::test::scliteCommand().isEmpty()) QSKIP("sclite is not installed (Debian package sctk; scripts/install-deps.sh)");
        std::mt19937 rng(7);
        const std::vector<std::string> vocabulary = {"turn", "on", "the", "lights", "open", "door", "play", "some",
                                                     "music", "stop", "it's", "a", "an", "kitchen", "volume", "up"};
        auto word = [&] { return vocabulary[rng() % vocabulary.size()]; };
        qs::Evaluation e;
        e.transcripts = true;
        qs::ErrorCounts floatErrors, quantizedErrors, vsFloat;
        for (int u = 0; u < 300; ++u) {
            std::vector<std::string> ref;
            const int n = 1 + int(rng() % 9);
            for (int i = 0; i < n; ++i) ref.push_back(word());
            auto corrupt = [&](int edits) {
                std::vector<std::string> h = ref;
                for (int k = 0; k < edits; ++k) {
                    const int kind = int(rng() % 3);
                    const std::size_t at = h.empty() ? 0 : rng() % (h.size() + (kind == 1 ? 1 : 0));
                    if (kind == 0 && !h.empty() && at < h.size()) h[at] = word();           // substitution
                    else if (kind == 1) h.insert(h.begin() + long(std::min(at, h.size())), word());  // insertion
                    else if (!h.empty() && at < h.size()) h.erase(h.begin() + long(at));   // deletion
                }
                std::string s;
                for (const std::string& w : h) s += (s.empty() ? "" : " ") + w;
                return s;
            };
            std::string reference;
            for (const std::string& w : ref) reference += (reference.empty() ? "" : " ") + w;
            if (u % 7 == 0) reference[0] = char(std::toupper(reference[0])), reference += ".";  // case, punctuation
            const std::string f = u % 11 == 0 ? std::string() : corrupt(int(rng() % 3));
            const std::string q = corrupt(int(rng() % 5));
            e.clips.push_back(clip("spk" + std::to_string(u % 4), "u" + std::to_string(u), reference, f, q));
            floatErrors += qs::wordErrors(reference, f);
            quantizedErrors += qs::wordErrors(reference, q);
            vsFloat += qs::wordErrors(f, q);
        }
        QTemporaryDir dir;
        const qs::TrnFiles files = qs::writeTrnFiles(dir.path().toStdString(), e);
        const auto check = [](const QString& ref, const QString& hyp, const qs::ErrorCounts& expected) {
            const qs::test::ScliteSum s = qs::test::runSclite(ref, hyp);
            QVERIFY2(s.ok, qPrintable(s.error));
            QCOMPARE(s.words, (long long)expected.referenceLength);
            QCOMPARE(s.errors, (long long)expected.edits);
        };
        check(QString::fromStdString(files.reference), QString::fromStdString(files.floatHypotheses), floatErrors);
        check(QString::fromStdString(files.reference), QString::fromStdString(files.quantizedHypotheses), quantizedErrors);
        check(QString::fromStdString(files.floatHypotheses), QString::fromStdString(files.quantizedHypotheses), vsFloat);
    }
};

QTEST_GUILESS_MAIN(TestTrnFiles)
#include "test_trn_files.moc"
