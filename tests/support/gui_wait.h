// Waits, processing events, until the studio has no analysis or export running.
#pragma once

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTest>

#include "app/gui/main_window.h"

namespace qs::test {

// True once the window is idle, false after ms milliseconds.
inline bool waitIdle(qs::gui::MainWindow* w, int ms = 120000) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (!w->isBusy()) return true;
        QTest::qWait(10);
    }
    return false;
}

}  // namespace qs::test
