// FileSizeModel (file_size.h): the export files' bytes for bits per layer.
#include "core/allocation/file_size.h"

#include <algorithm>

#include "core/base/errors.h"
#include "core/stats/analysis.h"

namespace qs {
namespace {

// Bounds on safetensors header text (core/export/packed_weights.h): one tensor entry
// "NAME":{"dtype":"F32","shape":[d,...],"data_offsets":[a,b]}, with 20-digit numbers; a layer's
// metadata entry (its name and a JSON string of bits, range, shape, granularity and group size).
constexpr std::int64_t kEntryBytes = 24 + 3 * 21 + 40;
constexpr std::int64_t kLayerMetadataBytes = 200;
constexpr std::int64_t kFileMetadataBytes = 8 + 8 + 300;  // length field, padding, format and speaker

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace

int FileSizeModel::onnxStorageBits(int bits) { return bits <= 4 ? 4 : bits <= 8 ? 8 : bits <= 16 ? 16 : 32; }

FileSizeModel::FileSizeModel(std::int64_t totalParams, const std::vector<std::string>& names,
                             const std::vector<std::vector<std::int64_t>>& shapes, const FileSizeOptions& options)
    : options_(options) {
    if (names.size() != shapes.size()) throw InputError("the file size model needs one shape per layer");
    std::int64_t layerParams = 0;
    std::size_t longest = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (shapes[i].empty())
            throw InputError("layer " + names[i] + " has no weight shape (an analysis from an older quantscope?)");
        const ScaleLayout s = scaleLayout(names[i], shapes[i], options.granularity, options.groupSize);
        const std::int64_t nameBytes = std::int64_t(names[i].size()) + 20;
        layers_.push_back({shapeCount(shapes[i]), s.count(), 3 * (nameBytes + kEntryBytes + 4 * std::int64_t(shapes[i].size())) +
                                                                  nameBytes + kLayerMetadataBytes});
        layerParams += layers_.back().params;
        longest = std::max(longest, names[i].size());
    }
    if (layerParams > totalParams) throw InputError("the layers hold more parameters than the model");
    // Non-layer parameters: 4 bytes each, and at most three tensors (bias, norm weight and bias) per layer.
    fixedBytes_ = 4 * (totalParams - layerParams) + kFileMetadataBytes +
                  3 * std::int64_t(names.size()) * (std::int64_t(longest) + 20 + kEntryBytes);
}

FileSizeModel FileSizeModel::forAnalysis(const Analysis& a, const FileSizeOptions& options) {
    std::vector<std::string> names;
    std::vector<std::vector<std::int64_t>> shapes;
    for (const LayerAnalysis& l : a.layers) {
        names.push_back(l.info.name);
        shapes.push_back(l.info.shape);
    }
    return FileSizeModel(a.model.totalParams, names, shapes, options);
}

std::int64_t FileSizeModel::layerBytes(std::size_t i, int bits) const {
    const Layer& l = layers_.at(i);
    if (bits > 16) return 4 * l.params + l.headerBytes;
    const int w = onnxStorageBits(bits);
    const std::int64_t safetensors = ceilDiv(bits * l.params, 8) + 8 * l.scales;
    const std::int64_t onnx = ceilDiv(w * l.params, 8) + 4 * l.scales + ceilDiv(w * l.scales, 8);
    return std::max(safetensors, onnx) + l.headerBytes;
}

std::int64_t FileSizeModel::sizeBits(const std::vector<int>& bits) const {
    if (bits.size() != layers_.size())
        throw InputError("expected bits for " + std::to_string(layers_.size()) + " layers, got " +
                         std::to_string(bits.size()));
    std::int64_t bytes = fixedBytes_;
    for (std::size_t i = 0; i < bits.size(); ++i) bytes += layerBytes(i, bits[i]);
    return 8 * bytes;
}

double FileSizeModel::sizeMb(const std::vector<int>& bits) const { return mbFromBits(sizeBits(bits)); }

}  // namespace qs
