// libFuzzer harness: any bytes as an export's weights.safetensors. Every entry the reader returns
// dequantizes (its codes, scales and shape agree); InputError is the only way out allowed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/base/errors.h"
#include "core/export/packed_weights.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    qs::PackedWeights w;
    try {
        w = qs::parsePackedWeights("weights.safetensors", std::string(reinterpret_cast<const char*>(data), size));
    } catch (const qs::InputError&) {
        return 0;
    }
    for (const qs::WeightEntry& e : w.entries)
        if (std::int64_t(qs::dequantize(e).size()) != e.count()) std::abort();
    return 0;
}
