// quantscope: the desktop studio.
//   quantscope [--model M.pt] [--audio DIR ...] [--analyze] [--session FILE]
//              [--distances] [--screenshot FILE] [--export-figures DIR] [--size WxH] [--select-layer N]
//              [--show FIGURE] [--export-model DIR] [--export-dialog]
//              [--analysis analysis.json [--allocation allocation.json]]
//              [--figure-format png|pdf] [--figure-size WxH] [--figure-dpi N] [--max-memory SIZE]
// --analysis shows saved results without model or audio; with --export-figures it is the headless
// figure renderer behind `quantscope-cli figures`.
#include <QAction>
#include <QApplication>
#include <QCommandLineParser>
#include <QDialog>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QPainter>
#include <QPalette>
#include <QStyleFactory>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>

#include "app/gui/main_window.h"
#include "app/gui/studio_state.h"
#include "core/allocation/allocation_io.h"
#include "core/stats/analysis.h"
#include "core/base/errors.h"
#include "core/base/system_memory.h"

namespace {

void applyLook(QApplication& app) {
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette p = app.palette();
    p.setColor(QPalette::Window, QColor("#f3f4f6"));
    p.setColor(QPalette::Base, Qt::white);
    p.setColor(QPalette::AlternateBase, QColor("#f6f8fa"));
    p.setColor(QPalette::Highlight, QColor("#2f6fb0"));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Button, QColor("#f7f7f8"));
    app.setPalette(p);
    QFont font(QStringLiteral("DejaVu Sans"), 9);
    app.setFont(font);
    app.setStyleSheet(QStringLiteral(
        "QDockWidget::title { padding: 4px 6px; background: #e4e7eb; font-weight: 600; }"
        "QTabBar::tab { padding: 5px 12px; }"
        "QToolBar { spacing: 4px; padding: 2px; }"
        "#budgetPanel { background: #ffffff; border-bottom: 1px solid #d8dbe0; }"));
}

// The window with the dialogs open over it, where they are.
QPixmap grabWithDialogs(qs::gui::MainWindow* window) {
    QPixmap shot = window->grab();
    QPainter p(&shot);
    for (QWidget* w : QApplication::topLevelWidgets()) {
        auto* dialog = qobject_cast<QDialog*>(w);
        if (!dialog || !dialog->isVisible()) continue;
        const QPoint at = dialog->geometry().topLeft() - window->geometry().topLeft();
        const QPixmap d = dialog->grab();
        const QPoint clamped(std::clamp(at.x(), 0, std::max(0, shot.width() - d.width())),
                             std::clamp(at.y(), 0, std::max(0, shot.height() - d.height())));
        p.setPen(QColor("#8a8f98"));
        p.drawRect(QRect(clamped - QPoint(1, 1), d.size() + QSize(1, 1)));
        p.drawPixmap(clamped, d);
    }
    return shot;
}

// Once everything has loaded and the current budget can be exported: run what is asked.
void whenExportable(qs::gui::MainWindow* window, std::function<void()> run) {
    auto once = std::make_shared<QMetaObject::Connection>();
    *once = QObject::connect(window, &qs::gui::MainWindow::idle, window, [window, run, once] {
        auto* action = window->findChild<QAction*>(QStringLiteral("exportModel"));
        if (!action || !action->isEnabled()) return;
        QObject::disconnect(*once);
        QTimer::singleShot(0, window, run);
    });
}

// Waits until every background job is done and the figures have settled, then writes a picture
// of the window and quits. Used for the README screenshot and for looking at the GUI headless.
void scheduleScreenshot(qs::gui::MainWindow* window, const QString& path, const QString& figuresDir,
                        const qs::gui::FigureExportOptions& figureOptions, int delayMs) {
    auto* timer = new QTimer(window);
    auto* clock = new QElapsedTimer;
    auto* quietSince = new QElapsedTimer;
    clock->start();
    timer->setInterval(200);
    QObject::connect(timer, &QTimer::timeout, window, [=] {
        if (window->isBusy()) {
            quietSince->invalidate();
        } else if (!quietSince->isValid()) {
            quietSince->start();
        }
        const bool settled = delayMs > 0 ? clock->elapsed() >= delayMs : quietSince->isValid() && quietSince->elapsed() > 1500;
        if (!settled && clock->elapsed() < 15 * 60 * 1000) return;
        timer->stop();
        bool ok = true;
        if (!figuresDir.isEmpty()) {
            QString error;
            ok = window->exportAllFigures(figuresDir, figureOptions, &error);
            if (!ok) std::fprintf(stderr, "quantscope: %s\n", qPrintable(error));
            const QString ext = figureOptions.format == qs::gui::FigureExportOptions::Format::Pdf ? "pdf" : "png";
            if (ok)
                for (qs::gui::FigureView* f : window->figures())
                    std::printf("%s\n", qPrintable(QDir(figuresDir).absoluteFilePath(f->figureId() + "." + ext)));
        }
        if (!path.isEmpty()) {
            ok = grabWithDialogs(window).save(path) && ok;
            std::fprintf(stderr, ok ? "quantscope: wrote %s\n" : "quantscope: could not write %s\n", qPrintable(path));
        }
        if (!window->lastError().isEmpty()) std::fprintf(stderr, "quantscope: %s\n", qPrintable(window->lastError()));
        delete clock;
        delete quietSince;
        window->cancelAnalysis();
        window->cancelExport();
        QApplication::exit(ok ? 0 : 1);
    });
    timer->start();
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("quantscope"));
    QApplication::setOrganizationName(QStringLiteral("quantscope"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    applyLook(app);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Personalized label-free mixed-precision quantization studio"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("TorchScript model to open."), QStringLiteral("M.pt"));
    const QCommandLineOption audio(QStringLiteral("audio"), QStringLiteral("Audio folder to add (repeatable)."), QStringLiteral("DIR"));
    const QCommandLineOption analyze(QStringLiteral("analyze"), QStringLiteral("Start the analysis once the model and audio are in."));
    const QCommandLineOption session(QStringLiteral("session"), QStringLiteral("Session file to open."), QStringLiteral("FILE"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Write a PNG of the window once everything has loaded, then quit."),
                                        QStringLiteral("FILE"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1600x1000."), QStringLiteral("WxH"));
    const QCommandLineOption layer(QStringLiteral("select-layer"), QStringLiteral("Layer to select once it exists (index)."),
                                   QStringLiteral("N"));
    const QCommandLineOption figures(QStringLiteral("export-figures"),
                                     QStringLiteral("Export every figure as PNG into DIR once everything has loaded, then quit."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption show(QStringLiteral("show"),
                                  QStringLiteral("Figure to bring to the front: allocation, sensitivity, speaker_comparison, "
                                                 "outliers or channels."),
                                  QStringLiteral("FIGURE"));
    const QCommandLineOption distances(QStringLiteral("distances"),
                                       QStringLiteral("Analyses also run the distance passes (KL, L1, L2, cosine, SQNR)."));
    const QCommandLineOption delay(QStringLiteral("screenshot-delay"),
                                   QStringLiteral("Take the screenshot after MS milliseconds instead of when idle."),
                                   QStringLiteral("MS"));
    const QCommandLineOption exportModel(QStringLiteral("export-model"),
                                         QStringLiteral("Once the analysis is in, export the quantized model at the current "
                                                        "budget into DIR (8-bit activations, 8 calibration clips per speaker)."),
                                         QStringLiteral("DIR"));
    const QCommandLineOption exportDialog(QStringLiteral("export-dialog"),
                                          QStringLiteral("Once the analysis is in, open the quantized-model export dialog."));
    const QCommandLineOption savedAnalysis(QStringLiteral("analysis"),
                                           QStringLiteral("Show a saved analysis.json (no model or audio needed)."),
                                           QStringLiteral("FILE"));
    const QCommandLineOption savedAllocation(QStringLiteral("allocation"),
                                             QStringLiteral("With --analysis: the budget, metric, order, floor, speaker "
                                                            "and excluded layers of this allocation.json."),
                                             QStringLiteral("FILE"));
    const QCommandLineOption figureFormat(QStringLiteral("figure-format"),
                                          QStringLiteral("Format of --export-figures: png (default) or pdf."),
                                          QStringLiteral("png|pdf"), QStringLiteral("png"));
    const QCommandLineOption figureSize(QStringLiteral("figure-size"),
                                        QStringLiteral("Size of exported figures (default 1200x600)."), QStringLiteral("WxH"));
    const QCommandLineOption figureDpi(QStringLiteral("figure-dpi"),
                                       QStringLiteral("Resolution of exported PNG figures (default 150)."), QStringLiteral("N"));
    const QCommandLineOption maxMemory(QStringLiteral("max-memory"),
                                       QStringLiteral("Memory limit of analyses and exports, e.g. 4G (default: half of the "
                                                      "memory available, or Analysis > Memory limit)."),
                                       QStringLiteral("SIZE"));
    parser.addOptions({model, audio, analyze, session, screenshot, size, layer, figures, show, distances, delay, exportModel,
                       exportDialog, savedAnalysis, savedAllocation, figureFormat, figureSize, figureDpi, maxMemory});
    parser.process(app);

    // Figure options are checked before anything else, so a typo fails at once.
    qs::gui::FigureExportOptions figureOptions;
    {
        const QString format = parser.value(figureFormat).toLower();
        if (format != QLatin1String("png") && format != QLatin1String("pdf")) {
            std::fprintf(stderr, "quantscope: --figure-format must be png or pdf, not '%s'\n", qPrintable(format));
            return 2;
        }
        figureOptions.format = format == QLatin1String("pdf") ? qs::gui::FigureExportOptions::Format::Pdf
                                                              : qs::gui::FigureExportOptions::Format::Png;
        if (parser.isSet(figureSize)) {
            const QStringList wh = parser.value(figureSize).split(QLatin1Char('x'));
            bool okW = false, okH = false;
            if (wh.size() == 2) figureOptions.width = wh[0].toInt(&okW), figureOptions.height = wh[1].toInt(&okH);
            if (!okW || !okH) {
                std::fprintf(stderr, "quantscope: --figure-size must be WIDTHxHEIGHT, e.g. 1200x600\n");
                return 2;
            }
        }
        if (parser.isSet(figureDpi)) {
            bool ok = false;
            figureOptions.dpi = parser.value(figureDpi).toInt(&ok);
            if (!ok) {
                std::fprintf(stderr, "quantscope: --figure-dpi must be a whole number\n");
                return 2;
            }
        }
    }

    std::int64_t memoryLimit = 0;
    if (parser.isSet(maxMemory)) {
        try {
            memoryLimit = qs::parseMemorySize(parser.value(maxMemory).toStdString(), "--max-memory");
        } catch (const qs::Error& e) {
            std::fprintf(stderr, "quantscope: %s\n", e.what());
            return 2;
        }
    }

    qs::gui::MainWindow window;
    if (memoryLimit > 0) window.setMaxMemory(memoryLimit);
    if (parser.isSet(size)) {
        const QStringList wh = parser.value(size).split(QLatin1Char('x'));
        if (wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
    }
    const bool batch = parser.isSet(screenshot) || parser.isSet(figures);
    if (batch) window.setInteractive(false);
    window.show();

    if (parser.isSet(session)) {
        QString error;
        if (!window.openSessionFrom(parser.value(session), &error)) {
            std::fprintf(stderr, "quantscope: %s\n", qPrintable(error));
            if (batch) return 1;
        }
    }
    if (parser.isSet(savedAnalysis)) {
        QString error;
        try {
            auto analysis = std::make_shared<const qs::Analysis>(qs::loadAnalysis(parser.value(savedAnalysis).toStdString()));
            std::unique_ptr<qs::Allocation> allocation;
            if (parser.isSet(savedAllocation))
                allocation = std::make_unique<qs::Allocation>(qs::loadAllocation(parser.value(savedAllocation).toStdString()));
            window.showSavedResults(analysis, allocation.get(), &error);
        } catch (const qs::Error& e) {
            error = QString::fromUtf8(e.what());
        }
        if (!error.isEmpty()) {
            std::fprintf(stderr, "quantscope: %s\n", qPrintable(error));
            if (batch) return 1;
        }
    }
    if (parser.isSet(model)) window.openModel(parser.value(model));
    for (const QString& dir : parser.values(audio)) window.addAudioFolder(dir);
    if (parser.isSet(distances)) window.setDistancePasses(true);
    if (parser.isSet(analyze)) window.setAnalyzeWhenReady(true);
    for (const QString& f : parser.values(show)) window.showFigure(f);
    if (parser.isSet(layer)) {
        const int index = parser.value(layer).toInt();
        // Once, when everything has loaded (the layers exist by then).
        auto once = std::make_shared<QMetaObject::Connection>();
        *once = QObject::connect(&window, &qs::gui::MainWindow::idle, &window, [&window, index, once] {
            if (window.state()->layers().empty()) return;
            window.selectLayer(index);
            QObject::disconnect(*once);
        });
    }
    if (parser.isSet(exportModel)) {
        const QString dir = QFileInfo(parser.value(exportModel)).absoluteFilePath();
        whenExportable(&window, [&window, dir] {
            qs::gui::ModelExportSettings settings;
            settings.folder = dir;
            QString error;
            if (!window.exportModelTo(settings, &error)) std::fprintf(stderr, "quantscope: %s\n", qPrintable(error));
        });
    }
    if (parser.isSet(exportDialog)) whenExportable(&window, [&window] { window.exportModelInteractive(); });
    if (batch)
        scheduleScreenshot(&window, parser.isSet(screenshot) ? QFileInfo(parser.value(screenshot)).absoluteFilePath() : QString(),
                           parser.value(figures), figureOptions, parser.value(delay).toInt());
    return app.exec();
}
