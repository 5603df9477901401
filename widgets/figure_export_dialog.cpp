// The figure export dialog: one figure or all, PNG or PDF, size and resolution.
#include "widgets/figure_export_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <cmath>

namespace qs::gui {

FigureExportDialog::FigureExportDialog(const QString& figureTitle, const QString& suggestedPath, bool folderMode,
                                       QWidget* parent)
    : QDialog(parent), folderMode_(folderMode) {
    setWindowTitle(folderMode ? tr("Export all figures") : tr("Export %1").arg(figureTitle));
    auto* form = new QFormLayout(this);

    path_ = new QLineEdit(suggestedPath, this);
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(path_, 1);
    pathRow->addWidget(browse);
    form->addRow(folderMode ? tr("Folder") : tr("File"), pathRow);

    format_ = new QComboBox(this);
    format_->addItem(tr("PNG (raster)"), int(FigureExportOptions::Format::Png));
    format_->addItem(tr("PDF (vector)"), int(FigureExportOptions::Format::Pdf));
    form->addRow(tr("Format"), format_);

    width_ = new QSpinBox(this);
    height_ = new QSpinBox(this);
    for (QSpinBox* s : {width_, height_}) {
        s->setRange(50, 10000);
        s->setSuffix(tr(" px"));
    }
    auto* sizeRow = new QHBoxLayout;
    sizeRow->addWidget(width_);
    sizeRow->addWidget(new QLabel(QStringLiteral("×"), this));
    sizeRow->addWidget(height_);
    sizeRow->addStretch(1);
    form->addRow(tr("Size"), sizeRow);

    dpi_ = new QSpinBox(this);
    dpi_->setRange(48, 1200);
    dpi_->setSuffix(tr(" dpi"));
    form->addRow(tr("Resolution"), dpi_);
    pixels_ = new QLabel(this);
    pixels_->setStyleSheet(QStringLiteral("color: #606060;"));
    form->addRow(QString(), pixels_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    form->addRow(buttons);

    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(browse, &QPushButton::clicked, this, &FigureExportDialog::browse);
    for (QSpinBox* s : {width_, height_, dpi_}) connect(s, &QSpinBox::valueChanged, this, &FigureExportDialog::updatePixels);
    connect(format_, &QComboBox::currentIndexChanged, this, [this] {
        const bool pdf = options().format == FigureExportOptions::Format::Pdf;
        dpi_->setEnabled(!pdf);
        if (!folderMode_) {
            QString p = path_->text();
            const QFileInfo fi(p);
            if (!p.isEmpty()) path_->setText(fi.path() + QLatin1Char('/') + fi.completeBaseName() + (pdf ? ".pdf" : ".png"));
        }
        updatePixels();
    });
    connect(path_, &QLineEdit::editingFinished, this, [this] {
        if (folderMode_) return;
        format_->setCurrentIndex(formatForPath(path_->text()) == FigureExportOptions::Format::Pdf ? 1 : 0);
    });
    setOptions({});
    if (!folderMode) format_->setCurrentIndex(formatForPath(suggestedPath) == FigureExportOptions::Format::Pdf ? 1 : 0);
}

QString FigureExportDialog::path() const { return path_->text(); }

FigureExportOptions FigureExportDialog::options() const {
    FigureExportOptions o;
    o.format = FigureExportOptions::Format(format_->currentData().toInt());
    o.width = width_->value();
    o.height = height_->value();
    o.dpi = dpi_->value();
    return o;
}

void FigureExportDialog::setOptions(const FigureExportOptions& o) {
    format_->setCurrentIndex(o.format == FigureExportOptions::Format::Pdf ? 1 : 0);
    width_->setValue(o.width);
    height_->setValue(o.height);
    dpi_->setValue(o.dpi);
    updatePixels();
}

void FigureExportDialog::browse() {
    QString chosen;
    if (folderMode_) {
        chosen = QFileDialog::getExistingDirectory(this, tr("Export figures into"), path_->text());
    } else {
        chosen = QFileDialog::getSaveFileName(this, tr("Export figure"), path_->text(),
                                              tr("PNG image (*.png);;PDF document (*.pdf)"));
    }
    if (chosen.isEmpty()) return;
    path_->setText(chosen);
    if (!folderMode_) format_->setCurrentIndex(formatForPath(chosen) == FigureExportOptions::Format::Pdf ? 1 : 0);
}

void FigureExportDialog::updatePixels() {
    const FigureExportOptions o = options();
    if (o.format == FigureExportOptions::Format::Pdf) {
        pixels_->setText(tr("vector PDF, page %1 × %2 pt").arg(o.width).arg(o.height));
    } else {
        const double scale = o.dpi / 96.0;
        pixels_->setText(tr("writes %1 × %2 pixels")
                             .arg(std::lround(o.width * scale))
                             .arg(std::lround(o.height * scale)));
    }
}

}  // namespace qs::gui
