// weights.safetensors, the container (packed_weights.h): planning the tensors, the header, writing
// atomically, and a reader that names the fault in a damaged file.
#include "core/export/packed_weights.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/base/json_fields.h"
#include "core/base/json_io.h"

// Tensor bytes are copied as they lie in memory; safetensors is little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "packed weights assume a little-endian host");

namespace qs {
namespace {

using nlohmann::json;

const char* const kPackedSuffix = ".weight.packed";
const char* const kScaleSuffix = ".weight.scale";
const char* const kZeroPointSuffix = ".weight.zero_point";
// A corrupted length field must not make us allocate gigabytes (the safetensors library's own limit).
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;

void checkShape(const WeightEntry& e) {
    if (e.name.empty()) throw InputError("a weight entry has no name");
    for (const std::int64_t d : e.shape)
        if (d < 0) throw InputError("tensor " + e.name + " has a negative dimension");
}

// Everything writePackedWeights relies on about a quantized layer; returns its scale layout.
ScaleLayout checkQuantized(const WeightEntry& e) { return checkCodes(e.name, e.shape, *e.quantized); }

// One tensor of the file: its header entry and its bytes (owned, or pointing into an entry).
struct Blob {
    std::string name;
    std::string dtype;
    std::vector<std::int64_t> shape;
    std::size_t elementSize = 4;
    std::size_t bytes = 0;
    const void* external = nullptr;
    std::vector<std::uint8_t> owned;

    const void* data() const { return external ? external : owned.data(); }
};

// The file's tensors in buffer order. With pack false only names, shapes and sizes are filled in.
std::vector<Blob> planBlobs(const std::vector<WeightEntry>& entries, bool pack) {
    std::vector<Blob> blobs;
    for (const WeightEntry& e : entries) {
        throwIfCancelled();  // packing a large model takes a while
        checkShape(e);
        if (!e.quantized) {
            if (std::int64_t(e.values.size()) != e.count())
                throw InputError("tensor " + e.name + ": " + std::to_string(e.values.size()) + " values for shape of " +
                                 std::to_string(e.count()));
            Blob b{e.name, "F32", e.shape, 4, e.values.size() * 4, e.values.data(), {}};
            blobs.push_back(std::move(b));
            continue;
        }
        const QuantizedCodes& q = *e.quantized;
        const ScaleLayout s = checkQuantized(e);
        Blob codes{e.name + kPackedSuffix, "U8", {packedSizeBytes(e.count(), q.bits)}, 1,
                   std::size_t(packedSizeBytes(e.count(), q.bits)), nullptr, {}};
        Blob scales{e.name + kScaleSuffix, "F32", s.shape, 4, q.scales.size() * 4, q.scales.data(), {}};
        Blob zeroPoints{e.name + kZeroPointSuffix, "I32", s.shape, 4, q.zeroPoints.size() * 4, nullptr, {}};
        if (pack) {
            std::vector<std::uint32_t> unsignedCodes(q.codes.size());
            for (std::size_t i = 0; i < q.codes.size(); ++i) {
                if (q.codes[i] < q.range.qmin || q.codes[i] > q.range.qmax)
                    throw InputError("layer " + e.name + ": code " + std::to_string(q.codes[i]) + " at element " +
                                     std::to_string(i) + " is outside [" + std::to_string(q.range.qmin) + ", " +
                                     std::to_string(q.range.qmax) + "]");
                unsignedCodes[i] = std::uint32_t(std::int64_t(q.codes[i]) - q.range.qmin);
            }
            codes.owned = packCodes(unsignedCodes, q.bits);
            zeroPoints.owned.resize(zeroPoints.bytes);
            for (std::size_t i = 0; i < q.zeroPoints.size(); ++i) {
                const auto zp = std::int32_t(q.zeroPoints[i]);
                std::memcpy(zeroPoints.owned.data() + 4 * i, &zp, 4);
            }
        }
        blobs.push_back(std::move(scales));
        blobs.push_back(std::move(zeroPoints));
        blobs.push_back(std::move(codes));
    }
    // Wider dtypes first: with the header padded to 8 bytes every F32/I32 tensor is then aligned.
    std::stable_sort(blobs.begin(), blobs.end(), [](const Blob& a, const Blob& b) { return a.elementSize > b.elementSize; });
    std::set<std::string> names;
    for (const Blob& b : blobs)
        if (!names.insert(b.name).second) throw InputError("tensor name " + b.name + " occurs twice in the weights");
    return blobs;
}

std::string layerMetadata(const WeightEntry& e) {
    const QuantizedCodes& q = *e.quantized;
    json m = {{"bits", q.bits},
              {"qmin", q.range.qmin},
              {"qmax", q.range.qmax},
              {"shape", e.shape},
              {"granularity", granularityName(q.granularity)}};
    if (q.granularity == Granularity::PerGroup) m["group_size"] = q.groupSize;
    return m.dump();
}

// The header as written: JSON padded with spaces to a multiple of 8 bytes.
std::string headerText(const std::vector<WeightEntry>& entries, const std::vector<Blob>& blobs,
                       const std::map<std::string, std::string>& metadata) {
    json header = json::object();
    std::uint64_t offset = 0;
    for (const Blob& b : blobs) {
        header[b.name] = {{"dtype", b.dtype}, {"shape", b.shape}, {"data_offsets", {offset, offset + b.bytes}}};
        offset += b.bytes;
    }
    json meta = json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    for (const WeightEntry& e : entries) {
        if (!e.quantized) continue;
        if (metadata.count(e.name)) throw InputError("metadata key " + e.name + " collides with a layer name");
        meta[e.name] = layerMetadata(e);
    }
    if (!meta.empty()) header["__metadata__"] = meta;
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    return text;
}

PackedSize sizesOf(const std::vector<WeightEntry>& entries, const std::vector<Blob>& blobs, const std::string& header) {
    PackedSize s;
    for (const WeightEntry& e : entries) {
        if (!e.quantized) {
            s.floatBytes += 4 * e.count();
            continue;
        }
        s.codeBytes += packedSizeBytes(e.count(), e.quantized->bits);
        s.quantParamBytes += std::int64_t(e.quantized->scales.size() + e.quantized->zeroPoints.size()) * 4;
    }
    s.headerBytes = 8 + std::int64_t(header.size());
    s.fileBytes = s.headerBytes;
    for (const Blob& b : blobs) s.fileBytes += std::int64_t(b.bytes);
    return s;
}

// ---- reading ----

struct FileTensor {
    std::string dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0, end = 0;
    const std::uint8_t* data = nullptr;
};

std::size_t dtypeSize(const std::string& dtype) {
    if (dtype == "U8" || dtype == "I8") return 1;
    if (dtype == "I16") return 2;
    if (dtype == "F32" || dtype == "I32") return 4;
    if (dtype == "I64") return 8;
    return 0;
}

class Reader {
public:
    explicit Reader(std::string path) : path_(std::move(path)) {}

    [[noreturn]] void fail(const std::string& why) const { throw InputError(path_ + " " + why); }

    PackedWeights read() {
        std::ifstream in(path_, std::ios::binary);
        if (!in) throw InputError("cannot open " + path_ + ": " + std::strerror(errno));
        std::ostringstream content;
        content << in.rdbuf();
        return parse(content.str());
    }

    PackedWeights parse(std::string bytes) {
        file_ = std::move(bytes);
        parseHeader();
        return entries();
    }

private:
    void parseHeader() {
        if (file_.size() < 8) fail("is not a safetensors file: it is shorter than the 8-byte header length");
        std::uint64_t length = 0;
        std::memcpy(&length, file_.data(), 8);
        if (length > kMaxHeaderBytes) fail("is not a safetensors file: its header length field is implausible");
        if (length > file_.size() - 8)
            fail("is truncated: its header claims " + std::to_string(length) + " bytes but only " +
                 std::to_string(file_.size() - 8) + " follow");
        json header;
        try {
            header = json::parse(file_.begin() + 8, file_.begin() + 8 + std::ptrdiff_t(length));
        } catch (const json::exception& e) {
            fail("has a corrupted safetensors header (" + std::string(e.what()) + ")");
        }
        if (!header.is_object()) fail("has a corrupted safetensors header (not a JSON object)");
        const std::uint64_t bufferStart = 8 + length;
        const std::uint64_t bufferSize = file_.size() - bufferStart;
        const JsonField root(header, path_ + " has a corrupted safetensors header");
        for (const auto& [name, value] : root.members()) {
            if (name == "__metadata__") {
                for (const auto& [key, text] : value.members()) metadata_[key] = text.string();
                continue;
            }
            FileTensor t;
            t.dtype = value["dtype"].string();
            t.shape = value["shape"].integers(0);
            const JsonField offsets = value["data_offsets"];
            if (offsets.size() != 2) fail("has invalid data offsets for tensor " + name);
            t.begin = offsets[std::size_t{0}].count(), t.end = offsets[std::size_t{1}].count();
            if (t.begin > t.end) fail("has invalid data offsets for tensor " + name);
            const std::size_t size = dtypeSize(t.dtype);
            if (size == 0) fail("holds tensor " + name + " of unsupported dtype " + t.dtype);
            const std::int64_t count = checkedShapeCount(t.shape);
            if (count < 0 || std::uint64_t(count) > std::numeric_limits<std::uint64_t>::max() / size ||
                std::uint64_t(count) * size != t.end - t.begin)
                fail("is corrupted: tensor " + name + " has " + std::to_string(t.end - t.begin) +
                     " bytes for its shape and dtype " + t.dtype);
            if (t.end > bufferSize)
                fail("is truncated: tensor " + name + " ends at byte " + std::to_string(t.end) +
                     " of the data but only " + std::to_string(bufferSize) + " are there");
            t.data = reinterpret_cast<const std::uint8_t*>(file_.data()) + bufferStart + t.begin;
            tensors_[name] = std::move(t);
        }
        // As the safetensors library requires: tensors tile the buffer without gaps or overlaps.
        std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
        for (const auto& [name, t] : tensors_) spans.emplace_back(t.begin, t.end);
        std::sort(spans.begin(), spans.end());
        std::uint64_t expected = 0;
        for (const auto& [begin, end] : spans) {
            if (begin != expected) fail("is corrupted: its tensor data overlaps or leaves gaps");
            expected = end;
        }
        if (expected != bufferSize)
            fail("is corrupted: " + std::to_string(bufferSize - expected) + " bytes follow the last tensor");
    }

    const FileTensor& tensor(const std::string& name, const std::string& layer) const {
        const auto it = tensors_.find(name);
        if (it == tensors_.end()) fail("lacks tensor " + name + " of quantized layer " + layer);
        return it->second;
    }

    template <typename T>
    static std::vector<T> values(const FileTensor& t) {
        std::vector<T> out(std::size_t(t.end - t.begin) / sizeof(T));
        if (!out.empty()) std::memcpy(out.data(), t.data, out.size() * sizeof(T));
        return out;
    }

    static std::vector<std::int64_t> integers(const FileTensor& t) {
        if (t.dtype == "I8") return widen(values<std::int8_t>(t));
        if (t.dtype == "I16") return widen(values<std::int16_t>(t));
        if (t.dtype == "I32") return widen(values<std::int32_t>(t));
        return values<std::int64_t>(t);
    }

    template <typename T>
    static std::vector<std::int64_t> widen(const std::vector<T>& v) {
        return std::vector<std::int64_t>(v.begin(), v.end());
    }

    WeightEntry quantizedEntry(const std::string& layer) {
        const auto meta = metadata_.find(layer);
        if (meta == metadata_.end()) fail("lacks the __metadata__ entry of quantized layer " + layer);
        WeightEntry e;
        e.name = layer;
        QuantizedCodes q;
        json m;
        try {
            m = json::parse(meta->second);
        } catch (const json::exception& ex) {
            fail("has corrupted metadata for layer " + layer + " (" + ex.what() + ")");
        }
        const JsonField f(m, path_ + " has corrupted metadata for layer " + layer);
        q.bits = int(f["bits"].integer(2, 16));
        q.range = {f["qmin"].integer(INT32_MIN, INT32_MAX), f["qmax"].integer(INT32_MIN, INT32_MAX)};
        e.shape = f["shape"].integers(0);
        // Codes are unpacked into memory: a shape may not claim more weights than 2^40.
        const std::int64_t count = checkedShapeCount(e.shape);
        if (count < 0 || count > (std::int64_t(1) << 40)) f["shape"].fail("describes an impossible number of weights");
        const std::string granularity = f["granularity"].string();
        try {
            q.granularity = parseGranularity(granularity);
        } catch (const InputError& ex) {
            f["granularity"].fail(std::string("is not valid: ") + ex.what());
        }
        if (q.granularity == Granularity::PerGroup) q.groupSize = f["group_size"].integer(1, INT32_MAX);
        metadata_.erase(meta);

        const FileTensor& packed = tensor(layer + kPackedSuffix, layer);
        const FileTensor& scales = tensor(layer + kScaleSuffix, layer);
        const FileTensor& zeroPoints = tensor(layer + kZeroPointSuffix, layer);
        if (packed.dtype != "U8" || scales.dtype != "F32" || zeroPoints.dtype == "U8")
            fail("has wrong dtypes for layer " + layer + " (expected U8 codes, F32 scales, integer zero points)");
        try {
            if (q.bits < 2 || q.bits > 16) throw InputError("bits " + std::to_string(q.bits) + " outside 2..16");
            const std::int64_t count = e.count();
            const ScaleLayout s = scaleLayout(layer, e.shape, q.granularity, q.groupSize);
            if (scales.shape != s.shape || zeroPoints.shape != s.shape)
                throw InputError("scale or zero-point shape does not match the weight's");
            const std::vector<std::uint32_t> raw = unpackCodes(values<std::uint8_t>(packed), count, q.bits);
            q.codes.resize(raw.size());
            for (std::size_t i = 0; i < raw.size(); ++i) {
                const std::int64_t code = q.range.qmin + std::int64_t(raw[i]);
                if (code > q.range.qmax) throw InputError("code " + std::to_string(code) + " above qmax");
                q.codes[i] = std::int32_t(code);
            }
            q.scales = values<float>(scales);
            q.zeroPoints = integers(zeroPoints);
        } catch (const InputError& ex) {
            fail("is corrupted in layer " + layer + ": " + ex.what());
        }
        e.quantized = std::move(q);
        return e;
    }

    PackedWeights entries() {
        std::set<std::string> consumed;
        std::vector<std::pair<std::uint64_t, WeightEntry>> ordered;  // by the offset of the main tensor
        const std::size_t suffix = std::strlen(kPackedSuffix);
        for (const auto& [name, t] : tensors_) {
            if (name.size() <= suffix || name.compare(name.size() - suffix, suffix, kPackedSuffix) != 0) continue;
            const std::string layer = name.substr(0, name.size() - suffix);
            ordered.emplace_back(t.begin, quantizedEntry(layer));
            consumed.insert({name, layer + kScaleSuffix, layer + kZeroPointSuffix});
        }
        for (const auto& [name, t] : tensors_) {
            if (consumed.count(name)) continue;
            if (t.dtype != "F32") fail("holds tensor " + name + " of dtype " + t.dtype + " outside any quantized layer");
            WeightEntry e;
            e.name = name;
            e.shape = t.shape;
            e.values = values<float>(t);
            ordered.emplace_back(t.begin, std::move(e));
        }
        std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        PackedWeights out;
        for (auto& [offset, e] : ordered) out.entries.push_back(std::move(e));
        out.metadata = std::move(metadata_);
        return out;
    }

    std::string path_;
    std::string file_;
    std::map<std::string, FileTensor> tensors_;
    std::map<std::string, std::string> metadata_;
};

}  // namespace

std::int64_t WeightEntry::count() const { return shapeCount(shape); }

std::vector<float> dequantize(const WeightEntry& entry) {
    if (!entry.quantized) return entry.values;
    return dequantizeCodes(entry.name, entry.shape, *entry.quantized);
}

PackedSize packedSize(const std::vector<WeightEntry>& entries, const std::map<std::string, std::string>& metadata) {
    const std::vector<Blob> blobs = planBlobs(entries, false);
    return sizesOf(entries, blobs, headerText(entries, blobs, metadata));
}

PackedSize writePackedWeights(const std::string& path, const std::vector<WeightEntry>& entries,
                              const std::map<std::string, std::string>& metadata) {
    const std::vector<Blob> blobs = planBlobs(entries, true);
    const std::string header = headerText(entries, blobs, metadata);
    const PackedSize sizes = sizesOf(entries, blobs, header);

    std::string file;
    file.reserve(std::size_t(sizes.fileBytes));
    const std::uint64_t length = header.size();
    file.append(reinterpret_cast<const char*>(&length), 8);
    file += header;
    for (const Blob& b : blobs)
        if (b.bytes > 0) file.append(static_cast<const char*>(b.data()), b.bytes);
    writeFileAtomic(path, file);
    return sizes;
}

PackedWeights readPackedWeights(const std::string& path) { return Reader(path).read(); }

PackedWeights parsePackedWeights(const std::string& name, std::string bytes) { return Reader(name).parse(std::move(bytes)); }

}  // namespace qs
