// Uniform affine quantizers on plain float arrays. The arithmetic mirrors LibTorch's CPU kernels of
// at::fake_quantize_per_channel_affine / at::fake_quantize_per_tensor_affine to the bit:
//   q = clamp(zero_point + nearbyint(x * (1.0f / scale)), qmin, qmax),  x' = (q - zero_point) * scale
// (float arithmetic, round half to even), so a weight quantized here equals LibTorch's result.
#pragma once

#include <cstdint>
#include <vector>

namespace qs {

struct IntRange {
    std::int64_t qmin = -128;
    std::int64_t qmax = 127;
};

// Signed range of a symmetric b-bit quantizer: [-2^(b-1), 2^(b-1) - 1]. bits in 2..16.
IntRange signedRange(int bits);

// Per-output-channel symmetric scales: max |w_c| × clip / qmax for each of `channels` rows of w
// (row-major, output channel first). An all-zero channel gets scale 1 (its values stay 0).
std::vector<float> symmetricChannelScales(const std::vector<float>& w, std::int64_t channels, int bits,
                                          double clip = 1.0);

// Fake-quantizes w per output channel (rows of w) with the given scales and zero points.
std::vector<float> fakeQuantizePerChannel(const std::vector<float>& w, const std::vector<float>& scales,
                                          const std::vector<std::int64_t>& zeroPoints, IntRange range);

// Fake-quantizes x with one scale and zero point.
std::vector<float> fakeQuantizePerTensor(const std::vector<float>& x, float scale, std::int64_t zeroPoint,
                                         IntRange range);

// The usual shortcut: symmetric per-channel min-max quantization of a weight to `bits`.
std::vector<float> quantizeWeightSymmetric(const std::vector<float>& w, std::int64_t channels, int bits);

}  // namespace qs
