// Fake-quantize arithmetic on float arrays, bit-exact with LibTorch's CPU kernels.
#include "core/quantize/quantizer.h"

#include <algorithm>
#include <cmath>

#include "core/base/errors.h"

namespace qs {
namespace {

// One element, exactly as ATen's fake-quantize CPU kernels compute it.
inline float fakeQuantize(float x, float scale, float invScale, std::int64_t zp, IntRange r) {
    const auto q = static_cast<std::int64_t>(float(zp) + std::nearbyint(x * invScale));
    return float(std::min(std::max(q, r.qmin), r.qmax) - zp) * scale;
}

}  // namespace

IntRange signedRange(int bits) {
    if (bits < 2 || bits > 16) throw InputError("quantizer bits must be 2..16, not " + std::to_string(bits));
    const std::int64_t half = std::int64_t(1) << (bits - 1);
    return {-half, half - 1};
}

std::vector<float> symmetricChannelScales(const std::vector<float>& w, std::int64_t channels, int bits, double clip) {
    if (channels <= 0 || w.size() % std::size_t(channels) != 0)
        throw InputError("weight of " + std::to_string(w.size()) + " values does not split into " +
                         std::to_string(channels) + " channels");
    const IntRange r = signedRange(bits);
    const std::size_t row = w.size() / std::size_t(channels);
    std::vector<float> scales(static_cast<std::size_t>(channels));
    for (std::size_t c = 0; c < scales.size(); ++c) {
        float m = 0.0f;
        for (std::size_t i = 0; i < row; ++i) m = std::max(m, std::fabs(w[c * row + i]));
        const float s = float(double(m) * clip / double(r.qmax));
        scales[c] = s > 0.0f ? s : 1.0f;
    }
    return scales;
}

std::vector<float> fakeQuantizePerChannel(const std::vector<float>& w, const std::vector<float>& scales,
                                          const std::vector<std::int64_t>& zeroPoints, IntRange range) {
    if (scales.empty() || scales.size() != zeroPoints.size() || w.size() % scales.size() != 0)
        throw InputError("per-channel quantizer: scales, zero points and weight do not fit together");
    const std::size_t row = w.size() / scales.size();
    std::vector<float> out(w.size());
    for (std::size_t c = 0; c < scales.size(); ++c) {
        const float scale = scales[c];
        const float inv = 1.0f / scale;
        for (std::size_t i = c * row; i < (c + 1) * row; ++i)
            out[i] = fakeQuantize(w[i], scale, inv, zeroPoints[c], range);
    }
    return out;
}

std::vector<float> fakeQuantizePerTensor(const std::vector<float>& x, float scale, std::int64_t zeroPoint,
                                         IntRange range) {
    std::vector<float> out(x.size());
    const float inv = 1.0f / scale;
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = fakeQuantize(x[i], scale, inv, zeroPoint, range);
    return out;
}

std::vector<float> quantizeWeightSymmetric(const std::vector<float>& w, std::int64_t channels, int bits) {
    const std::vector<float> scales = symmetricChannelScales(w, channels, bits);
    return fakeQuantizePerChannel(w, scales, std::vector<std::int64_t>(scales.size(), 0), signedRange(bits));
}

}  // namespace qs
