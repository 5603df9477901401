// Cancel latency in the studio (issue 12): the time from Esc (the window's "cancel" action) to the
// job's cancelled() signal on the GUI thread, for an analysis (with distance passes unless
// --distances 0) and a model export (calibration, writing and the evaluation after it).
//
//   QT_QPA_PLATFORM=offscreen bench_gui_cancel --model M.pt --audio DIR [--runs N] [--seed S] [--distances 0|1]
//
// Each job runs once to completion (its duration D), then --runs times (default 10) with Esc at a
// uniformly random moment in [0.05 D, 0.95 D]. Prints p50, p99 and the largest latency per job, and
// checks that no cancelled export left its folder (or a temporary one) behind. An export cancelled
// during its evaluation keeps the finished folder by design: those runs are listed apart.
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "app/gui/analysis_controller.h"
#include "app/gui/export_controller.h"
#include "app/gui/main_window.h"

namespace {

void waitIdle(QApplication& app, qs::gui::MainWindow& w) {
    QElapsedTimer t;
    t.start();
    while (w.isBusy() && t.elapsed() < 1200000) app.processEvents(QEventLoop::WaitForMoreEvents, 5);
    app.processEvents();
}

void waitMs(QApplication& app, qint64 ms) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) app.processEvents(QEventLoop::WaitForMoreEvents, 1);
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QString model, audio;
    int runs = 10;
    unsigned seed = 12;
    bool distances = true;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--model")) model = QString::fromLocal8Bit(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--audio")) audio = QString::fromLocal8Bit(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--seed")) seed = unsigned(std::atoi(argv[i + 1]));
        else if (!std::strcmp(argv[i], "--distances")) distances = std::atoi(argv[i + 1]) != 0;
    }
    if (model.isEmpty() || audio.isEmpty()) {
        std::fprintf(stderr, "usage: bench_gui_cancel --model M.pt --audio DIR [--runs N] [--seed S] [--distances 0|1]\n");
        return 2;
    }
    QTemporaryDir tmp;
    qs::gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    w.openModel(model);
    w.addAudioFolder(audio);
    waitIdle(app, w);
    w.setDistancePasses(distances);
    QAction* esc = w.findChild<QAction*>(QStringLiteral("cancel"));

    // A full analysis first: its duration, and the allocation the exports need.
    QElapsedTimer clock;
    clock.start();
    if (!w.startAnalysis()) {
        std::fprintf(stderr, "bench_gui_cancel: %s\n", qPrintable(w.lastError()));
        return 1;
    }
    waitIdle(app, w);
    const double analysisSeconds = clock.elapsed() / 1000.0;
    const QString out = tmp.filePath(QStringLiteral("export"));
    clock.restart();
    if (!w.exportModelTo({out, 8, 4}, nullptr)) {
        std::fprintf(stderr, "bench_gui_cancel: %s\n", qPrintable(w.lastError()));
        return 1;
    }
    waitIdle(app, w);
    const double exportSeconds = clock.elapsed() / 1000.0;
    QDir(out).removeRecursively();

    std::mt19937 rng(seed);
    struct Row {
        const char* name;
        double full;
        std::vector<double> latencies;
        int leftovers = 0, duringEvaluation = 0;
    };
    std::vector<Row> rows{{distances ? "studio analysis (with distances)" : "studio analysis", analysisSeconds, {}}, {"studio export (+ evaluation)", exportSeconds, {}}};
    for (Row& row : rows) {
        const bool exporting = &row == &rows[1];
        std::uniform_real_distribution<double> when(0.05 * row.full, 0.95 * row.full);
        for (int r = 0; r < runs; ++r) {
            bool cancelled = false, finished = false;
            QObject context;  // the connections end with the run
            if (exporting) {
                QObject::connect(w.exporter(), &qs::gui::ExportController::cancelled, &context, [&] { cancelled = true; });
                QObject::connect(w.exporter(), &qs::gui::ExportController::finished, &context, [&] { finished = true; });
                if (!w.exportModelTo({out, 8, 4}, nullptr)) return 1;
            } else {
                QObject::connect(w.analysis(), &qs::gui::AnalysisController::cancelled, &context, [&] { cancelled = true; });
                QObject::connect(w.analysis(), &qs::gui::AnalysisController::finished, &context, [&] { finished = true; });
                if (!w.startAnalysis()) return 1;
            }
            waitMs(app, qint64(1000 * when(rng)));
            QElapsedTimer latency;
            latency.start();
            esc->trigger();
            while (!cancelled && !finished && latency.elapsed() < 600000)
                app.processEvents(QEventLoop::WaitForMoreEvents, 1);
            const double ms = double(latency.nsecsElapsed()) / 1e6;
            waitIdle(app, w);
            if (cancelled) row.latencies.push_back(ms / 1000);
            else if (exporting && finished) {
                // Esc during the evaluation: the export stands, without its measures.
                ++row.duringEvaluation;
                row.latencies.push_back(ms / 1000);
            }
            if (exporting && cancelled && QDir(out).exists()) ++row.leftovers;
            for (const QString& e : QDir(tmp.path()).entryList({"*.tmp.*"}, QDir::Dirs | QDir::Files)) {
                ++row.leftovers;
                QDir(tmp.filePath(e)).removeRecursively();
            }
            QDir(out).removeRecursively();
        }
        std::printf("| %s | %.1f | %zu | %.0f | %.0f | %.0f |%s%s\n", row.name, row.full, row.latencies.size(),
                    1000 * percentile(row.latencies, 0.5), 1000 * percentile(row.latencies, 0.99),
                    1000 * (row.latencies.empty() ? 0 : *std::max_element(row.latencies.begin(), row.latencies.end())),
                    row.duringEvaluation ? qPrintable(QString(" %1 during the evaluation (export kept)").arg(row.duringEvaluation)) : "",
                    row.leftovers ? qPrintable(QString(" LEFTOVERS: %1").arg(row.leftovers)) : "");
        std::fflush(stdout);
    }
    return 0;
}
