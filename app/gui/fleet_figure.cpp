// The headless fleet figure: read the fleet folder, fill a FleetView, export it (fleet_figure.h).
#include "app/gui/fleet_figure.h"

#include <QDir>

#include <cstdio>

#include "core/base/errors.h"
#include "core/fleet/fleet_table.h"
#include "widgets/fleet_view.h"

namespace qs::gui {

int exportFleetFigure(const QString& root, const QString& dir, const FigureExportOptions& options) {
    std::vector<FleetRow> rows;
    try {
        rows = readFleet(root.toStdString());
    } catch (const Error& e) {
        std::fprintf(stderr, "quantscope: %s\n", e.what());
        return 1;
    }
    if (!QDir().mkpath(dir)) {
        std::fprintf(stderr, "quantscope: cannot create the folder %s\n", qPrintable(dir));
        return 1;
    }
    FleetView view;
    view.resize(options.width, options.height);
    view.setRows(rows);
    const QString path = QDir(dir).absoluteFilePath(
        QStringLiteral("fleet.") + (options.format == FigureExportOptions::Format::Pdf ? "pdf" : "png"));
    QString error;
    if (!view.exportFigure(path, options, &error)) {
        std::fprintf(stderr, "quantscope: %s\n", qPrintable(error));
        return 1;
    }
    std::printf("%s\n", qPrintable(path));
    return 0;
}

}  // namespace qs::gui
