// Integer codes of a quantized weight: the granularity of its scales (per tensor, per output channel,
// per group of a channel's row), how scales map onto elements, the codes themselves with the
// arithmetic of core/quantize/quantizer.h, and their LSB-first bit packing at b bits per value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/quantize/quantizer.h"

namespace qs {

enum class Granularity { PerTensor, PerChannel, PerGroup };

// "per_tensor", "per_channel", "per_group"; parseGranularity throws InputError on anything else.
std::string granularityName(Granularity g);
Granularity parseGranularity(const std::string& name);

struct QuantizedCodes {
    int bits = 8;                                     // 2..16; qmax − qmin must fit in bits
    IntRange range;                                   // qmin, qmax
    Granularity granularity = Granularity::PerChannel;
    std::int64_t groupSize = 0;                       // per_group only
    std::vector<std::int32_t> codes;                  // q in [qmin, qmax], one per weight element, row-major
    std::vector<float> scales;                        // one per tensor / channel / group (channel-major)
    std::vector<std::int64_t> zeroPoints;             // as many as scales
};

// The product of a shape's dimensions (1 for a scalar).
std::int64_t shapeCount(const std::vector<std::int64_t>& shape);

// How the scales of a quantized weight map onto its elements. Scale shapes: per_tensor [1];
// per_channel [out channels]; per_group [out channels, groups], where each output channel's row
// (all weight elements of that channel, row-major) is cut into consecutive groups of groupSize
// elements, the last one possibly shorter.
struct ScaleLayout {
    std::int64_t rowLength = 1;       // elements per output channel
    std::int64_t groupsPerRow = 1;    // per_group only
    std::vector<std::int64_t> shape;  // shape of the scale and zero-point tensors

    std::int64_t count() const { return shapeCount(shape); }
    std::size_t indexOf(std::int64_t element, Granularity g, std::int64_t groupSize) const {
        switch (g) {
        case Granularity::PerTensor: return 0;
        case Granularity::PerChannel: return std::size_t(element / rowLength);
        case Granularity::PerGroup:
            return std::size_t(element / rowLength * groupsPerRow + element % rowLength / groupSize);
        }
        return 0;
    }
};

// The scale layout of a weight of this shape; throws InputError naming layer `name` when the shape
// has no output-channel dimension (per channel/group) or the group size is not positive.
ScaleLayout scaleLayout(const std::string& name, const std::vector<std::int64_t>& shape, Granularity g,
                        std::int64_t groupSize);

// Everything packing and dequantizing rely on about layer `name`'s codes (bits 2..16, a range that
// fits them and 32-bit integers, one code per element, one scale and zero point per scale slot);
// throws InputError naming the layer and the fault. Returns the scale layout.
ScaleLayout checkCodes(const std::string& name, const std::vector<std::int64_t>& shape, const QuantizedCodes& q);

// ceil(bits × count / 8): the bytes of count values packed at bits each.
std::int64_t packedSizeBytes(std::int64_t count, int bits);

// Packs values (each in [0, 2^bits)) LSB-first: value i occupies bits i·b … i·b + b − 1 of the stream,
// bit k of the stream being bit k % 8 of byte k / 8. unpackCodes throws InputError when bytes is not
// exactly packedSizeBytes(count, bits) long.
std::vector<std::uint8_t> packCodes(const std::vector<std::uint32_t>& values, int bits);
std::vector<std::uint32_t> unpackCodes(const std::vector<std::uint8_t>& bytes, std::int64_t count, int bits);

// Integer codes of w with the same arithmetic as core/quantize/quantizer.h (and LibTorch's fake-quantize):
// q = clamp(zp + nearbyint(x × (1 / scale)), qmin, qmax), so dequantize(quantizeCodes(...)) equals the
// fake-quantized weight bit for bit. Throws InputError when scales do not fit shape and granularity.
QuantizedCodes quantizeCodes(const std::vector<float>& w, const std::vector<std::int64_t>& shape, int bits,
                             IntRange range, Granularity granularity, std::int64_t groupSize,
                             const std::vector<float>& scales, const std::vector<std::int64_t>& zeroPoints);

// (q − zp) × scale computed as float(q − zp) * scale, exactly as LibTorch's fake-quantize. Throws
// InputError (naming layer `name`) on inconsistent sizes.
std::vector<float> dequantizeCodes(const std::string& name, const std::vector<std::int64_t>& shape,
                                   const QuantizedCodes& q);

}  // namespace qs
