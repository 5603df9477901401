// labels: gui
// Figure export: every figure writes a valid PNG (signature, pixel size from size × dpi / 96, the dpi
// recorded in the file) and a valid PDF (header and trailer); "export all" writes one file per
// figure; an unwritable path is an error message, not a crash.
#include <QtTest>

#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QTemporaryDir>
#include <cmath>
#include <memory>

#include "app/gui/main_window.h"
#include "app/gui/studio_state.h"
#include "core/stats/analyzer.h"
#include "core/model/speech_model.h"
#include "tests/support/audio_files.h"

using namespace qs;
using namespace qs::gui;

namespace {

QByteArray head(const QString& path, int n) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.read(n);
}

QByteArray tail(const QString& path, int n) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    f.seek(std::max<qint64>(0, f.size() - n));
    return f.readAll();
}

}  // namespace

class TestGuiExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void pngHasSignatureSizeAndDpi_data();
    void pngHasSignatureSizeAndDpi();
    void pdfHasHeaderAndTrailer_data();
    void pdfHasHeaderAndTrailer();
    void exportAllWritesEveryFigure();
    void unwritablePathIsAnError();
    void figuresWithoutAnalysisStillExport();

private:
    QTemporaryDir dir_;
    std::unique_ptr<MainWindow> window_;
};

void TestGuiExport::initTestCase() {
    QVERIFY(dir_.isValid());
    qputenv("XDG_CONFIG_HOME", dir_.filePath(QStringLiteral("config")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("quantscope-tests"));
    const QString audio = dir_.filePath(QStringLiteral("audio"));
    for (int s = 0; s < 2; ++s)
        for (int k = 0; k < 2; ++k)
            test::writeSine(QStringLiteral("%1/spk%2/c%3.wav").arg(audio).arg(s).arg(k).toStdString(),
                            test::AudioFormat::Wav16, 16000, 1, 0.7, 250.0 + 300 * s + 40 * k, 0.4);
    const SpeechModel model = SpeechModel::load(QS_FIXTURES_DIR "/w2v2_traced.pt");
    auto analysis = std::make_shared<const Analysis>(analyze(model, AudioCorpus::scan(audio.toStdString())));
    window_ = std::make_unique<MainWindow>();
    window_->setInteractive(false);
    window_->show();
    window_->state()->setAnalysis(analysis);
    window_->selectLayer(3);
}

void TestGuiExport::cleanupTestCase() { window_.reset(); }

void TestGuiExport::pngHasSignatureSizeAndDpi_data() {
    QTest::addColumn<QString>("figure");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("dpi");
    for (const char* id : {"allocation", "sensitivity", "speaker_comparison", "budget_curve", "histogram", "outliers", "channels"})
        QTest::newRow(id) << QString::fromLatin1(id) << 900 << 500 << 96;
    QTest::newRow("histogram at 300 dpi") << QStringLiteral("histogram") << 640 << 400 << 300;
    QTest::newRow("allocation at 150 dpi") << QStringLiteral("allocation") << 1200 << 600 << 150;
}

void TestGuiExport::pngHasSignatureSizeAndDpi() {
    QFETCH(QString, figure);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, dpi);
    const QString path = dir_.filePath(QStringLiteral("%1-%2.png").arg(figure).arg(dpi));
    FigureExportOptions o;
    o.format = FigureExportOptions::Format::Png;
    o.width = width;
    o.height = height;
    o.dpi = dpi;
    QString error;
    QVERIFY2(window_->exportFigure(figure, path, o, &error), qPrintable(error));
    QCOMPARE(head(path, 8), QByteArray("\x89PNG\r\n\x1a\n", 8));
    QImage image(path);
    QVERIFY(!image.isNull());
    QCOMPARE(image.width(), int(std::lround(width * dpi / 96.0)));
    QCOMPARE(image.height(), int(std::lround(height * dpi / 96.0)));
    QCOMPARE(int(std::lround(image.dotsPerMeterX() * 0.0254)), dpi);
    // Not a blank page: a figure has many colours.
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
        for (int x = 0; x < image.width(); x += 7) colours.insert(image.pixel(x, y));
    QVERIFY2(colours.size() > 8, qPrintable(QStringLiteral("only %1 colours").arg(colours.size())));
}

void TestGuiExport::pdfHasHeaderAndTrailer_data() {
    QTest::addColumn<QString>("figure");
    for (const char* id : {"allocation", "histogram", "speaker_comparison", "outliers"}) QTest::newRow(id) << QString::fromLatin1(id);
}

void TestGuiExport::pdfHasHeaderAndTrailer() {
    QFETCH(QString, figure);
    const QString path = dir_.filePath(figure + QStringLiteral(".pdf"));
    FigureExportOptions o;
    o.format = FigureExportOptions::Format::Pdf;
    o.width = 800;
    o.height = 450;
    QString error;
    QVERIFY2(window_->exportFigure(figure, path, o, &error), qPrintable(error));
    QCOMPARE(head(path, 5), QByteArray("%PDF-"));
    QVERIFY(tail(path, 32).contains("%%EOF"));
    QVERIFY(QFileInfo(path).size() > 2000);
}

void TestGuiExport::exportAllWritesEveryFigure() {
    const QString folder = dir_.filePath(QStringLiteral("all/figures"));
    FigureExportOptions o;
    o.width = 600;
    o.height = 400;
    QString error;
    QVERIFY2(window_->exportAllFigures(folder, o, &error), qPrintable(error));
    const QStringList files = QDir(folder).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
    QCOMPARE(files, QStringList({"allocation.png", "budget_curve.png", "channels.png", "histogram.png", "outliers.png",
                                 "sensitivity.png", "speaker_comparison.png"}));
    for (const QString& f : files) QCOMPARE(head(QDir(folder).filePath(f), 4), QByteArray("\x89PNG", 4));
}

void TestGuiExport::unwritablePathIsAnError() {
    QString error;
    QVERIFY(!window_->exportFigure(QStringLiteral("histogram"), dir_.filePath(QStringLiteral("missing/dir/h.png")), {}, &error));
    QVERIFY(error.startsWith(QStringLiteral("Could not export Activation histogram")));
    QVERIFY(!window_->exportFigure(QStringLiteral("no-such-figure"), dir_.filePath(QStringLiteral("x.png")), {}, &error));
    FigureExportOptions tiny;
    tiny.width = 10;
    QVERIFY(!window_->exportFigure(QStringLiteral("histogram"), dir_.filePath(QStringLiteral("tiny.png")), tiny, &error));
    QVERIFY(!QFileInfo::exists(dir_.filePath(QStringLiteral("tiny.png"))));
}

void TestGuiExport::figuresWithoutAnalysisStillExport() {
    MainWindow empty;
    empty.setInteractive(false);
    const QString path = dir_.filePath(QStringLiteral("empty.png"));
    QString error;
    QVERIFY2(empty.exportFigure(QStringLiteral("sensitivity"), path, {}, &error), qPrintable(error));
    QCOMPARE(head(path, 8), QByteArray("\x89PNG\r\n\x1a\n", 8));
}

QTEST_MAIN(TestGuiExport)
#include "test_gui_export.moc"
