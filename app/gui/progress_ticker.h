// One background job's progress as the window sees it. The worker reports into a shared slot through
// core's progress callback (which also carries a cancel request back); a timer on the GUI thread reads
// the slot four times a second and emits the fraction done, what is being done and the time left. The
// estimate restarts with each phase: when the worker begins one (beginPhase) or the fraction falls back.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>
#include <atomic>
#include <memory>
#include <mutex>

#include "core/base/progress.h"

namespace qs::gui {

// What the worker and the GUI thread share. The worker holds it by shared pointer: it may outlive the
// window.
struct ProgressSlot {
    std::atomic<bool> stop{false};  // set by cancel(); core's loops read it through report()

    // Worker side: stores p; false once cancel was asked, so core stops at its next check.
    bool report(const Progress& p);
    // Worker side: a new phase starts at fraction 0 with its own estimate of the time left.
    void beginPhase(const QString& detail);
    // A callback for core calls that reports into this slot.
    static ProgressFn callback(const std::shared_ptr<ProgressSlot>& slot);

    struct Reading {
        double fraction = 0.0;
        QString detail;
        int phase = 0;
    };
    Reading read() const;

private:
    mutable std::mutex mutex_;
    Reading latest_;
};

class ProgressTicker : public QObject {
    Q_OBJECT
public:
    explicit ProgressTicker(QObject* parent = nullptr);

    // A fresh slot for a job that starts now; the ticks begin.
    std::shared_ptr<ProgressSlot> start();
    // The job is over: the ticks end.
    void finish();
    // Asks the running job, if any, to stop.
    void cancel();

signals:
    void progress(double fraction, const QString& detail, double secondsLeft);

private:
    void poll();

    std::shared_ptr<ProgressSlot> slot_;
    QElapsedTimer clock_;  // since the current phase began
    QTimer ticker_;
    int phase_ = 0;
    double lastFraction_ = 0.0;
};

}  // namespace qs::gui
