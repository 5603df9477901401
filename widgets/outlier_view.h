// Outlier ranges across all layers: per layer a whisker from min to max and a box from p0.1 to
// p99.9, so layers whose extremes run far beyond their bulk stand out.
#pragma once

#include <string>
#include <vector>

#include "core/stats/activation_stats.h"
#include "widgets/figure_view.h"

class QCheckBox;
class QCPItemRect;
class QCPStatisticalBox;
class QCPGraph;

namespace qs::gui {

class OutlierView : public FigureView {
    Q_OBJECT
public:
    explicit OutlierView(QWidget* parent = nullptr);

    void setLayers(const std::vector<std::string>& names);
    // One entry per layer (null: no statistics), for the named speaker.
    void setStats(const std::vector<const StatsSummary*>& stats, const QString& speaker);
    void setSelectedLayer(int layer);

    bool normalized() const;
    void setNormalized(bool on);

    QString exportCaption() const override;

private:
    void rebuild();

    std::vector<std::string> names_;
    std::vector<StatsSummary> stats_;  // histograms dropped: only the range fields are kept
    std::vector<bool> have_;
    QString speaker_;
    int selected_ = -1;
    QCheckBox* normalize_ = nullptr;
    QCPStatisticalBox* boxes_ = nullptr;
    QCPGraph* ratio_ = nullptr;
    QCPItemRect* band_ = nullptr;
};

}  // namespace qs::gui
