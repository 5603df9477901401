// Runs a core call on a private thread pool and hands its outcome back on the GUI thread. Core
// throws typed exceptions with one readable sentence; they are caught in the worker and delivered
// as text, so nothing escapes into Qt's event loop.
#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <exception>
#include <optional>
#include <utility>

#include "core/base/errors.h"

namespace qs::gui {

template <typename T>
struct JobOutcome {
    std::optional<T> value;
    QString error;           // one readable sentence when the job failed
    bool cancelled = false;  // the job stopped at a cancel request
};

// Turns the exception in flight into the outcome's error/cancelled fields.
template <typename T>
void captureException(JobOutcome<T>& out) {
    try {
        throw;
    } catch (const qs::Cancelled&) {
        out.cancelled = true;
    } catch (const std::bad_alloc&) {
        out.error = QStringLiteral("out of memory");
    } catch (const std::exception& e) {
        out.error = QString::fromUtf8(e.what());
    } catch (...) {
        out.error = QStringLiteral("unexpected error");
    }
}

// work() runs on pool; done(JobOutcome<T>) runs on context's thread unless context is gone by then.
// work must capture only values and shared pointers: it may outlive context.
template <typename T, typename Work, typename Done>
QFutureWatcher<JobOutcome<T>>* runInBackground(QThreadPool* pool, QObject* context, Work work, Done done) {
    auto* watcher = new QFutureWatcher<JobOutcome<T>>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context, [watcher, done = std::move(done)]() {
        const JobOutcome<T> outcome = watcher->future().result();
        watcher->deleteLater();
        done(outcome);
    });
    watcher->setFuture(QtConcurrent::run(pool, [work = std::move(work)]() {
        JobOutcome<T> out;
        try {
            out.value = work();
        } catch (...) {
            captureException(out);
        }
        return out;
    }));
    return watcher;
}

}  // namespace qs::gui
