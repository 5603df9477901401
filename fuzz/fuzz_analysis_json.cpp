// libFuzzer harness: any bytes as analysis.json. What the reader accepts must also allocate (or
// fail with one line) and come back unchanged through toJson; InputError and BudgetError are the
// only ways out allowed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/allocation/allocation.h"
#include "core/base/errors.h"
#include "core/base/json_io.h"
#include "core/base/json_fields.h"
#include "core/stats/analysis.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    nlohmann::json j;
    try {
        j = qs::parseJson(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    } catch (const qs::InputError&) {
        return 0;
    }
    qs::Analysis a;
    try {
        a = qs::analysisFromJson(qs::JsonField(j, "analysis.json"));
    } catch (const qs::InputError&) {
        return 0;
    }
    // Whatever was accepted is written so that it reads back the same.
    const nlohmann::json again = qs::toJson(a);
    if (qs::toJson(qs::analysisFromJson(again)) != again) std::abort();

    qs::AllocationRequest request;
    request.targetMb = a.model.sizeMb() * 0.3 + 1e-6;
    for (const std::string& speaker : {std::string(qs::kAllSpeakers), a.speakers.empty() ? "" : a.speakers[0].name}) {
        request.speaker = speaker;
        try {
            const qs::Allocation out = qs::allocateAnalysis(a, request);
            if (out.layers.size() != a.layers.size()) std::abort();
        } catch (const qs::InputError&) {
        } catch (const qs::BudgetError&) {
        }
    }
    return 0;
}
