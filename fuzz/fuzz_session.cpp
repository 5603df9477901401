// libFuzzer harness: any bytes as a studio session file (app/gui/session.h, Qt Core only). What the
// reader accepts is saved and read back the same; InputError is the only way out allowed.
#include <QDir>
#include <QString>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "app/gui/session.h"
#include "core/base/errors.h"
#include "core/base/json_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    nlohmann::json j;
    try {
        j = qs::parseJson(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    } catch (const qs::InputError&) {
        return 0;
    }
    try {
        const qs::gui::Session s = qs::gui::sessionFromJson(j, QStringLiteral("/nonexistent/fuzz.qss"));
        if (s.minBits < 1 || s.minBits > 31 || s.targetMb < 0 || s.view.clipMode < 0 ||
            s.view.clipMode >= qs::gui::kClipModes)
            std::abort();
    } catch (const qs::InputError&) {
    }
    return 0;
}
