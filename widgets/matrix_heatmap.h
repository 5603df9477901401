// The personalization matrix as a heatmap: rows are the schemes (each profile's own, all profiles,
// uniform), columns the profiles whose test clips they ran on (and all of them), colour the chosen
// measure, better in the same colour whichever way the measure runs. The own scheme on its own
// profile is outlined; cells carry their values when they fit.
#pragma once

#include <QList>
#include <memory>

#include "core/personalization/personalization.h"
#include "widgets/figure_view.h"

class QCPColorMap;
class QCPColorScale;
class QCPItemText;

namespace qs::gui {

class MatrixHeatmap : public FigureView {
    Q_OBJECT
public:
    explicit MatrixHeatmap(QWidget* parent = nullptr);

    // Shows matrix `index` of result on `measure`; null or an empty result clears the figure.
    void setMatrix(std::shared_ptr<const PersonalizationResult> result, int index, Measure measure);
    void clear();

    // The value drawn in a cell (row: scheme row of the matrix, column: profile then "all"), for tests.
    double cellValue(int row, int column) const;
    int rows() const { return rows_; }
    int columns() const { return columns_; }

private:
    void fitCellText();  // after each layout: the largest font whose values fit the cells, or none

    QList<QCPItemText*> texts_;
    std::shared_ptr<const PersonalizationResult> result_;
    int index_ = -1;
    Measure measure_ = Measure::Wer;
    int rows_ = 0, columns_ = 0;
    std::vector<double> values_;  // row-major
    QCPColorMap* map_ = nullptr;
    QCPColorScale* scale_ = nullptr;
};

}  // namespace qs::gui
