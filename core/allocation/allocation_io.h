// allocation.json: the bits chosen for each layer, with what they were chosen for (target, metric,
// order, speaker, floor) and what they achieve (size, average bits, compression ratio).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/allocation/allocation.h"

namespace qs {

nlohmann::json toJson(const Allocation& a);
// Throws InputError on a missing or mistyped field. Optional fields (min_bits, spread, float_size_mb,
// average_bits, compression_ratio, per layer params, score, included) fall back to defaults.
Allocation allocationFromJson(const nlohmann::json& j);

void saveAllocation(const std::string& path, const Allocation& a);  // atomic
Allocation loadAllocation(const std::string& path);                  // throws InputError naming the file

}  // namespace qs
