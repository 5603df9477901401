// Asks where and how to export figures: one figure to a file, or every figure into a folder, as
// PNG or PDF with a size and (PNG) resolution.
#pragma once

#include <QDialog>

#include "widgets/figure_view.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace qs::gui {

class FigureExportDialog : public QDialog {
    Q_OBJECT
public:
    // folderMode: the path is a folder and every figure is written into it as <figureId>.<ext>.
    FigureExportDialog(const QString& figureTitle, const QString& suggestedPath, bool folderMode, QWidget* parent = nullptr);

    QString path() const;
    FigureExportOptions options() const;
    void setOptions(const FigureExportOptions& o);

private:
    void browse();
    void updatePixels();

    bool folderMode_;
    QLineEdit* path_ = nullptr;
    QComboBox* format_ = nullptr;
    QSpinBox* width_ = nullptr;
    QSpinBox* height_ = nullptr;
    QSpinBox* dpi_ = nullptr;
    QLabel* pixels_ = nullptr;
};

}  // namespace qs::gui
