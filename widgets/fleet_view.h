// The fleet figure: how the measures of a fleet run are distributed over its users (WER, WER against
// float, output SQNR, model size, CPU seconds per minute of audio), one panel each: a box from the
// first to the third quartile with the median, whiskers to the extremes, and every user as a dot.
// The subtitle counts the users and the failures. Drawn from core/fleet/fleet_table.h's rows.
#pragma once

#include <vector>

#include "core/fleet/fleet_table.h"
#include "widgets/figure_view.h"

namespace qs::gui {

class FleetView : public FigureView {
    Q_OBJECT
public:
    explicit FleetView(QWidget* parent = nullptr);
    void setRows(const std::vector<FleetRow>& rows);
    // What an exported figure shows, under its title: the measures and how many users succeeded.
    QString exportCaption() const override { return caption_; }

private:
    std::vector<FleetRow> rows_;
    QString caption_;
};

}  // namespace qs::gui
