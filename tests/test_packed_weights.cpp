// labels: unit
// links: qs_export
// weights.safetensors: bit packing at every width 2..16, bit-exact file round trips, dequantization
// equal to core/quantizer's fake-quantization, a header that is valid safetensors (parsed here by
// hand), the exact file size, and clear errors on invalid entries and corrupted or truncated files.
#include <QtTest>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/base/errors.h"
#include "core/export/packed_weights.h"
#include "core/quantize/quantizer.h"

namespace {

using nlohmann::json;

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeBytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::int64_t product(const std::vector<std::int64_t>& shape) {
    std::int64_t n = 1;
    for (const auto d : shape) n *= d;
    return n;
}

std::vector<float> randomFloats(std::size_t n, std::mt19937& rng, float sd = 0.05f) {
    std::normal_distribution<float> normal(0.0f, sd);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

qs::WeightEntry floatEntry(const std::string& name, std::vector<std::int64_t> shape, std::mt19937& rng) {
    qs::WeightEntry e;
    e.name = name;
    e.shape = std::move(shape);
    e.values = randomFloats(std::size_t(product(e.shape)), rng, 1.0f);
    return e;
}

// A layer with random codes over the whole range and random scales / zero points.
qs::WeightEntry randomLayer(const std::string& name, std::vector<std::int64_t> shape, int bits, qs::IntRange range,
                            qs::Granularity g, std::int64_t groupSize, std::mt19937& rng) {
    qs::WeightEntry e;
    e.name = name;
    e.shape = std::move(shape);
    qs::QuantizedCodes& q = e.quantized.emplace();
    q.bits = bits;
    q.range = range;
    q.granularity = g;
    q.groupSize = groupSize;
    std::uniform_int_distribution<std::int64_t> code(range.qmin, range.qmax);
    q.codes.resize(std::size_t(product(e.shape)));
    for (auto& c : q.codes) c = std::int32_t(code(rng));
    if (!q.codes.empty()) q.codes.front() = std::int32_t(range.qmin), q.codes.back() = std::int32_t(range.qmax);
    const std::int64_t row = e.shape.empty() ? 1 : product(e.shape) / e.shape[0];
    const std::size_t nScales = g == qs::Granularity::PerTensor    ? 1
                                : g == qs::Granularity::PerChannel ? std::size_t(e.shape[0])
                                                                   : std::size_t(e.shape[0] * ((row + groupSize - 1) / groupSize));
    std::uniform_real_distribution<float> scale(1e-4f, 0.1f);
    for (std::size_t i = 0; i < nScales; ++i) q.scales.push_back(scale(rng)), q.zeroPoints.push_back(code(rng));
    return e;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

void compareEntries(const qs::WeightEntry& expected, const qs::WeightEntry& got) {
    QCOMPARE(got.name, expected.name);
    QCOMPARE(got.shape, expected.shape);
    QCOMPARE(bool(got.quantized), bool(expected.quantized));
    if (!expected.quantized) {
        QVERIFY(sameBits(got.values, expected.values));
        return;
    }
    const qs::QuantizedCodes &a = *expected.quantized, &b = *got.quantized;
    QCOMPARE(b.bits, a.bits);
    QCOMPARE(b.range.qmin, a.range.qmin);
    QCOMPARE(b.range.qmax, a.range.qmax);
    QCOMPARE(b.granularity, a.granularity);
    QCOMPARE(b.groupSize, a.groupSize);
    QCOMPARE(b.codes, a.codes);
    QVERIFY(sameBits(b.scales, a.scales));
    QCOMPARE(b.zeroPoints, a.zeroPoints);
}

// The safetensors header, parsed without core/: {length, json}.
std::pair<std::uint64_t, json> parseHeader(const std::string& bytes) {
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    return {n, json::parse(bytes.substr(8, std::size_t(n)))};
}

// Runs f and returns the InputError message it throws (empty when it throws none).
template <typename F>
std::string inputError(F&& f) {
    try {
        f();
    } catch (const qs::InputError& e) {
        return e.what();
    }
    return {};
}

}  // namespace

class TestPackedWeights : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    std::string path(const char* name) const { return (dir_.path() + "/" + name).toStdString(); }

    // A model-like set of entries at one width: floats, and layers of every granularity with
    // element counts that are not multiples of 8.
    std::vector<qs::WeightEntry> modelEntries(int bits, std::mt19937& rng) {
        const qs::IntRange sym = qs::signedRange(bits);
        const qs::IntRange asym{0, (std::int64_t(1) << bits) - 1};
        return {floatEntry("encoder.fc1.bias", {5}, rng),
                randomLayer("encoder.fc1", {5, 7}, bits, sym, qs::Granularity::PerChannel, 0, rng),
                randomLayer("encoder.conv", {3, 2, 5}, bits, asym, qs::Granularity::PerChannel, 0, rng),
                floatEntry("encoder.norm.weight", {3}, rng),
                randomLayer("head", {4, 13}, bits, sym, qs::Granularity::PerGroup, 4, rng),
                randomLayer("tiny", {1, 1}, bits, asym, qs::Granularity::PerTensor, 0, rng),
                randomLayer("proj", {9, 1}, bits, sym, qs::Granularity::PerTensor, 0, rng)};
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void packsLsbFirst() {
        // 3 bits: 1 = 001, 2 = 010, 7 = 111 → stream bits 0..8 = 1 0 0 | 0 1 0 | 1 1 1.
        QCOMPARE(qs::packCodes({1, 2, 7}, 3), (std::vector<std::uint8_t>{0xD1, 0x01}));
        QCOMPARE(qs::packCodes({0x1, 0xF, 0x3}, 4), (std::vector<std::uint8_t>{0xF1, 0x03}));
        QCOMPARE(qs::packCodes({0xABCD, 0x1234}, 16), (std::vector<std::uint8_t>{0xCD, 0xAB, 0x34, 0x12}));
        QCOMPARE(qs::packCodes({0x5A5}, 12), (std::vector<std::uint8_t>{0xA5, 0x05}));
        QCOMPARE(qs::packedSizeBytes(3, 3), std::int64_t(2));
        QCOMPARE(qs::packedSizeBytes(0, 5), std::int64_t(0));
        QCOMPARE(qs::packedSizeBytes(8, 5), std::int64_t(5));
        QCOMPARE(qs::packedSizeBytes(9, 5), std::int64_t(6));
    }

    void packRoundTripEveryWidth() {
        std::mt19937 rng(1);
        for (int bits = 2; bits <= 16; ++bits)
            for (const std::size_t n : {0, 1, 3, 7, 8, 9, 13, 37, 1001}) {
                std::uniform_int_distribution<std::uint32_t> value(0, (1u << bits) - 1);
                std::vector<std::uint32_t> v(n);
                for (auto& x : v) x = value(rng);
                const std::vector<std::uint8_t> packed = qs::packCodes(v, bits);
                QCOMPARE(std::int64_t(packed.size()), qs::packedSizeBytes(std::int64_t(n), bits));
                QCOMPARE(qs::unpackCodes(packed, std::int64_t(n), bits), v);
            }
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::unpackCodes({1, 2}, 3, 8));
    }

    void fileRoundTripEveryWidth() {
        for (int bits = 2; bits <= 16; ++bits) {
            std::mt19937 rng(std::uint32_t(100 + bits));
            const std::vector<qs::WeightEntry> entries = modelEntries(bits, rng);
            const std::string file = path("round_trip.safetensors");
            const std::map<std::string, std::string> extra{{"model", "demo.pt"}, {"format", "pt"}};
            const qs::PackedSize written = qs::writePackedWeights(file, entries, extra);
            const qs::PackedWeights back = qs::readPackedWeights(file);

            // Floats first, then the quantized layers, each in the order written.
            QCOMPARE(back.entries.size(), entries.size());
            const std::vector<std::size_t> order{0, 3, 1, 2, 4, 5, 6};
            for (std::size_t i = 0; i < order.size(); ++i) {
                compareEntries(entries[order[i]], back.entries[i]);
                QVERIFY(sameBits(qs::dequantize(back.entries[i]), qs::dequantize(entries[order[i]])));
            }
            QCOMPARE(back.metadata, extra);
            QCOMPARE(std::int64_t(QFileInfo(QString::fromStdString(file)).size()), written.fileBytes);
            QCOMPARE(qs::packedSize(entries, extra).fileBytes, written.fileBytes);
        }
    }

    void dequantizedEqualsFakeQuantize() {
        std::mt19937 rng(5);
        const std::vector<std::int64_t> shape{6, 11};
        const std::vector<float> w = randomFloats(66, rng);
        for (int bits = 2; bits <= 16; ++bits) {
            // Symmetric, the default weight quantizer.
            const qs::IntRange sym = qs::signedRange(bits);
            const std::vector<float> scales = qs::symmetricChannelScales(w, 6, bits);
            const std::vector<std::int64_t> zeros(6, 0);
            // Asymmetric with non-zero zero points, to exercise q − zp.
            const qs::IntRange asym{0, (std::int64_t(1) << bits) - 1};
            std::vector<std::int64_t> zps(6);
            for (std::size_t c = 0; c < 6; ++c) zps[c] = (std::int64_t(1) << (bits - 1)) + std::int64_t(c) - 3;

            for (const auto& [range, zp] : {std::make_pair(sym, zeros), std::make_pair(asym, zps)}) {
                qs::WeightEntry e;
                e.name = "layer";
                e.shape = shape;
                e.quantized = qs::quantizeCodes(w, shape, bits, range, qs::Granularity::PerChannel, 0, scales, zp);
                const std::string file = path("fq.safetensors");
                qs::writePackedWeights(file, {e});
                const std::vector<float> fromFile = qs::dequantize(qs::readPackedWeights(file).entries.at(0));
                const std::vector<float> expected = qs::fakeQuantizePerChannel(w, scales, zp, range);
                QVERIFY2(sameBits(fromFile, expected), qPrintable(QString("%1 bits").arg(bits)));
            }
        }
    }

    void perGroupAndPerTensorEqualFakeQuantize() {
        std::mt19937 rng(9);
        const std::vector<float> w = randomFloats(48, rng);
        const qs::IntRange r = qs::signedRange(4);
        // Per group of 3 along each of 4 rows of 12 = per channel over the 16 rows of a [16, 3] view.
        const std::vector<float> groupScales = qs::symmetricChannelScales(w, 16, 4);
        const std::vector<std::int64_t> zeros16(16, 0);
        qs::WeightEntry g;
        g.name = "g";
        g.shape = {4, 12};
        g.quantized = qs::quantizeCodes(w, g.shape, 4, r, qs::Granularity::PerGroup, 3, groupScales, zeros16);
        QVERIFY(sameBits(qs::dequantize(g), qs::fakeQuantizePerChannel(w, groupScales, zeros16, r)));
        // Per tensor = fakeQuantizePerTensor.
        qs::WeightEntry t;
        t.name = "t";
        t.shape = {4, 12};
        t.quantized = qs::quantizeCodes(w, t.shape, 4, r, qs::Granularity::PerTensor, 0, {0.013f}, {1});
        QVERIFY(sameBits(qs::dequantize(t), qs::fakeQuantizePerTensor(w, 0.013f, 1, r)));
        // A last group shorter than the rest: rows of 7 in groups of 4 → scales [2 rows × 2 groups].
        qs::WeightEntry s;
        s.name = "s";
        s.shape = {2, 7};
        std::vector<float> w14(w.begin(), w.begin() + 14);
        const std::vector<float> sc{0.01f, 0.02f, 0.03f, 0.04f};
        s.quantized = qs::quantizeCodes(w14, s.shape, 4, r, qs::Granularity::PerGroup, 4, sc, {0, 0, 0, 0});
        const std::vector<float> d = qs::dequantize(s);
        const std::vector<std::size_t> scaleOf{0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3};
        for (std::size_t i = 0; i < 14; ++i)
            QVERIFY(sameBits({d[i]}, qs::fakeQuantizePerTensor({w14[i]}, sc[scaleOf[i]], 0, r)));
    }

    void isValidSafetensors() {
        std::mt19937 rng(3);
        const std::vector<qs::WeightEntry> entries = modelEntries(5, rng);
        const std::string file = path("valid.safetensors");
        const qs::PackedSize size = qs::writePackedWeights(file, entries);
        const std::string bytes = readBytes(file);
        const auto [n, header] = parseHeader(bytes);
        QCOMPARE(bytes[8], '{');
        QCOMPARE((8 + n) % 8, std::uint64_t(0));  // padded: F32 data aligned
        QVERIFY(header.is_object());

        std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
        std::int64_t expectedSize = std::int64_t(8 + n);
        for (const auto& [name, t] : header.items()) {
            if (name == "__metadata__") continue;
            const std::string dtype = t.at("dtype");
            QVERIFY2(dtype == "U8" || dtype == "F32" || dtype == "I32", qPrintable(QString::fromStdString(name)));
            const auto begin = t.at("data_offsets")[0].get<std::uint64_t>(), end = t.at("data_offsets")[1].get<std::uint64_t>();
            const std::int64_t count = product(t.at("shape").get<std::vector<std::int64_t>>());
            QCOMPARE(std::int64_t(end - begin), count * (dtype == "U8" ? 1 : 4));
            if (dtype != "U8") QCOMPARE((8 + n + begin) % 4, std::uint64_t(0));
            spans.emplace_back(begin, end);
            expectedSize += std::int64_t(end - begin);
        }
        std::sort(spans.begin(), spans.end());
        QCOMPARE(spans.front().first, std::uint64_t(0));
        for (std::size_t i = 1; i < spans.size(); ++i) QCOMPARE(spans[i].first, spans[i - 1].second);
        QCOMPARE(8 + n + spans.back().second, std::uint64_t(bytes.size()));
        QCOMPARE(expectedSize, std::int64_t(bytes.size()));

        // One layer as the format promises it.
        const json& packed = header.at("encoder.fc1.weight.packed");
        QCOMPARE(packed.at("dtype").get<std::string>(), std::string("U8"));
        QCOMPARE(packed.at("shape"), json::array({qs::packedSizeBytes(35, 5)}));
        QCOMPARE(header.at("encoder.fc1.weight.scale").at("shape"), json::array({5}));
        QCOMPARE(header.at("encoder.fc1.weight.zero_point").at("dtype").get<std::string>(), std::string("I32"));
        QCOMPARE(header.at("head.weight.scale").at("shape"), json::array({4, 4}));  // 13 in groups of 4
        QCOMPARE(header.at("encoder.norm.weight").at("dtype").get<std::string>(), std::string("F32"));
        const json meta = json::parse(header.at("__metadata__").at("encoder.fc1").get<std::string>());
        QCOMPARE(meta.at("bits").get<int>(), 5);
        QCOMPARE(meta.at("qmin").get<int>(), -16);
        QCOMPARE(meta.at("qmax").get<int>(), 15);
        QCOMPARE(meta.at("shape"), json::array({5, 7}));
        QCOMPARE(meta.at("granularity").get<std::string>(), std::string("per_channel"));
        const json group = json::parse(header.at("__metadata__").at("head").get<std::string>());
        QCOMPARE(group.at("granularity").get<std::string>(), std::string("per_group"));
        QCOMPARE(group.at("group_size").get<int>(), 4);

        // Size: Σ ceil(bits × count / 8) + 4 × (scales + zero points + floats) + header.
        std::int64_t codes = 0, params = 0, floats = 0;
        for (const qs::WeightEntry& e : entries)
            if (e.quantized)
                codes += (5 * e.count() + 7) / 8, params += 4 * std::int64_t(2 * e.quantized->scales.size());
            else
                floats += 4 * e.count();
        QCOMPARE(size.codeBytes, codes);
        QCOMPARE(size.quantParamBytes, params);
        QCOMPARE(size.floatBytes, floats);
        QCOMPARE(size.headerBytes, std::int64_t(8 + n));
        QCOMPARE(size.fileBytes, codes + params + floats + std::int64_t(8 + n));
        QCOMPARE(size.fileBytes, std::int64_t(bytes.size()));
    }

    void sizeOfALargeLayerIsNearTheSizeModel() {
        // A 512 × 512 layer at 4 bits: the file exceeds the size model's bits × count / 8 only by its
        // 512 scales and zero points and the header.
        std::mt19937 rng(4);
        const qs::WeightEntry e = randomLayer("big", {512, 512}, 4, qs::signedRange(4), qs::Granularity::PerChannel, 0, rng);
        const qs::PackedSize s = qs::writePackedWeights(path("big.safetensors"), {e});
        const std::int64_t sizeModel = 512 * 512 * 4 / 8;
        QCOMPARE(s.codeBytes, sizeModel);
        QCOMPARE(s.fileBytes - sizeModel, 512 * 8 + s.headerBytes);
        QVERIFY(double(s.fileBytes) / double(sizeModel) < 1.04);
    }

    void rejectsInvalidEntries() {
        std::mt19937 rng(6);
        const qs::IntRange r = qs::signedRange(4);
        const qs::WeightEntry good = randomLayer("l", {3, 5}, 4, r, qs::Granularity::PerChannel, 0, rng);
        const std::string file = path("invalid.safetensors");
        qs::writePackedWeights(file, {good});
        const std::string before = readBytes(file);

        auto bad = good;
        bad.quantized->codes[4] = 8;  // above qmax 7
        QVERIFY(inputError([&] { qs::writePackedWeights(file, {bad}); }).find("outside [-8, 7]") != std::string::npos);
        bad = good;
        bad.quantized->range = {-16, 15};  // 5 bits of range in 4
        QVERIFY(!inputError([&] { qs::writePackedWeights(file, {bad}); }).empty());
        bad = good;
        bad.quantized->bits = 17;
        QVERIFY(!inputError([&] { qs::writePackedWeights(file, {bad}); }).empty());
        bad = good;
        bad.quantized->scales.pop_back();
        QVERIFY(!inputError([&] { qs::writePackedWeights(file, {bad}); }).empty());
        bad = good;
        bad.quantized->codes.pop_back();
        QVERIFY(!inputError([&] { qs::writePackedWeights(file, {bad}); }).empty());
        qs::WeightEntry clash = floatEntry("l.weight.scale", {3}, rng);
        QVERIFY(inputError([&] { qs::writePackedWeights(file, {good, clash}); }).find("twice") != std::string::npos);
        QVERIFY(!inputError([&] { qs::writePackedWeights(file, {good}, {{"l", "x"}}); }).empty());
        qs::WeightEntry shortFloat = floatEntry("b", {3}, rng);
        shortFloat.values.pop_back();
        QVERIFY(!inputError([&] { qs::writePackedWeights(file, {shortFloat}); }).empty());

        // Nothing was written: the earlier file is intact and no temporary file is left.
        QCOMPARE(readBytes(file), before);
        QCOMPARE(QDir(dir_.path()).entryList({"invalid.safetensors*"}, QDir::Files).size(), qsizetype(1));
    }

    void rejectsTruncatedFiles() {
        std::mt19937 rng(8);
        const std::string file = path("whole.safetensors");
        qs::writePackedWeights(file, modelEntries(3, rng));
        const std::string bytes = readBytes(file);
        const std::uint64_t n = parseHeader(bytes).first;
        const std::string cut = path("cut.safetensors");
        for (const std::size_t length : {std::size_t(0), std::size_t(5), std::size_t(8), std::size_t(8 + n / 2),
                                         std::size_t(8 + n), std::size_t(8 + n + 3), bytes.size() - 1}) {
            writeBytes(cut, bytes.substr(0, length));
            const std::string message = inputError([&] { qs::readPackedWeights(cut); });
            QVERIFY2(message.find(cut) == 0, qPrintable(QString::fromStdString(message)));
            QVERIFY2(message.find("truncated") != std::string::npos || message.find("not a safetensors") != std::string::npos,
                     qPrintable(QString::fromStdString(message)));
        }
        QVERIFY(inputError([&] { qs::readPackedWeights(path("missing.safetensors")); }).find("cannot open") == 0);
    }

    void rejectsCorruptedFiles() {
        std::mt19937 rng(10);
        const std::string file = path("good.safetensors");
        qs::writePackedWeights(file, modelEntries(6, rng));
        const std::string bytes = readBytes(file);
        const std::string bad = path("bad.safetensors");

        // Each corruption keeps the header's length, so only the named fault is wrong.
        const auto corrupt = [&](const std::string& from, const std::string& to) -> std::string {
            std::string b = bytes;
            const std::size_t at = b.find(from);
            if (at == std::string::npos || at >= 8 + parseHeader(bytes).first) return "test error: no " + from + " in the header";
            b.replace(at, from.size(), to);
            writeBytes(bad, b);
            return inputError([&] { qs::readPackedWeights(bad); });
        };
        const auto says = [](const std::string& message, const char* what) {
            if (message.find(what) != std::string::npos) return true;
            qWarning("unexpected message: %s", message.c_str());
            return false;
        };
        QVERIFY(says(corrupt("{", "x"), "corrupted safetensors header"));
        QVERIFY(says(corrupt("\"U8\"", "\"Q8\""), "unsupported dtype Q8"));
        QVERIFY(says(corrupt("\\\"bits\\\"", "\\\"bitz\\\""), "corrupted metadata for layer"));
        QVERIFY(says(corrupt("\\\"granularity\\\":\\\"per_channel\\\"", "\\\"granularity\\\":\\\"per_chann3l\\\""),
                     "unknown quantization granularity"));
        QVERIFY(says(corrupt("\\\"bits\\\":6", "\\\"bits\\\":7"), "is corrupted in layer"));
        QVERIFY(says(corrupt("\"data_offsets\":[0,", "\"data_offsets\":[1,"), "corrupted"));
        QVERIFY(says(corrupt("\"__metadata__\"", "\"__metadata_x\""), "corrupted safetensors header"));

        // A wrong length field and trailing bytes.
        std::string b = bytes;
        const std::uint64_t huge = std::uint64_t(1) << 40;
        std::memcpy(b.data(), &huge, 8);
        writeBytes(bad, b);
        QVERIFY(says(inputError([&] { qs::readPackedWeights(bad); }), "header length"));
        writeBytes(bad, bytes + "xyz");
        QVERIFY(says(inputError([&] { qs::readPackedWeights(bad); }), "3 bytes follow the last tensor"));
        writeBytes(bad, "not a safetensors file at all");
        QVERIFY(!inputError([&] { qs::readPackedWeights(bad); }).empty());
    }
};

QTEST_APPLESS_MAIN(TestPackedWeights)
#include "test_packed_weights.moc"
