// libFuzzer harness: any bytes as the model.json a TorchScript file carries. ModelError is the only
// way out allowed, and what is accepted is a plausible sample rate.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/base/errors.h"
#include "core/model/model_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    qs::ModelInfo info;
    try {
        qs::applyModelMetadata("fuzz.pt", std::string(reinterpret_cast<const char*>(data), size), info);
    } catch (const qs::ModelError&) {
        return 0;
    }
    if (info.sampleRate < qs::kMinSampleRate || info.sampleRate > qs::kMaxSampleRate) std::abort();
    return 0;
}
