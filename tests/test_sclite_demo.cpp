// labels: e2e slow
// links: qs_base
// quantscope's WER equals the standard scorer's on the demo: the demo analysed, allocated at about 3
// bits per weight, exported and evaluated with `evaluate --trn`; NIST's sclite (Debian's sctk) then
// scores the trn files, and its error counts give exactly evaluation.json's wer_float,
// wer_quantized and wer_vs_float. Skips (with the reason) only when sclite is not installed.
#include <QtTest>

#include <QDir>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "core/base/json_io.h"
#include "tests/support/cli_process.h"
#include "tests/support/sclite.h"

namespace {

const QString kCli = QStringLiteral(QS_CLI);
const QString kDemo = QStringLiteral(QS_DEMO_DIR);

}  // namespace

class TestScliteDemo : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void scliteAgreesOnTheDemo() {
        if (qs::test::scliteCommand().isEmpty())
            QSKIP("sclite is not installed (Debian package sctk, which scripts/install-deps.sh installs)");
        QTemporaryDir dir;
        const QString analysis = dir.filePath("analysis.json"), allocation = dir.filePath("allocation.json"),
                      quantized = dir.filePath("quantized"), evaluation = dir.filePath("evaluation.json"),
                      trn = dir.filePath("trn");
        auto cli = [&](const QString& command, const QStringList& args) {
            const qs::test::CliRun r = qs::test::runCli(kCli, command, args, 1800000);
            QVERIFY2(r.exitCode == 0, qPrintable(command + ": " + r.err.right(2000)));
        };
        // Two clips per voice are enough for the allocation; the evaluation takes every clip.
        cli("analyze", {"--model", kDemo + "/model.pt", "--audio", kDemo + "/audio", "--max-clips", "2", "--out", analysis});
        const double floatMb = qs::readJson(analysis.toStdString()).at("model").at("size_mb").get<double>();
        cli("allocate", {"--analysis", analysis, "--target-mb", QString::number(floatMb * 3.2 / 32.0, 'f', 4), "--out", allocation});
        cli("export", {"--model", kDemo + "/model.pt", "--analysis", analysis, "--allocation", allocation,
                       "--calibration-clips", "2", "--out", quantized});
        // The model file, not the folder: scoring is compared on every clip, the calibration clips included
        // (given the folder, evaluate leaves them out).
        cli("evaluate", {"--model", kDemo + "/model.pt", "--quantized", quantized + "/model.pt", "--audio", kDemo + "/audio", "--trn", trn,
                         "--out", evaluation});
        if (QTest::currentTestFailed()) return;

        const nlohmann::json all = qs::readJson(evaluation.toStdString()).at("all");
        QCOMPARE(all.at("clips").get<int>(), 300);
        QCOMPARE(all.at("reference_clips").get<int>(), 300);
        const struct {
            const char* field;
            QString reference, hypothesis;
        } pairs[] = {{"wer_float", trn + "/reference.trn", trn + "/float.trn"},
                     {"wer_quantized", trn + "/reference.trn", trn + "/quantized.trn"},
                     {"wer_vs_float", trn + "/float.trn", trn + "/quantized.trn"}};
        for (const auto& p : pairs) {
            const qs::test::ScliteSum s = qs::test::runSclite(p.reference, p.hypothesis);
            QVERIFY2(s.ok, qPrintable(s.error));
            const double quantscope = all.at(p.field).get<double>();
            qInfo("%s: sclite %lld errors (%lld sub, %lld del, %lld ins) in %lld words = %.4f%%, quantscope %.4f%%", p.field,
                  s.errors, s.sub, s.del, s.ins, s.words, 100.0 * s.rate(), 100.0 * quantscope);
            QCOMPARE(s.rate(), quantscope);
        }
    }
};

QTEST_GUILESS_MAIN(TestScliteDemo)
#include "test_sclite_demo.moc"
