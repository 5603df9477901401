// myQASR's size model: size = Σ over all parameters of bits / 8 × count, in MiB (2^20 bytes).
// Weights of quantizable layers carry their allocated bits; every other parameter (biases, norms,
// the weights of excluded layers) stays at 32 bits. Sizes are kept as exact integer bit counts and
// turned into MiB by one shared function, so every caller compares the very same doubles.
#pragma once

#include <cstdint>
#include <vector>

namespace qs {

struct ModelInfo;

inline constexpr int kFloatBits = 32;
inline constexpr double kBitsPerMb = 8.0 * 1024.0 * 1024.0;

// Exact for any bit count below 2^53: dividing by a power of two only shifts the exponent.
inline double mbFromBits(std::int64_t bits) { return double(bits) / kBitsPerMb; }

class SizeModel {
public:
    SizeModel() = default;
    // totalParams counts every parameter of the model; layerParams the weight elements of each
    // quantizable layer, in network order. Throws InputError when a layer has no parameters or the
    // layers hold more parameters than the model.
    SizeModel(std::int64_t totalParams, std::vector<std::int64_t> layerParams);
    static SizeModel fromModel(const ModelInfo& model);

    std::int64_t totalParams() const { return totalParams_; }
    std::size_t layerCount() const { return layerParams_.size(); }
    std::int64_t layerParams(std::size_t i) const { return layerParams_[i]; }
    const std::vector<std::int64_t>& allLayerParams() const { return layerParams_; }

    // bits holds one entry per layer. Throws InputError on a wrong length or bits outside 1..32.
    std::int64_t sizeBits(const std::vector<int>& bits) const;
    std::int64_t floatBits() const { return std::int64_t(kFloatBits) * totalParams_; }

    double sizeMb(const std::vector<int>& bits) const { return mbFromBits(sizeBits(bits)); }
    double floatSizeMb() const { return mbFromBits(floatBits()); }

    // Σ params_i × bits_i / Σ params_i over the quantizable layers (excluded ones count at 32).
    double averageBits(const std::vector<int>& bits) const;
    // The plain mean of the layers' bits, each layer counting once whatever its size.
    double plainAverageBits(const std::vector<int>& bits) const;
    // Float size over quantized size (1 when nothing is quantized).
    double compressionRatio(const std::vector<int>& bits) const;

private:
    void check(const std::vector<int>& bits) const;

    std::int64_t totalParams_ = 0;
    std::vector<std::int64_t> layerParams_;
};

}  // namespace qs
