// labels: e2e gui
// quantscope-cli figures end to end: a saved analysis and allocation become the studio's seven
// figures as valid PNG (at the asked size and resolution) or PDF files, drawn headless; bad inputs
// are one clear stderr line, a non-zero exit and no files.
#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/stats/analysis.h"
#include "tests/support/audio_files.h"

#include <QtTest>

#include "tests/support/cli_process.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QImageReader>
#include <QTemporaryDir>

namespace {

QStringList lines(const QString& text) { return text.split('\n', Qt::SkipEmptyParts); }

const QStringList kFigures = {"allocation", "sensitivity", "speaker_comparison", "budget_curve",
                              "histogram", "outliers", "channels"};

}  // namespace

class TestCliFigures : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const QString audio = path("audio");
        for (int s = 0; s < 2; ++s)
            for (int i = 0; i < 2; ++i)
                qs::test::writeSine(QStringLiteral("%1/spk%2/c%3.wav").arg(audio).arg(s).arg(i).toStdString(),
                                    qs::test::AudioFormat::Wav16, 16000, 1, 0.5, 220 + 90 * s + 30 * i, 0.4);
        analysis_ = path("analysis.json");
        const qs::test::CliRun a = qs::test::runCli(
            QStringLiteral(QS_CLI), "analyze",
            {"--model", QStringLiteral(QS_FIXTURES_DIR "/w2v2_traced.pt"), "--audio", audio, "--out", analysis_});
        QVERIFY2(a.exitCode == 0, qPrintable(a.err));
        const qs::Analysis analysis = qs::loadAnalysis(analysis_.toStdString());
        qs::AllocationRequest r;
        r.targetMb = analysis.model.sizeMb() * 0.2;
        r.speaker = "spk1";
        allocation_ = path("allocation.json");
        qs::saveAllocation(allocation_.toStdString(), qs::allocateAnalysis(analysis, r));
    }

    // The studio draws a saved analysis's figures without loading the engine or LibTorch (issue 11),
    // so `figures` starts as fast as `allocate`.
    void figuresLoadNoLibTorch() {
        const QString studio = QFileInfo(QStringLiteral(QS_CLI)).dir().filePath("quantscope");
        qs::test::CliRun r;
        const QStringList libs = qs::test::loadedLibraries(
            studio, {"--analysis", analysis_, "--allocation", allocation_, "--export-figures", path("nolibtorch")}, &r);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err.right(2000)));
        QVERIFY(QFile::exists(path("nolibtorch") + "/allocation.png"));
        QVERIFY2(libs.contains("libqs_allocation.so") && libs.contains("libQt6Widgets.so.6"), qPrintable(libs.join(' ')));
        for (const QString& lib : libs)
            QVERIFY2(!lib.startsWith("libtorch") && !lib.startsWith("libc10") && lib != "libqs_engine.so", qPrintable(lib));
    }

    void pngAtTheAskedSize() {
        const QString out = path("png");
        const qs::test::CliRun r = qs::test::runCli(
            QStringLiteral(QS_CLI), "figures",
            {"--analysis", analysis_, "--allocation", allocation_, "--out", out, "--width", "400", "--height", "300",
             "--dpi", "192"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(lines(r.out).size(), kFigures.size());
        for (const QString& f : kFigures) {
            const QString file = out + "/" + f + ".png";
            QVERIFY2(lines(r.out).contains(file), qPrintable(file));
            QImageReader reader(file);
            QCOMPARE(reader.format(), QByteArray("png"));
            const QImage image = reader.read();
            QVERIFY2(!image.isNull(), qPrintable(file));
            QCOMPARE(image.size(), QSize(800, 600));  // 400 x 300 at 192 dpi
            QCOMPARE(qRound(image.dotsPerMeterX() * 0.0254), 192);
        }
    }

    void pdfWithoutAllocation() {
        const QString out = path("pdf");
        const qs::test::CliRun r =
            qs::test::runCli(QStringLiteral(QS_CLI), "figures", {"--analysis", analysis_, "--format", "pdf", "--out", out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        for (const QString& f : kFigures) {
            QFile file(out + "/" + f + ".pdf");
            QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
            const QByteArray bytes = file.readAll();
            QVERIFY(bytes.startsWith("%PDF-"));
            QVERIFY(bytes.trimmed().endsWith("%%EOF"));
        }
    }

    void errors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing analysis") << QStringList{"--analysis", "none.json", "--out", "x"}
                                          << "cannot open none.json: No such file or directory";
        QTest::newRow("format") << QStringList{"--analysis", "ANALYSIS", "--format", "svg", "--out", "x"}
                                << "--format must be one of png, pdf, not 'svg'";
        QTest::newRow("size") << QStringList{"--analysis", "ANALYSIS", "--width", "10", "--out", "x"}
                              << "--width and --height must be 50 or more";
        QTest::newRow("another model's allocation")
            << QStringList{"--analysis", "ANALYSIS", "--allocation", "OTHER", "--out", "x"}
            << "OTHER does not belong to ANALYSIS: its layers differ (made from another model?)";
    }

    void errors() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        // An allocation of two made-up layers stands for one made from another model.
        const QString other = path("other.json");
        qs::Allocation foreign;
        foreign.targetMb = 1.0;
        foreign.layers = {{"a.fc", 10, 1.0, 8, true}, {"b.fc", 10, 1.0, 8, true}};
        qs::saveAllocation(other.toStdString(), foreign);
        args.replaceInStrings("ANALYSIS", analysis_).replaceInStrings("OTHER", other);
        message.replace("ANALYSIS", analysis_).replace("OTHER", other);
        const QString out = path("bad");
        args.replaceInStrings(QRegularExpression("^x$"), out);
        const qs::test::CliRun r = qs::test::runCli(QStringLiteral(QS_CLI), "figures", args);
        QVERIFY(r.exitCode != 0);
        QCOMPARE(lines(r.err).size(), 1);
        QCOMPARE(lines(r.err).first(), "quantscope-cli figures: " + message);
        QVERIFY(!QFileInfo::exists(out));
    }

private:
    QString path(const QString& rel) const { return dir_.path() + "/" + rel; }
    QTemporaryDir dir_;
    QString analysis_, allocation_;
};

QTEST_GUILESS_MAIN(TestCliFigures)
#include "test_cli_figures.moc"
