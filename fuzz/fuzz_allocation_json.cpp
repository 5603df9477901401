// libFuzzer harness: any bytes as allocation.json. What the reader accepts comes back unchanged
// through toJson; InputError is the only way out allowed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/allocation/allocation_io.h"
#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/base/json_fields.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    nlohmann::json j;
    try {
        j = qs::parseJson(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    } catch (const qs::InputError&) {
        return 0;
    }
    qs::Allocation a;
    try {
        a = qs::allocationFromJson(qs::JsonField(j, "allocation.json"));
    } catch (const qs::InputError&) {
        return 0;
    }
    const nlohmann::json again = qs::toJson(a);
    if (qs::toJson(qs::allocationFromJson(again)) != again) std::abort();
    return 0;
}
