// The bit allocation chart: the bits of every layer at the current budget, in network order,
// coloured by width; layers excluded from quantization are hatched at 32 bits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "widgets/figure_view.h"

class QCPItemRect;

namespace qs::gui {

class BitBars;
class BitsLegend;

class AllocationView : public FigureView {
    Q_OBJECT
public:
    explicit AllocationView(QWidget* parent = nullptr);
    ~AllocationView() override;

    void setLayers(const std::vector<std::string>& names);
    // bits and included have one entry per layer; empty bits clears the chart.
    void setAllocation(const std::vector<int>& bits, const std::vector<bool>& included, const QString& caption);
    void setSelectedLayer(int layer);

    const std::vector<int>& bits() const { return bits_; }  // what the chart shows (tests)

private:
    void rebuild();

    std::vector<std::string> names_;
    std::vector<int> bits_;
    std::vector<bool> included_;
    int selected_ = -1;
    BitBars* bars_ = nullptr;
    QCPItemRect* band_ = nullptr;
    std::unique_ptr<BitsLegend> legend_;
};

}  // namespace qs::gui
