// quantscope: the desktop studio.
//   quantscope [--model M.pt] [--audio DIR ...] [--analyze] [--session FILE]
//              [--distances] [--screenshot FILE] [--export-figures DIR] [--size WxH] [--select-layer N]
//              [--show FIGURE] [--export-model DIR] [--export-dialog]
//              [--analysis analysis.json [--allocation allocation.json]]
//              [--figure-format png|pdf] [--figure-size WxH] [--figure-dpi N] [--max-memory SIZE]
//              [--test-fraction F | --split FILE] [--speaker-groups FILE] [--compare BITS[,BITS...]]
//              [--personalization personalization.json] [--scoring all|statistics] [--scoring-results scoring.json]
// --analysis shows saved results without model or audio; with --export-figures it is the headless
// figure renderer behind `quantscope-cli figures`. --help and --version need no display; without a
// display (and no QT_QPA_PLATFORM) the studio says so in one line instead of Qt's platform abort.
#include <csignal>

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
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>

#include "app/gui/fleet_figure.h"
#include "app/gui/main_window.h"
#include "app/gui/studio_state.h"
#include "core/allocation/allocation_io.h"
#include "core/base/json_io.h"
#include "core/personalization/personalization_io.h"
#include "core/stats/analysis.h"
#include "core/base/errors.h"
#include "core/base/version.h"
#include "widgets/personalization_view.h"
#include "core/base/system_memory.h"
#include "widgets/scoring_view.h"

namespace {

const char* kHeadless = "run it headless with quantscope-cli, or with QT_QPA_PLATFORM=offscreen";

bool hasArgument(int argc, char** argv, std::initializer_list<const char*> names) {
    for (int i = 1; i < argc; ++i)
        for (const char* n : names)
            if (std::strcmp(argv[i], n) == 0) return true;
    return false;
}

bool envSet(const char* name) {
    const char* v = std::getenv(name);
    return v && *v;
}

// Why no window can open, before Qt tries: no platform asked for and no display to show it on.
std::string displayProblem(int argc, char** argv) {
    if (envSet("QT_QPA_PLATFORM") || hasArgument(argc, argv, {"-platform", "--platform"})) return {};
    if (envSet("DISPLAY") || envSet("WAYLAND_DISPLAY")) return {};
    return std::string("quantscope: no display to open the studio on (DISPLAY and WAYLAND_DISPLAY are unset); ") +
           kHeadless;
}

// While QApplication starts: Qt's messages are held back, and a fatal one (a display that is set but
// cannot be reached) becomes one line and exit code 1 instead of Qt's platform-plugin abort.
QStringList heldMessages;
QtMessageHandler previousHandler = nullptr;

void startupHandler(QtMsgType type, const QMessageLogContext& context, const QString& message) {
    if (type != QtFatalMsg) {
        heldMessages << qFormatLogMessage(type, context, message);  // printed once the window can open
        return;
    }
    // Qt's own reason ("qt.qpa.xcb: could not connect to display :1"), else its fatal message's first line.
    QString reason = message.section(QLatin1Char('\n'), 0, 0);
    for (const QString& m : heldMessages)
        if (m.contains(QLatin1String("display"), Qt::CaseInsensitive)) reason = m;
    std::fprintf(stderr, "quantscope: cannot open a window (%s); %s\n", qPrintable(reason.trimmed()), kHeadless);
    std::fflush(stderr);
    std::_Exit(1);
}

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
                for (qs::gui::FigureView* f : window->figures()) {  // the ones written (not an empty comparison)
                    const QString file = QDir(figuresDir).absoluteFilePath(f->figureId() + "." + ext);
                    if (QFileInfo::exists(file)) std::printf("%s\n", qPrintable(file));
                }
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
        window->cancelPersonalization();
        QApplication::exit(ok ? 0 : 1);
    });
    timer->start();
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGXFSZ, SIG_IGN);  // past a file-size limit writes fail (EFBIG) and say so
    QApplication::setApplicationName(QStringLiteral("quantscope"));
    QApplication::setOrganizationName(QStringLiteral("quantscope"));
    QApplication::setApplicationVersion(QString::fromStdString(qs::versionText()));

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
    const QCommandLineOption fleet(QStringLiteral("fleet"),
                                   QStringLiteral("With --export-figures: draw the fleet figure of a fleet folder "
                                                  "(quantscope-cli personalize's output) and exit."),
                                   QStringLiteral("folder"));
    parser.addOption(fleet);
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
    const QCommandLineOption testFraction(QStringLiteral("test-fraction"),
                                          QStringLiteral("Hold out this share of each speaker's files for test."), QStringLiteral("F"));
    const QCommandLineOption splitList(QStringLiteral("split"), QStringLiteral("Tune/test split list (path,part)."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption speakerGroups(QStringLiteral("speaker-groups"),
                                           QStringLiteral("Speaker metadata (SPEAKERS.TXT, Common Voice .tsv, speakers.csv)."),
                                           QStringLiteral("FILE"));
    const QCommandLineOption compare(QStringLiteral("compare"),
                                     QStringLiteral("Once the model and audio are in, run the personalization matrix at "
                                                    "these budgets (bits per weight)."),
                                     QStringLiteral("BITS"));
    const QCommandLineOption scoring(QStringLiteral("scoring"),
                                     QStringLiteral("Once an analysis is in, compare the scoring rules (all, or the statistics "
                                                    "only) at the budget panel's budget."),
                                     QStringLiteral("RULES"));
    const QCommandLineOption savedPersonalization(QStringLiteral("personalization"),
                                                  QStringLiteral("Show a saved personalization.json."), QStringLiteral("FILE"));
    const QCommandLineOption savedScoring(QStringLiteral("scoring-results"), QStringLiteral("Show a saved scoring.json."),
                                          QStringLiteral("FILE"));
    parser.addOption(scoring);
    parser.addOption(savedScoring);
    parser.addOptions({model, audio, analyze, session, screenshot, size, layer, figures, show, distances, delay, exportModel,
                       exportDialog, savedAnalysis, savedAllocation, figureFormat, figureSize, figureDpi, testFraction,
                       splitList, speakerGroups, compare, savedPersonalization, maxMemory});

    // --help and --version print and exit without a display (help2man runs them at build time).
    if (hasArgument(argc, argv, {"--help", "-h", "-?", "--help-all", "--version", "-v"})) {
        QCoreApplication core(argc, argv);
        parser.process(core);
        return 0;
    }
    if (const std::string problem = displayProblem(argc, argv); !problem.empty()) {
        std::fprintf(stderr, "%s\n", problem.c_str());
        return 1;
    }
    previousHandler = qInstallMessageHandler(startupHandler);
    QApplication app(argc, argv);
    qInstallMessageHandler(previousHandler);
    for (const QString& m : heldMessages) std::fprintf(stderr, "%s\n", qPrintable(m));
    heldMessages.clear();
    applyLook(app);
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
    if (parser.isSet(fleet)) {
        if (!parser.isSet(figures)) {
            std::fprintf(stderr, "quantscope: --fleet needs --export-figures DIR\n");
            return 2;
        }
        return qs::gui::exportFleetFigure(parser.value(fleet), QFileInfo(parser.value(figures)).absoluteFilePath(),
                                          figureOptions);
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
    if (parser.isSet(testFraction)) window.setSplit(qs::SplitSpec::fraction(parser.value(testFraction).toDouble()));
    if (parser.isSet(splitList)) window.setSplit(qs::SplitSpec::list(parser.value(splitList).toStdString()));
    if (parser.isSet(speakerGroups)) {
        QString error;
        if (!window.loadSpeakerGroups(parser.value(speakerGroups), &error)) {
            std::fprintf(stderr, "quantscope: %s\n", qPrintable(error));
            if (batch) return 1;
        }
    }
    if (parser.isSet(savedPersonalization)) {
        try {
            const QString path = parser.value(savedPersonalization);
            window.showPersonalization(std::make_shared<const qs::PersonalizationResult>(
                qs::personalizationFromJson(qs::readJson(path.toStdString()))));
        } catch (const qs::Error& e) {
            std::fprintf(stderr, "quantscope: %s: %s\n", qPrintable(parser.value(savedPersonalization)), e.what());
            if (batch) return 1;
        }
    }
    if (parser.isSet(savedScoring)) {
        QString error;
        if (!window.openComparisonFile(parser.value(savedScoring), &error)) {
            std::fprintf(stderr, "quantscope: %s\n", qPrintable(error));
            if (batch) return 1;
        }
    }
    if (parser.isSet(compare)) {
        window.personalizationView()->setBudgetBits(parser.value(compare));
        // Once, when the model and the audio are in.
        auto once = std::make_shared<QMetaObject::Connection>();
        *once = QObject::connect(&window, &qs::gui::MainWindow::idle, &window, [&window, once] {
            if (!window.state()->model() || window.state()->audioFolders().empty()) return;
            QObject::disconnect(*once);
            QString error;
            if (!window.startPersonalization(&error) && !error.isEmpty()) std::fprintf(stderr, "quantscope: %s\n", qPrintable(error));
        });
    }
    if (parser.isSet(scoring)) {
        window.scoringView()->setDistanceRules(parser.value(scoring) != QLatin1String("statistics"));
        // Once, when an analysis is in (the rules are compared at its budget).
        auto once = std::make_shared<QMetaObject::Connection>();
        *once = QObject::connect(&window, &qs::gui::MainWindow::idle, &window, [&window, once] {
            if (!window.state()->analysis()) return;
            QObject::disconnect(*once);
            QString error;
            if (!window.startScoring(&error) && !error.isEmpty()) std::fprintf(stderr, "quantscope: %s\n", qPrintable(error));
        });
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
