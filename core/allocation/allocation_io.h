// allocation.json: the bits chosen for each layer, with what they were chosen for (target, metric,
// order, speaker, floor) and what they achieve (size, average bits, compression ratio).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/allocation/allocation.h"
#include "core/base/json_fields.h"

namespace qs {

// With `written_by` {program, version, commit} (core/base/version.h), which readers do not need.
nlohmann::json toJson(const Allocation& a);
// Throws InputError naming the field on a missing, mistyped or impossible value (bits outside 1..32,
// a repeated layer, an excluded layer below 32 bits, an unknown metric). Optional fields (min_bits, spread, split,
// float_size_mb, average_bits, compression_ratio, per layer params, score, included) fall back to
// defaults.
Allocation allocationFromJson(const nlohmann::json& j);
Allocation allocationFromJson(const JsonField& j);

void saveAllocation(const std::string& path, const Allocation& a);  // atomic
Allocation loadAllocation(const std::string& path);                  // throws InputError naming the file

}  // namespace qs
