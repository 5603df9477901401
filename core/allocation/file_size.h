// The export files' size for bits per layer: what `allocate --fit-files` budgets instead of
// myQASR's size model (size_model.h, which stays the method's own figure and counts only bits × count).
//
// Per quantized layer of b ≤ 16 bits with S scales (its granularity: 1, one per output channel, or
// one per group of each channel's row), the larger of its bytes in the two weight files:
//   weights.safetensors  ceil(b × n / 8) codes + 4 S (float scales) + 4 S (int32 zero points)
//   model.onnx           ceil(w × n / 8) codes + 4 S (float scales) + ceil(w × S / 8) zero points,
//                        w the storage width: 4 for 2-4 bits (INT4, so 2- and 3-bit layers take 4),
//                        8 for 5-8 (INT8), 16 for 9-16 (INT16)
// plus a bound on the layer's header bytes in weights.safetensors (its three tensor entries and
// metadata); a layer above 16 bits stays float (4 n). Every other parameter counts 4 bytes, and the
// safetensors header entries of the non-layer tensors are bounded by 3 per layer. Not counted: the
// ONNX graph's structure (nodes and names), which is model code, not weights; exports report it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/allocation/size_model.h"
#include "core/quantize/quantized_codes.h"

namespace qs {

struct Analysis;

struct FileSizeOptions {
    Granularity granularity = Granularity::PerChannel;  // the export's weight granularity
    std::int64_t groupSize = 128;                        // per_group only
};

class FileSizeModel {
public:
    FileSizeModel() = default;
    // layers: each quantizable layer's name and weight shape (output channels first), in order.
    // Throws InputError when a shape is missing or the group size is not positive.
    FileSizeModel(std::int64_t totalParams, const std::vector<std::string>& names,
                  const std::vector<std::vector<std::int64_t>>& shapes, const FileSizeOptions& options);
    static FileSizeModel forAnalysis(const Analysis& a, const FileSizeOptions& options);

    // Bytes of layer i at the given bits in the larger of the two files (its codes, scales, zero
    // points and header entries).
    std::int64_t layerBytes(std::size_t i, int bits) const;
    // The whole bound, in bits (the unit BudgetCurve compares), for one bit width per layer.
    std::int64_t sizeBits(const std::vector<int>& bits) const;
    double sizeMb(const std::vector<int>& bits) const;
    std::size_t layerCount() const { return layers_.size(); }
    const FileSizeOptions& options() const { return options_; }

    // ONNX storage width of a b-bit layer (4, 8, 16, or 32 for float).
    static int onnxStorageBits(int bits);

private:
    struct Layer {
        std::int64_t params = 0, scales = 0, headerBytes = 0;
    };
    std::vector<Layer> layers_;
    std::int64_t fixedBytes_ = 0;  // non-layer parameters and their header entries
    FileSizeOptions options_;
};

}  // namespace qs
