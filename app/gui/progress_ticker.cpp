// The progress slot shared with a worker, and the timer that turns it into progress with time left.
#include "app/gui/progress_ticker.h"

namespace qs::gui {

bool ProgressSlot::report(const Progress& p) {
    if (stop.load()) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    latest_.fraction = p.fraction();
    latest_.detail = QString::fromStdString(p.message);
    return true;
}

void ProgressSlot::beginPhase(const QString& detail) {
    std::lock_guard<std::mutex> lock(mutex_);
    latest_.fraction = 0.0;
    latest_.detail = detail;
    ++latest_.phase;
}

ProgressFn ProgressSlot::callback(const std::shared_ptr<ProgressSlot>& slot) {
    return [slot](const Progress& p) { return slot->report(p); };
}

ProgressSlot::Reading ProgressSlot::read() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return latest_;
}

ProgressTicker::ProgressTicker(QObject* parent) : QObject(parent) {
    ticker_.setInterval(250);
    connect(&ticker_, &QTimer::timeout, this, &ProgressTicker::poll);
}

std::shared_ptr<ProgressSlot> ProgressTicker::start() {
    slot_ = std::make_shared<ProgressSlot>();
    phase_ = 0;
    lastFraction_ = 0.0;
    clock_.start();
    ticker_.start();
    return slot_;
}

void ProgressTicker::finish() { ticker_.stop(); }

void ProgressTicker::cancel() {
    if (slot_ && ticker_.isActive()) slot_->stop.store(true);
}

void ProgressTicker::poll() {
    if (!slot_) return;
    const ProgressSlot::Reading r = slot_->read();
    if (r.phase != phase_ || r.fraction < lastFraction_ - 0.01) {  // a new phase: its own estimate
        phase_ = r.phase;
        clock_.restart();
    }
    lastFraction_ = r.fraction;
    const double elapsed = clock_.elapsed() / 1000.0;
    const double left = r.fraction > 0.02 ? elapsed * (1.0 - r.fraction) / r.fraction : -1.0;
    emit progress(r.fraction, r.detail, left);
}

}  // namespace qs::gui
