// labels: unit
// Distance sensitivities: weight overrides, exact distances on a known case, and a constructed
// model whose one fragile layer every distance metric must rank first.
#include <QtTest>
#include <cmath>

#include "core/allocation/allocation.h"
#include "core/stats/distance_scores.h"
#include "core/base/errors.h"
#include "core/quantize/quantizer.h"
#include "core/allocation/sensitivity.h"
#include "tests/support/audio_files.h"

namespace {

std::string fixture(const std::string& name) { return std::string(QS_FIXTURES_DIR) + "/" + name; }

// Two speakers with two clips each of different tones.
QString makeCorpus(const QTemporaryDir& dir) {
    const QString root = dir.path() + "/corpus";
    int k = 0;
    for (const char* speaker : {"ann", "ben"})
        for (int i = 0; i < 2; ++i, ++k)
            qs::test::writeSine((root + "/" + speaker + "/c" + QString::number(i) + ".wav").toStdString(),
                                qs::test::AudioFormat::Wav16, 16000, 1, 0.6, 150.0 + 90.0 * k, 0.4);
    return root;
}

}  // namespace

class TestDistanceScores : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void overridesReplaceOneLayerOnly() {
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("w2v2_traced.pt"));
        std::vector<float> wave(8000);
        for (std::size_t i = 0; i < wave.size(); ++i) wave[i] = float(std::sin(0.05 * double(i)));
        const qs::ModelOutput ref = m.forward(wave);

        // Its own weight as an override changes nothing, bit for bit.
        const std::vector<float> same = m.layerWeight(3);
        QVERIFY(m.forwardWithWeights(wave, {{3, &same}}).values == ref.values);

        // Zeroing the output head's weight leaves only its bias: every frame's logits equal.
        const int head = int(m.info().layers.size()) - 1;
        QCOMPARE(m.info().layers[std::size_t(head)].name, std::string("model.aux"));
        const std::vector<float> zeros(m.layerWeight(head).size(), 0.0f);
        const qs::ModelOutput biasOnly = m.forwardWithWeights(wave, {{head, &zeros}});
        const std::size_t vocab = std::size_t(biasOnly.shape.back());
        for (std::size_t i = vocab; i < biasOnly.values.size(); ++i) QCOMPARE(biasOnly.values[i], biasOnly.values[i % vocab]);
        QVERIFY(m.forward(wave).values == ref.values);  // the model itself is untouched

        const std::vector<float> wrong(3, 0.0f);
        QVERIFY_THROWS_EXCEPTION(qs::InputError, m.forwardWithWeights(wave, {{0, &wrong}}));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, m.forwardWithWeights(wave, {{99, &same}}));
    }

    void fragileLayerRanksFirst() {
        QTemporaryDir dir;
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("fragile_traced.pt"));
        qs::CorpusOptions co;
        co.normalize = false;
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan(makeCorpus(dir).toStdString(), co);
        qs::DistanceOptions options;
        options.clipsPerSpeaker = 2;
        const auto scores = qs::distanceScores(m, corpus, options);
        QCOMPARE(scores.size(), std::size_t(3));  // ann, ben, all

        std::vector<std::string> names;
        for (const auto& l : m.info().layers) names.push_back(l.name);
        const auto fragile = std::size_t(std::find(names.begin(), names.end(), "fragile") - names.begin());
        QVERIFY(fragile < names.size());

        qs::Analysis a;
        a.model = m.info();
        a.speakers = {{"ann", 2, 2, 1.2}, {"ben", 2, 2, 1.2}};
        for (const auto& l : m.info().layers) a.layers.push_back({l, {}, {}});
        qs::attachDistances(a, scores);
        for (qs::Metric metric : {qs::Metric::Kl, qs::Metric::L1, qs::Metric::L2, qs::Metric::Cosine, qs::Metric::Sqnr}) {
            for (const std::string speaker : {"all", "ann", "ben"}) {
                const std::vector<double> s = qs::layerScores(a, metric, speaker);
                const auto top = std::size_t(std::max_element(s.begin(), s.end()) - s.begin());
                QVERIFY2(top == fragile, qPrintable(QString::fromStdString(qs::metricName(metric) + " " + speaker)));
            }
        }
        const qs::DistanceScores& f = scores.at("all")[fragile];
        QCOMPARE(f.clips, 4);
        QCOMPARE(f.bits, 8);
        QVERIFY(f.sqnrDb < 20.0);  // the fragile layer really breaks the output
        for (std::size_t l = 0; l < names.size(); ++l)
            if (l != fragile) QVERIFY(scores.at("all")[l].sqnrDb > f.sqnrDb + 10.0);
    }

    void speakersAddUpToAll() {
        QTemporaryDir dir;
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("fragile_traced.pt"));
        qs::CorpusOptions co;
        co.normalize = false;
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan(makeCorpus(dir).toStdString(), co);
        const auto scores = qs::distanceScores(m, corpus, {});
        for (std::size_t l = 0; l < m.info().layers.size(); ++l) {
            const auto& all = scores.at("all")[l];
            const auto& ann = scores.at("ann")[l];
            const auto& ben = scores.at("ben")[l];
            // Every clip here has the same output length, so clip means average exactly.
            QVERIFY(std::fabs(all.kl - 0.5 * (ann.kl + ben.kl)) <= 1e-12 + 1e-9 * all.kl);
            QVERIFY(std::fabs(all.l1 - 0.5 * (ann.l1 + ben.l1)) <= 1e-12 + 1e-9 * all.l1);
            QVERIFY(std::fabs(all.cosine - 0.5 * (ann.cosine + ben.cosine)) <= 1e-12 + 1e-9 * all.cosine);
        }
    }

    void cancelStopsTheRun() {
        QTemporaryDir dir;
        const qs::SpeechModel m = qs::SpeechModel::load(fixture("fragile_traced.pt"));
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan(makeCorpus(dir).toStdString());
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(qs::Cancelled, qs::distanceScores(m, corpus, {}, [&](const qs::Progress&) {
                                     return ++calls < 2;
                                 }));
    }

    void allocationNeedsDistancePasses() {
        qs::Analysis a;
        a.model.totalParams = 100;
        qs::LayerAnalysis l;
        l.info = {"x", "linear", 50, {5, 10}};
        l.stats["all"] = {};
        a.layers.push_back(l);
        try {
            qs::layerScores(a, qs::Metric::Kl);
            QFAIL("expected InputError");
        } catch (const qs::InputError& e) {
            QVERIFY(QString(e.what()).contains("--distance-clips"));
        }
    }
};

QTEST_APPLESS_MAIN(TestDistanceScores)
#include "test_distance_scores.moc"
