// labels: gui
// Figure export: every figure writes a valid PNG (signature, pixel size from size × dpi / 96, the dpi
// recorded in the file) and a valid PDF (header and trailer); "export all" writes one file per
// figure; an unwritable path is an error message, not a crash. Exported figures are report figures:
// the selected layer (band and outlined bar) is not in them, and each has a title and a caption
// saying what it shows.
#include <QtTest>

#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QTemporaryDir>
#include <cmath>
#include <memory>

#include "app/gui/budget_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/studio_state.h"
#include "widgets/figure_view.h"
#include "widgets/plot_style.h"
#include <qcustomplot.h>
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

// Pixels of the selected-layer band (selectionColour() over white).
int bandPixels(const QImage& image) {
    const QColor band = qs::gui::selectionColour();
    const double a = band.alphaF();
    const int r = int(std::lround(255 * (1 - a) + band.red() * a)), g = int(std::lround(255 * (1 - a) + band.green() * a)),
              b = int(std::lround(255 * (1 - a) + band.blue() * a));
    int n = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
            const QRgb p = image.pixel(x, y);
            n += std::abs(qRed(p) - r) <= 3 && std::abs(qGreen(p) - g) <= 3 && std::abs(qBlue(p) - b) <= 3;
        }
    return n;
}

// Dark (text) pixels in the top strip's middle third, where a centred title is.
int titlePixels(const QImage& image) {
    int n = 0;
    for (int y = 0; y < image.height() * 6 / 100; ++y)
        for (int x = image.width() / 3; x < image.width() * 2 / 3; ++x) {
            const QRgb p = image.pixel(x, y);
            n += qRed(p) < 90 && qGreen(p) < 90 && qBlue(p) < 90;
        }
    return n;
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
    void exportsCarryNoSelection_data();
    void exportsCarryNoSelection();
    void exportsSayWhatTheyShow();

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

void TestGuiExport::exportsCarryNoSelection_data() {
    QTest::addColumn<QString>("figure");
    for (const char* id : {"allocation", "sensitivity", "speaker_comparison", "outliers"}) QTest::newRow(id) << QString::fromLatin1(id);
}

// On screen the selected layer has its band; the exported file has none, and is the same whichever
// layer is selected. The screen keeps its selection.
void TestGuiExport::exportsCarryNoSelection() {
    QFETCH(QString, figure);
    FigureView* view = window_->figure(figure);
    QVERIFY(view);
    FigureExportOptions o;
    o.width = 900;
    o.height = 500;
    o.dpi = 96;
    window_->selectLayer(3);
    QVERIFY(bandPixels(view->plot()->toPixmap(900, 500).toImage()) > 100);
    QString error;
    const QString three = dir_.filePath(figure + "-layer3.png"), five = dir_.filePath(figure + "-layer5.png");
    QVERIFY2(window_->exportFigure(figure, three, o, &error), qPrintable(error));
    QCOMPARE(bandPixels(QImage(three)), 0);
    QVERIFY(bandPixels(view->plot()->toPixmap(900, 500).toImage()) > 100);
    window_->selectLayer(5);
    QVERIFY2(window_->exportFigure(figure, five, o, &error), qPrintable(error));
    QVERIFY(QImage(three) == QImage(five));
    window_->selectLayer(3);
}

// Every export has a title above the plot, and a caption naming the model and what else the figure
// depends on: speaker, metric and budget, or the layer.
void TestGuiExport::exportsSayWhatTheyShow() {
    QTRY_VERIFY_WITH_TIMEOUT(window_->budget()->ready() && !window_->budget()->allocation().layers.empty(), 60000);
    const QString model = QStringLiteral("fixtures/w2v2_traced.pt");
    const QString layer = QStringLiteral("layer ") + QString::fromStdString(window_->state()->layers()[3].name);
    const QMap<QString, QStringList> expected = {
        {"allocation", {model, "speaker all", "metric median |y|", "budget "}},
        {"sensitivity", {model, "speakers all, spk0, spk1", "metric median |y|", "budget ", "\nbars filled with"}},
        {"speaker_comparison", {model, "speakers spk0 (blue) vs spk1 (orange)", "metric median |y|", "budget "}},
        {"budget_curve", {model, "speaker all", "metric median |y|", "budget "}},
        {"histogram", {model, layer, "speaker all", "budget "}},
        {"outliers", {model, "speaker all", "\nbox p0.1–p99.9"}},
        {"channels", {model, layer, "speaker all"}},
    };
    // The report figures; the personalization tab's two are checked in test_gui_personalization.
    QList<FigureView*> report;
    for (FigureView* view : window_->figures())
        if (expected.contains(view->figureId())) report << view;
    QCOMPARE(report.size(), expected.size());
    for (FigureView* view : report) {
        const QString caption = view->exportCaption();
        for (const QString& part : expected.value(view->figureId())) {
            QVERIFY2(caption.contains(part), qPrintable(view->figureId() + ": '" + part + "' not in '" + caption + "'"));
        }
        if (view->figureId() == QLatin1String("outliers") || view->figureId() == QLatin1String("channels"))
            QVERIFY2(!caption.contains("metric") && !caption.contains("budget"), qPrintable(caption));
        const QString path = dir_.filePath(view->figureId() + "-titled.png");
        FigureExportOptions o;
        o.width = 900;
        o.height = 500;
        o.dpi = 96;
        QString error;
        QVERIFY2(view->exportFigure(path, o, &error), qPrintable(error));
        QVERIFY2(titlePixels(QImage(path)) > 40, qPrintable(view->figureId()));
    }
}

QTEST_MAIN(TestGuiExport)
#include "test_gui_export.moc"
