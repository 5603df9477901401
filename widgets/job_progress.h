// The status bar's job indicator: what is running, a progress bar, the estimated time left and a
// Cancel button. Hidden while nothing runs.
#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QToolButton;

namespace qs::gui {

class JobProgress : public QWidget {
    Q_OBJECT
public:
    explicit JobProgress(QWidget* parent = nullptr);

    void start(const QString& what);
    // fraction in [0, 1]; secondsLeft < 0 while unknown.
    void setProgress(double fraction, const QString& detail, double secondsLeft);
    void finish();

signals:
    void cancelRequested();

private:
    QString title_;
    QLabel* what_ = nullptr;
    QProgressBar* bar_ = nullptr;
    QLabel* eta_ = nullptr;
    QToolButton* cancel_ = nullptr;
};

}  // namespace qs::gui
