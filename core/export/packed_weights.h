// weights.safetensors: a model's weights with every quantized layer packed at its allocated bit width.
//
// The file is standard safetensors (8-byte little-endian header length N, N bytes of JSON header
// {tensor name: {dtype, shape, data_offsets}} plus a "__metadata__" string map, then the byte
// buffer), so any safetensors reader opens it. For a quantized layer L it holds
//   L.weight.packed      U8   [bytes]     codes q − qmin as unsigned b-bit values, packed LSB-first:
//                                          value i occupies bits i·b … i·b + b − 1 of the stream, bit
//                                          k of the stream being bit k % 8 of byte k / 8
//   L.weight.scale       F32  scale shape (below)
//   L.weight.zero_point  I32  scale shape
//   __metadata__[L]      JSON string {"bits", "qmin", "qmax", "shape", "granularity", "group_size"}
// and every other parameter (biases, norms, layers kept at 32 bits) as an F32 tensor under its own
// name. Scale shapes as in core/quantize/quantized_codes.h (ScaleLayout).
// Tensors are laid out 4-byte dtypes first and the header is padded to 8 bytes, so every F32/I32
// tensor is aligned for memory mapping.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/quantize/quantized_codes.h"

namespace qs {

struct WeightEntry {
    // A float parameter's full name ("encoder.fc1.bias"), or a quantized layer's name without
    // ".weight" ("encoder.fc1").
    std::string name;
    std::vector<std::int64_t> shape;               // output channels first for a weight
    std::vector<float> values;                     // float entries only
    std::optional<QuantizedCodes> quantized;       // set for a quantized layer

    std::int64_t count() const;                    // product of shape
};

// Byte counts of a weights file. fileBytes is the exact size of the file writePackedWeights writes.
struct PackedSize {
    std::int64_t codeBytes = 0;       // Σ ceil(bits × count / 8) over quantized layers
    std::int64_t floatBytes = 0;      // 4 × count over float entries
    std::int64_t quantParamBytes = 0; // scales and zero points, 4 bytes each
    std::int64_t headerBytes = 0;     // 8-byte length + JSON header (padded)
    std::int64_t fileBytes = 0;       // the sum of the above
};

struct PackedWeights {
    std::vector<WeightEntry> entries;              // float entries first, then quantized layers,
                                                   // each in the order they were written
    std::map<std::string, std::string> metadata;   // __metadata__ other than the layers' own
};

// The entry's float values: a float entry's own, a quantized layer's (q − zp) × scale computed as
// float(q − zp) * scale, exactly as LibTorch's fake-quantize. Throws InputError on inconsistent sizes.
std::vector<float> dequantize(const WeightEntry& entry);

// The sizes writePackedWeights would produce, without writing. Throws InputError like it.
PackedSize packedSize(const std::vector<WeightEntry>& entries, const std::map<std::string, std::string>& metadata = {});

// Writes the file atomically (temporary sibling + rename). Throws InputError on an invalid entry
// (duplicate tensor name, code outside [qmin, qmax], range wider than bits, sizes that do not match
// the shape), a metadata key equal to a layer name, or a write failure. Returns the sizes written.
PackedSize writePackedWeights(const std::string& path, const std::vector<WeightEntry>& entries,
                              const std::map<std::string, std::string>& metadata = {});

// Reads a file written by writePackedWeights. Throws InputError naming the file and the fault on a
// missing, truncated or corrupted file (bad header, offsets, dtypes, sizes or layer metadata).
PackedWeights readPackedWeights(const std::string& path);
// The same for a file's bytes in memory (name stands for the file in messages).
PackedWeights parsePackedWeights(const std::string& name, std::string bytes);

}  // namespace qs
