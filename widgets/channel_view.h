// Per-channel max |y| of the selected layer: which output channels carry the outliers. Channels
// above a multiple of the median channel are drawn in red and counted.
#pragma once

#include <vector>

#include "widgets/figure_view.h"

class QCheckBox;
class QCPBars;
class QCPItemStraightLine;
class QDoubleSpinBox;

namespace qs::gui {

class ChannelView : public FigureView {
    Q_OBJECT
public:
    explicit ChannelView(QWidget* parent = nullptr);

    void setLayer(const QString& layer, const QString& speaker, const std::vector<float>& channelAbsMax);

    bool sorted() const;
    void setSorted(bool on);
    int outlierCount() const { return outliers_; }

    QString exportCaption() const override;

private:
    void rebuild();

    QString layer_, speaker_;
    std::vector<float> values_;
    int outliers_ = 0;
    QCheckBox* sort_ = nullptr;
    QDoubleSpinBox* factor_ = nullptr;
    QCPBars* normal_ = nullptr;
    QCPBars* outlier_ = nullptr;
    QCPItemStraightLine* median_ = nullptr;
    QCPItemStraightLine* threshold_ = nullptr;
};

}  // namespace qs::gui
