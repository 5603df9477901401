// Toolbar and window icons, drawn with QPainter so they are crisp at any size and need no image
// plugin (Debian's Qt lacks the SVG one unless qt6-svg is installed).
#pragma once

#include <QIcon>

namespace qs::gui {

enum class IconKind { App, OpenModel, AddAudio, Analyze, Cancel, Export, ExportModel, SaveSession, OpenSession };

QIcon icon(IconKind kind);

}  // namespace qs::gui
