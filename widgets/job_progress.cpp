// The status bar's job indicator: label, progress bar, time left and Cancel.
#include "widgets/job_progress.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>
#include <algorithm>
#include <cmath>

#include "widgets/icons.h"
#include "widgets/plot_style.h"

namespace qs::gui {

JobProgress::JobProgress(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("jobProgress"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    what_ = new QLabel(this);
    what_->setMinimumWidth(260);
    what_->setMaximumWidth(420);
    bar_ = new QProgressBar(this);
    bar_->setRange(0, 1000);
    bar_->setFixedWidth(220);
    bar_->setTextVisible(true);
    bar_->setFormat(QStringLiteral("%p%"));
    eta_ = new QLabel(this);
    eta_->setMinimumWidth(150);
    cancel_ = new QToolButton(this);
    cancel_->setObjectName(QStringLiteral("cancelJob"));
    cancel_->setIcon(icon(IconKind::Cancel));
    cancel_->setText(tr("Cancel"));
    cancel_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    cancel_->setToolTip(tr("Cancel (Esc)"));
    layout->addWidget(what_);
    layout->addWidget(bar_);
    layout->addWidget(eta_);
    layout->addWidget(cancel_);
    connect(cancel_, &QToolButton::clicked, this, &JobProgress::cancelRequested);
    setVisible(false);
}

void JobProgress::start(const QString& what) {
    title_ = what;
    what_->setText(what);
    bar_->setValue(0);
    eta_->setText(tr("estimating time left…"));
    cancel_->setEnabled(true);
    setVisible(true);
}

void JobProgress::setProgress(double fraction, const QString& detail, double secondsLeft) {
    bar_->setValue(int(std::lround(std::clamp(fraction, 0.0, 1.0) * 1000)));
    bar_->setToolTip(detail);
    const QString text = detail.isEmpty() ? title_ : title_ + QStringLiteral(" · ") + detail;
    what_->setText(what_->fontMetrics().elidedText(text, Qt::ElideMiddle, what_->maximumWidth()));
    eta_->setText(secondsLeft < 0 ? tr("estimating time left…") : tr("about %1 left").arg(formatSeconds(secondsLeft)));
}

void JobProgress::finish() { setVisible(false); }

}  // namespace qs::gui
