// labels: unit
// links: qs_allocation
// The export files' size model (allocate --fit-files): hand-worked byte counts per storage width and
// granularity, and an allocation that fits the files walks myQASR's chain of states, stopping at the
// first whose files' size is below the target, with allocation.json keeping both sizes.
#include <QtTest>

#include "core/allocation/allocation.h"
#include "core/allocation/allocation_io.h"
#include "core/allocation/file_size.h"
#include "core/base/errors.h"

namespace {

// Two layers: a [64, 32] linear weight (2048 elements) and a [16, 8, 3] conv weight (384), plus
// 500 other parameters.
qs::FileSizeModel tiny(qs::Granularity g = qs::Granularity::PerChannel, std::int64_t group = 16) {
    return qs::FileSizeModel(2048 + 384 + 500, {"lin", "conv"}, {{64, 32}, {16, 8, 3}}, {g, group});
}

qs::Analysis tinyAnalysis() {
    qs::Analysis a;
    a.model.totalParams = 16384 + 3072 + 500;
    for (auto [name, shape] : std::vector<std::pair<std::string, std::vector<std::int64_t>>>{
             {"lin", {256, 64}}, {"conv", {64, 16, 3}}}) {
        qs::LayerAnalysis l;
        l.info.name = name;
        l.info.kind = shape.size() == 2 ? "linear" : "conv1d";
        l.info.shape = shape;
        l.info.params = qs::shapeCount(shape);
        qs::StatsSummary st;
        st.median_abs = name == "lin" ? 2.0 : 1.0;
        l.stats[qs::kAllSpeakers] = st;
        a.layers.push_back(l);
    }
    return a;
}

}  // namespace

class TestFileSize : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void storageWidths() {
        QCOMPARE(qs::FileSizeModel::onnxStorageBits(2), 4);
        QCOMPARE(qs::FileSizeModel::onnxStorageBits(3), 4);
        QCOMPARE(qs::FileSizeModel::onnxStorageBits(4), 4);
        QCOMPARE(qs::FileSizeModel::onnxStorageBits(5), 8);
        QCOMPARE(qs::FileSizeModel::onnxStorageBits(8), 8);
        QCOMPARE(qs::FileSizeModel::onnxStorageBits(9), 16);
        QCOMPARE(qs::FileSizeModel::onnxStorageBits(17), 32);
    }

    // Per layer, the larger of the two files' bytes, header entries apart (they do not depend on bits).
    void layerBytes_data() {
        QTest::addColumn<int>("granularity");
        QTest::addColumn<int>("bits");
        QTest::addColumn<qint64>("linBytes");  // the [64, 32] layer, header entries apart
        // 3 bits, per channel: safetensors 768 + 8 * 64 = 1280; ONNX (INT4) 1024 + 256 + 32 = 1312.
        QTest::newRow("3 bits, channel") << int(qs::Granularity::PerChannel) << 3 << qint64(1312);
        // 4 bits: safetensors 1024 + 512 = 1536 wins over ONNX's 1024 + 256 + 32.
        QTest::newRow("4 bits, channel") << int(qs::Granularity::PerChannel) << 4 << qint64(1536);
        // 5 bits: ONNX stores INT8: 2048 + 256 + 64 = 2368 > safetensors 1280 + 512.
        QTest::newRow("5 bits, channel") << int(qs::Granularity::PerChannel) << 5 << qint64(2368);
        // 12 bits: INT16: 4096 + 256 + 128 = 4480 > 3072 + 512.
        QTest::newRow("12 bits, channel") << int(qs::Granularity::PerChannel) << 12 << qint64(4480);
        // per tensor, 8 bits: one scale: max(2048 + 8, 2048 + 4 + 1).
        QTest::newRow("8 bits, tensor") << int(qs::Granularity::PerTensor) << 8 << qint64(2056);
        // per group of 16: 64 × 2 = 128 scales; 4 bits: safetensors 1024 + 1024 > ONNX 1024 + 512 + 64.
        QTest::newRow("4 bits, group 16") << int(qs::Granularity::PerGroup) << 4 << qint64(2048);
        // float above 16 bits.
        QTest::newRow("17 bits: float") << int(qs::Granularity::PerChannel) << 17 << qint64(8192);
    }
    void layerBytes() {
        QFETCH(int, granularity);
        QFETCH(int, bits);
        QFETCH(qint64, linBytes);
        const qs::FileSizeModel m = tiny(qs::Granularity(granularity));
        const std::int64_t header = m.layerBytes(0, 32) - 4 * 2048;
        QVERIFY(header > 3 * int(std::string("lin").size()));
        QCOMPARE(qint64(m.layerBytes(0, bits) - header), linBytes);
        // The total: both layers and the fixed part, in bits.
        const std::int64_t fixed = m.sizeBits({32, 32}) / 8 - m.layerBytes(0, 32) - m.layerBytes(1, 32);
        QVERIFY(fixed >= 4 * 500);
        QCOMPARE(m.sizeBits({bits, 7}) / 8, fixed + m.layerBytes(0, bits) + m.layerBytes(1, 7));
    }

    void rejectsMissingShapes() {
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::FileSizeModel(10, {"a"}, {{}}, {}));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::FileSizeModel(10, {"a"}, {{4, 4}}, {}));  // 16 > 10
    }

    // The same chain of states as Algorithm 1, stopped by the files' size: the literal loop and the
    // curve agree, every state before the answer is at or above the target, the answer below it.
    void fitFilesAllocation() {
        const qs::Analysis a = tinyAnalysis();
        qs::AllocationRequest plain;
        qs::AllocationRequest fit;
        fit.settings.fitFiles = std::make_shared<qs::FileSizeModel>(qs::FileSizeModel::forAnalysis(a, {}));
        const qs::SizeModel size = qs::sizeModelFor(a);
        const std::vector<double> scores{2.0, 1.0};
        const qs::BudgetCurve curve = qs::BudgetCurve::build(size, scores, fit.settings);
        const qs::BudgetCurve myqasr = qs::BudgetCurve::build(size, scores, plain.settings);
        QCOMPARE(curve.steps(), myqasr.steps());
        for (double target : {0.06, 0.045, 0.035, 0.028, 0.024, 0.021}) {
            fit.targetMb = plain.targetMb = target;
            const qs::Allocation f = qs::allocateAnalysis(a, fit), p = qs::allocateAnalysis(a, plain);
            QVERIFY(f.fitFiles && !p.fitFiles);
            QVERIFY(f.filesMb < target);
            QCOMPARE(f.sizeMb, size.sizeMb(f.bits()));  // the size model's figure is still reported
            QCOMPARE(qs::allocate(size, scores, fit.settings, target), f.bits());
            const int step = curve.lookupStep(target);
            QCOMPARE(curve.bitsAt(step), f.bits());
            for (int k = 0; k < step; ++k) QVERIFY(curve.sizeMbAt(k) >= target);
            // Fitting the files never leaves more bits than myQASR's size model does.
            for (std::size_t l = 0; l < 2; ++l) QVERIFY(f.bits()[l] <= p.bits()[l]);
            // allocation.json keeps both sizes and the granularity counted.
            const qs::Allocation back = qs::allocationFromJson(qs::toJson(f));
            QVERIFY(back.fitFiles);
            QCOMPARE(back.filesMb, f.filesMb);
            QCOMPARE(back.fileSize.granularity, qs::Granularity::PerChannel);
            QVERIFY(!qs::allocationFromJson(qs::toJson(p)).fitFiles);
        }
    }
};

QTEST_GUILESS_MAIN(TestFileSize)
#include "test_file_size.moc"
