// How long the studio's GUI thread goes without turning its event loop while an analysis and then a
// model export run (issue 6: no stall over 50 ms). A 5 ms timer on the GUI thread records the gap
// between its ticks; the longest gaps are the worst stalls a user would feel.
//
//   QT_QPA_PLATFORM=offscreen bench_gui_stall --model M.pt --audio DIR [--out DIR] [--slow MS] [--tick MS]
//
// Prints, per phase, the number of ticks, the longest gap, the 99th percentile gap and how many gaps
// exceeded 50 ms. The export goes to --out (default: a temporary folder, removed afterwards). With
// --slow, every event the GUI thread took longer than MS milliseconds to handle is listed (receiver
// class and name, event type): where a stall comes from, as opposed to the CPU being busy elsewhere.
// --tick sets the probe timer's interval (5 ms); a long tick measures the jobs' own duration with
// the GUI thread nearly idle.
#include <QApplication>
#include <QElapsedTimer>
#include <QEvent>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "app/gui/main_window.h"

namespace {

// Times the outermost event deliveries on the GUI thread.
class TimingApplication : public QApplication {
public:
    using QApplication::QApplication;
    int slowMs = 0;

    bool notify(QObject* receiver, QEvent* event) override {
        if (slowMs <= 0 || depth_ > 0) return QApplication::notify(receiver, event);
        ++depth_;
        QElapsedTimer t;
        t.start();
        const int type = int(event->type());  // the event may be gone after delivery
        const QByteArray what = QByteArray(receiver->metaObject()->className()) + " " + receiver->objectName().toUtf8();
        const bool handled = QApplication::notify(receiver, event);
        --depth_;
        if (t.elapsed() >= slowMs)
            std::printf("  slow event: %3lld ms  type %d  %s\n", static_cast<long long>(t.elapsed()), type, what.constData());
        return handled;
    }

private:
    int depth_ = 0;
};

struct Gaps {
    std::vector<qint64> gaps;
    QElapsedTimer clock;
    qint64 last = 0;
};

// Turns the event loop until busy() is false (after it has been true once) or ms pass, recording gaps.
void record(QApplication& app, qs::gui::MainWindow& w, const char* phase, int ms, int tickMs) {
    Gaps g;
    g.clock.start();
    QTimer timer;
    timer.setInterval(tickMs);
    QObject::connect(&timer, &QTimer::timeout, [&] {
        const qint64 now = g.clock.elapsed();
        g.gaps.push_back(now - g.last);
        g.last = now;
    });
    timer.start();
    while (g.clock.elapsed() < ms) {
        app.processEvents(QEventLoop::WaitForMoreEvents, tickMs);
        if (!w.isBusy() && g.clock.elapsed() > 200) break;
    }
    timer.stop();
    const double seconds = double(g.clock.elapsed()) / 1000.0;
    std::vector<qint64> sorted = g.gaps;
    std::sort(sorted.begin(), sorted.end());
    const qint64 worst = sorted.empty() ? 0 : sorted.back();
    const qint64 p99 = sorted.empty() ? 0 : sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
    const long over = long(std::count_if(sorted.begin(), sorted.end(), [](qint64 v) { return v > 50; }));
    std::printf("%-9s %6.1f s  %6zu ticks  longest gap %4lld ms  p99 %3lld ms  gaps > 50 ms: %ld\n", phase, seconds,
                g.gaps.size(), static_cast<long long>(worst), static_cast<long long>(p99), over);
}

void settle(QApplication& app, qs::gui::MainWindow& w) {
    QElapsedTimer t;
    t.start();
    while (w.isBusy() && t.elapsed() < 600000) app.processEvents(QEventLoop::WaitForMoreEvents, 20);
}

}  // namespace

int main(int argc, char** argv) {
    TimingApplication app(argc, argv);
    QString model, audio, out;
    int tickMs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--model")) model = QString::fromLocal8Bit(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--audio")) audio = QString::fromLocal8Bit(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--out")) out = QString::fromLocal8Bit(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--slow")) app.slowMs = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--tick")) tickMs = std::max(1, std::atoi(argv[i + 1]));
    }
    if (model.isEmpty() || audio.isEmpty()) {
        std::fprintf(stderr, "usage: bench_gui_stall --model M.pt --audio DIR [--out DIR] [--slow MS] [--tick MS]\n");
        return 2;
    }
    QTemporaryDir tmp;
    if (out.isEmpty()) out = tmp.filePath(QStringLiteral("export"));

    qs::gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1600, 1000);
    w.show();
    w.openModel(model);
    w.addAudioFolder(audio);
    settle(app, w);
    if (!w.startAnalysis()) {
        std::fprintf(stderr, "bench_gui_stall: the analysis did not start: %s\n", qPrintable(w.lastError()));
        return 1;
    }
    record(app, w, "analysis", 600000, tickMs);
    settle(app, w);
    QString error;
    if (!w.exportModelTo({out, 8, 8}, &error)) {
        std::fprintf(stderr, "bench_gui_stall: the export did not start: %s\n", qPrintable(error));
        return 1;
    }
    record(app, w, "export", 600000, tickMs);
    settle(app, w);
    if (!w.lastError().isEmpty()) std::fprintf(stderr, "bench_gui_stall: %s\n", qPrintable(w.lastError()));
    return 0;
}
