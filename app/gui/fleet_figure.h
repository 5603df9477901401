// `quantscope --fleet ROOT --export-figures DIR`: the fleet figure of a fleet folder, drawn headless
// without the main window (quantscope-cli fleet-report runs this).
#pragma once

#include <QString>

#include "widgets/figure_view.h"

namespace qs::gui {

// Reads ROOT/<user>/result.json, writes DIR/fleet.png (or .pdf) and prints its path on stdout.
// Returns the process exit code; errors are one "quantscope: ..." line on stderr.
int exportFleetFigure(const QString& root, const QString& dir, const FigureExportOptions& options);

}  // namespace qs::gui
