// myQASR's size model: MiB of a model at given bits per layer.
#include "core/allocation/size_model.h"

#include <string>
#include <utility>

#include "core/base/errors.h"
#include "core/model/model_info.h"

namespace qs {

SizeModel::SizeModel(std::int64_t totalParams, std::vector<std::int64_t> layerParams)
    : totalParams_(totalParams), layerParams_(std::move(layerParams)) {
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < layerParams_.size(); ++i) {
        if (layerParams_[i] < 1)
            throw InputError("quantizable layer #" + std::to_string(i) + " has no parameters");
        sum += layerParams_[i];
    }
    if (sum > totalParams_)
        throw InputError("the quantizable layers hold " + std::to_string(sum) +
                         " parameters, more than the model's total of " + std::to_string(totalParams_));
}

SizeModel SizeModel::fromModel(const ModelInfo& model) {
    std::vector<std::int64_t> params;
    params.reserve(model.layers.size());
    for (const LayerInfo& l : model.layers) {
        if (l.params < 1) throw InputError("layer " + l.name + " has no parameters");
        params.push_back(l.params);
    }
    return SizeModel(model.totalParams, std::move(params));
}

void SizeModel::check(const std::vector<int>& bits) const {
    if (bits.size() != layerParams_.size())
        throw InputError("expected bits for " + std::to_string(layerParams_.size()) + " layers, got " +
                         std::to_string(bits.size()));
    for (int b : bits)
        if (b < 1 || b > kFloatBits)
            throw InputError("a layer's bits must be 1 to 32, not " + std::to_string(b));
}

std::int64_t SizeModel::sizeBits(const std::vector<int>& bits) const {
    check(bits);
    // Start from the float model and take away what each layer saves.
    std::int64_t size = floatBits();
    for (std::size_t i = 0; i < bits.size(); ++i) size -= layerParams_[i] * (kFloatBits - bits[i]);
    return size;
}

double SizeModel::averageBits(const std::vector<int>& bits) const {
    check(bits);
    std::int64_t weighted = 0, params = 0;
    for (std::size_t i = 0; i < bits.size(); ++i) {
        weighted += layerParams_[i] * bits[i];
        params += layerParams_[i];
    }
    return params ? double(weighted) / double(params) : double(kFloatBits);
}

double SizeModel::plainAverageBits(const std::vector<int>& bits) const {
    check(bits);
    if (bits.empty()) return kFloatBits;
    double sum = 0;
    for (int b : bits) sum += b;
    return sum / double(bits.size());
}

double SizeModel::compressionRatio(const std::vector<int>& bits) const {
    const std::int64_t size = sizeBits(bits);
    return size ? double(floatBits()) / double(size) : 1.0;
}

}  // namespace qs
