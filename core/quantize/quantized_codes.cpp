// Quantized codes: granularity names, scale layouts, the checks every consumer of codes relies on,
// LSB-first bit packing, and quantizing/dequantizing with LibTorch's fake-quantize arithmetic.
#include "core/quantize/quantized_codes.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/base/errors.h"

namespace qs {

std::int64_t shapeCount(const std::vector<std::int64_t>& shape) {
    std::int64_t n = 1;
    for (const std::int64_t d : shape) n *= d;
    return n;
}

std::string granularityName(Granularity g) {
    switch (g) {
    case Granularity::PerTensor: return "per_tensor";
    case Granularity::PerChannel: return "per_channel";
    case Granularity::PerGroup: return "per_group";
    }
    return "per_channel";
}

Granularity parseGranularity(const std::string& name) {
    if (name == "per_tensor") return Granularity::PerTensor;
    if (name == "per_channel") return Granularity::PerChannel;
    if (name == "per_group") return Granularity::PerGroup;
    throw InputError("unknown quantization granularity '" + name + "' (per_tensor, per_channel or per_group)");
}

ScaleLayout scaleLayout(const std::string& name, const std::vector<std::int64_t>& shape, Granularity g,
                        std::int64_t groupSize) {
    ScaleLayout s;
    if (g == Granularity::PerTensor) {
        s.shape = {1};
        return s;
    }
    if (shape.empty() || shape[0] <= 0)
        throw InputError("layer " + name + ": " + granularityName(g) + " quantization needs an output-channel dimension");
    s.rowLength = shapeCount(shape) / shape[0];
    if (g == Granularity::PerChannel) {
        s.shape = {shape[0]};
        return s;
    }
    if (groupSize <= 0) throw InputError("layer " + name + ": per_group quantization needs a positive group size");
    s.groupsPerRow = (s.rowLength + groupSize - 1) / groupSize;
    s.shape = {shape[0], s.groupsPerRow};
    return s;
}

ScaleLayout checkCodes(const std::string& name, const std::vector<std::int64_t>& shape, const QuantizedCodes& q) {
    if (q.bits < 2 || q.bits > 16)
        throw InputError("layer " + name + ": bits must be 2..16, not " + std::to_string(q.bits));
    if (q.range.qmin > q.range.qmax || q.range.qmax - q.range.qmin >= (std::int64_t(1) << q.bits))
        throw InputError("layer " + name + ": range [" + std::to_string(q.range.qmin) + ", " +
                         std::to_string(q.range.qmax) + "] does not fit in " + std::to_string(q.bits) + " bits");
    if (q.range.qmin < std::numeric_limits<std::int32_t>::min() || q.range.qmax > std::numeric_limits<std::int32_t>::max())
        throw InputError("layer " + name + ": range exceeds 32-bit integers");
    const ScaleLayout s = scaleLayout(name, shape, q.granularity, q.groupSize);
    if (std::int64_t(q.codes.size()) != shapeCount(shape))
        throw InputError("layer " + name + ": " + std::to_string(q.codes.size()) + " codes for " +
                         std::to_string(shapeCount(shape)) + " weights");
    if (std::int64_t(q.scales.size()) != s.count() || q.zeroPoints.size() != q.scales.size())
        throw InputError("layer " + name + ": expected " + std::to_string(s.count()) + " scales and zero points for " +
                         granularityName(q.granularity) + ", got " + std::to_string(q.scales.size()) + " and " +
                         std::to_string(q.zeroPoints.size()));
    for (const std::int64_t zp : q.zeroPoints)
        if (zp < std::numeric_limits<std::int32_t>::min() || zp > std::numeric_limits<std::int32_t>::max())
            throw InputError("layer " + name + ": zero point " + std::to_string(zp) + " exceeds 32-bit integers");
    return s;
}

std::int64_t packedSizeBytes(std::int64_t count, int bits) { return (count * bits + 7) / 8; }

std::vector<std::uint8_t> packCodes(const std::vector<std::uint32_t>& values, int bits) {
    std::vector<std::uint8_t> out;
    out.reserve(std::size_t(packedSizeBytes(std::int64_t(values.size()), bits)));
    const std::uint32_t mask = (std::uint32_t(1) << bits) - 1;
    std::uint32_t pending = 0;  // bits not yet written, lowest first; never more than 7 + 16
    int pendingBits = 0;
    for (const std::uint32_t v : values) {
        pending |= (v & mask) << pendingBits;
        pendingBits += bits;
        for (; pendingBits >= 8; pendingBits -= 8, pending >>= 8) out.push_back(std::uint8_t(pending & 0xFF));
    }
    if (pendingBits > 0) out.push_back(std::uint8_t(pending & 0xFF));
    return out;
}

std::vector<std::uint32_t> unpackCodes(const std::vector<std::uint8_t>& bytes, std::int64_t count, int bits) {
    if (std::int64_t(bytes.size()) != packedSizeBytes(count, bits))
        throw InputError(std::to_string(bytes.size()) + " packed bytes cannot hold exactly " + std::to_string(count) +
                         " values of " + std::to_string(bits) + " bits");
    std::vector<std::uint32_t> out(static_cast<std::size_t>(count));
    const std::uint32_t mask = (std::uint32_t(1) << bits) - 1;
    std::uint32_t pending = 0;
    int pendingBits = 0;
    std::size_t next = 0;
    for (std::uint32_t& v : out) {
        for (; pendingBits < bits; pendingBits += 8) pending |= std::uint32_t(bytes[next++]) << pendingBits;
        v = pending & mask;
        pending >>= bits;
        pendingBits -= bits;
    }
    return out;
}

QuantizedCodes quantizeCodes(const std::vector<float>& w, const std::vector<std::int64_t>& shape, int bits,
                             IntRange range, Granularity granularity, std::int64_t groupSize,
                             const std::vector<float>& scales, const std::vector<std::int64_t>& zeroPoints) {
    if (std::int64_t(w.size()) != shapeCount(shape))
        throw InputError("a weight of " + std::to_string(w.size()) + " values does not have the shape given for it");
    QuantizedCodes q;
    q.bits = bits;
    q.range = range;
    q.granularity = granularity;
    q.groupSize = groupSize;
    q.scales = scales;
    q.zeroPoints = zeroPoints;
    q.codes.resize(w.size());
    const ScaleLayout s = checkCodes("weight", shape, q);
    for (std::size_t i = 0; i < w.size(); ++i) {
        const std::size_t k = s.indexOf(std::int64_t(i), granularity, groupSize);
        // Exactly quantizer.cpp's fakeQuantize before its dequantizing step.
        const float inv = 1.0f / scales[k];
        const auto code = static_cast<std::int64_t>(float(zeroPoints[k]) + std::nearbyint(w[i] * inv));
        q.codes[i] = std::int32_t(std::min(std::max(code, range.qmin), range.qmax));
    }
    return q;
}

std::vector<float> dequantizeCodes(const std::string& name, const std::vector<std::int64_t>& shape,
                                   const QuantizedCodes& q) {
    const ScaleLayout s = checkCodes(name, shape, q);
    std::vector<float> out(q.codes.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::size_t k = s.indexOf(std::int64_t(i), q.granularity, q.groupSize);
        out[i] = float(std::int64_t(q.codes[i]) - q.zeroPoints[k]) * q.scales[k];
    }
    return out;
}

}  // namespace qs
