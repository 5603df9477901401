// labels: unit
// Activation quantizer calibration (core/quantize/activation_calibration.h): minmax reproduces the export's
// original per-tensor arithmetic bit for bit, percentile and mse clip outliers on inputs with a known
// answer, per-embedding-group quantization finds and groups outlier channels, and per-channel
// fake-quantization runs through the model and its exported TorchScript exactly as ATen computes it.
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks LibTorch headers

#include <QtTest>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>

#include "core/quantize/activation_calibration.h"
#include "core/audio/audio_corpus.h"
#include "core/model/clip_runner.h"
#include "core/base/errors.h"
#include "core/model/speech_model.h"
#include "tests/support/audio_files.h"

namespace {

std::string fixture(const std::string& name) { return std::string(QS_FIXTURES_DIR) + "/" + name; }

bool sameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// core/export/quantized_export.cpp's setInputQuantizer before this calibration existed, verbatim.
struct Todays {
    float min, max, scale;
    std::int64_t zeroPoint;
};
Todays todaysQuantizer(float lo, float hi, int bits) {
    lo = std::min(lo, 0.0f);
    hi = std::max(hi, 0.0f);
    const std::int64_t qmax = (std::int64_t(1) << bits) - 1;
    float scale = (hi - lo) / float(qmax);
    if (!(scale > 1e-12f)) scale = 1.0f;
    return {lo, hi, scale, std::clamp<std::int64_t>(std::int64_t(std::nearbyint(-lo / scale)), 0, qmax)};
}

// core/export/quantized_export.cpp's InputRangeSink, verbatim but for the name.
class TodaysRangeSink : public qs::LayerSink {
public:
    explicit TodaysRangeSink(std::size_t layers) : lo(layers, INFINITY), hi(layers, -INFINITY) {}
    void observe(int, const float*, std::size_t, std::size_t, std::size_t) override {}
    bool wantsInputs() const override { return true; }
    void observeInput(int layer, const float* d, std::size_t o, std::size_t c, std::size_t i) override {
        float& l = lo[std::size_t(layer)];
        float& h = hi[std::size_t(layer)];
        for (std::size_t k = 0; k < o * c * i; ++k)
            if (std::isfinite(d[k])) l = std::min(l, d[k]), h = std::max(h, d[k]);
    }
    std::vector<float> lo, hi;
};

void checkToday(const qs::ActivationEncoding& e, float lo, float hi, int bits) {
    const Todays t = todaysQuantizer(lo, hi, bits);
    QVERIFY(e.on);
    QVERIFY(sameBits(e.observedMin, lo) && sameBits(e.observedMax, hi));
    QVERIFY2(sameBits(e.min, t.min) && sameBits(e.max, t.max) && sameBits(e.scale, t.scale),
             qPrintable(QString("%1 %2 %3 vs %4 %5 %6").arg(e.min).arg(e.max).arg(e.scale).arg(t.min).arg(t.max).arg(t.scale)));
    QCOMPARE(e.zeroPoint, t.zeroPoint);
}

// The exact mean squared error of at::fake_quantize_per_tensor_affine over the values.
double exactMse(const std::vector<float>& x, float scale, std::int64_t zp, std::int64_t qmax) {
    const at::Tensor t = torch::from_blob(const_cast<float*>(x.data()), {int64_t(x.size())}, at::kFloat);
    const at::Tensor d = t.to(at::kDouble) - at::fake_quantize_per_tensor_affine(t, scale, zp, 0, qmax).to(at::kDouble);
    return (d * d).mean().item<double>();
}
double exactMse(const std::vector<float>& x, const qs::ActivationEncoding& e) {
    return exactMse(x, e.scale, e.zeroPoint, e.qmax());
}

// Laplace(0, b) samples by inverse transform, deterministic for a seed.
std::vector<float> laplacian(std::size_t n, double b, unsigned seed) {
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> u(-0.5, 0.5);
    std::vector<float> x(n);
    for (float& v : x) {
        const double p = u(gen);
        v = float(-b * (p < 0 ? -1.0 : 1.0) * std::log(1.0 - 2.0 * std::fabs(p)));
    }
    return x;
}

qs::ActivationEncoding calibrate(const std::vector<float>& x, std::size_t channels, std::size_t inner,
                                 const qs::ActivationCalibrationOptions& o) {
    return qs::calibrateInputBlocks({{x.data(), x.size() / (channels * inner), channels, inner}}, o);
}

// [rows][48] values in about ±1.5, channels 5, 17 and 40 forty times wider.
std::vector<float> outlierChannels(std::size_t rows, std::size_t channels, const std::vector<std::size_t>& wide,
                                   float factor) {
    std::mt19937_64 gen(7);
    std::normal_distribution<float> n(0.1f, 0.5f);
    std::vector<float> x(rows * channels);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < channels; ++c) {
            const bool w = std::find(wide.begin(), wide.end(), c) != wide.end();
            x[r * channels + c] = n(gen) * (w ? factor : 1.0f);
        }
    return x;
}

bool sameEncoding(const qs::ActivationEncoding& a, const qs::ActivationEncoding& b) {
    return a.layer == b.layer && a.on == b.on && sameBits(a.min, b.min) && sameBits(a.max, b.max) &&
           sameBits(a.scale, b.scale) && a.zeroPoint == b.zeroPoint && a.mse == b.mse && a.count == b.count &&
           a.outlier == b.outlier && a.groups == b.groups && a.channelGroup == b.channelGroup &&
           a.groupMin == b.groupMin && a.groupMax == b.groupMax && a.groupScale == b.groupScale &&
           a.groupZeroPoint == b.groupZeroPoint && a.groupMse == b.groupMse;
}

// Captures one layer's input and output blocks during a pass.
struct LayerCapture : qs::LayerSink {
    int layer;
    std::vector<float> in, out;
    std::size_t outer = 0, channels = 0, inner = 0;
    explicit LayerCapture(int l) : layer(l) {}
    void observe(int l, const float* d, std::size_t o, std::size_t c, std::size_t i) override {
        if (l == layer) out.assign(d, d + o * c * i);
    }
    bool wantsInputs() const override { return true; }
    void observeInput(int l, const float* d, std::size_t o, std::size_t c, std::size_t i) override {
        if (l != layer) return;
        in.assign(d, d + o * c * i);
        outer = o, channels = c, inner = i;
    }
};

at::Tensor parameter(const qs::SpeechModel& m, const std::string& name) {
    for (const qs::ModelParameter& p : m.parameters())
        if (p.name == name) return torch::from_blob(const_cast<float*>(p.values.data()), p.shape, at::kFloat).clone();
    throw std::runtime_error("no parameter " + name);
}

}  // namespace

class TestActivationCalibration : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::optional<qs::AudioCorpus> corpus_;
    std::optional<qs::SpeechModel> model_;
    std::vector<const qs::Clip*> clips_;

private Q_SLOTS:
    void initTestCase() {
        for (int i = 0; i < 4; ++i) {
            std::vector<float> a = qs::test::sine(16000, 0.7, 140.0 + 110 * i, 0.4);
            const std::vector<float> b = qs::test::sine(16000, 0.7, 1250.0 + 300 * i, 0.2);
            for (std::size_t k = 0; k < a.size(); ++k) a[k] += b[k] * float(k % 800 < 400);
            qs::test::writeAudio((dir_.path() + "/spk" + QString::number(i % 2) + "/c" + QString::number(i) + ".wav").toStdString(),
                                 qs::test::AudioFormat::Wav16, 16000, 1, a);
        }
        corpus_.emplace(qs::AudioCorpus::scan(dir_.path().toStdString()));
        for (const qs::Speaker& s : corpus_->speakers())
            for (const qs::Clip& c : s.clips) clips_.push_back(&c);
        QCOMPARE(clips_.size(), std::size_t(4));
        model_.emplace(qs::SpeechModel::load(fixture("w2v2_traced.pt")));
    }

    void methodNames() {
        for (auto m : {qs::ActivationRange::MinMax, qs::ActivationRange::Percentile, qs::ActivationRange::Mse})
            QCOMPARE(qs::parseActivationRange(qs::activationRangeName(m)), m);
        QCOMPARE(qs::activationRangeName(qs::ActivationRange::Percentile), std::string("percentile"));
        try {
            qs::parseActivationRange("max");
            QFAIL("'max' was accepted");
        } catch (const qs::InputError& e) {
            QCOMPARE(std::string(e.what()), std::string("unknown activation calibration 'max': choose minmax, percentile or mse"));
        }
    }

    void minmaxIsTodaysArithmetic() {
        std::vector<float> mixed = laplacian(5000, 0.7, 3);
        for (float& v : mixed) v += 0.31f;
        mixed[17] = NAN, mixed[99] = INFINITY, mixed[1234] = -INFINITY;
        float lo = INFINITY, hi = -INFINITY;
        for (float v : mixed)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        std::vector<float> positive(3000), negative(3000), tiny(100, 1e-13f), zeros(64, 0.0f);
        for (std::size_t i = 0; i < positive.size(); ++i) positive[i] = 0.5f + 2.5f * float(i) / 2999.0f;
        for (std::size_t i = 0; i < negative.size(); ++i) negative[i] = -0.25f - 1.75f * float(i * 7 % 3000) / 2999.0f;
        for (int bits : {8, 4, 16}) {
            qs::ActivationCalibrationOptions o;
            o.bits = bits;
            checkToday(calibrate(mixed, 5, 1, o), lo, hi, bits);
            checkToday(calibrate(mixed, 1, 5, o), lo, hi, bits);
            checkToday(calibrate(positive, 3, 1, o), 0.5f, 3.0f, bits);
            checkToday(calibrate(negative, 1, 1, o), -2.0f, -0.25f, bits);
            const qs::ActivationEncoding t = calibrate(tiny, 1, 1, o);
            checkToday(t, 1e-13f, 1e-13f, bits);
            QCOMPARE(t.scale, 1.0f);  // degenerate range
            const qs::ActivationEncoding z = calibrate(zeros, 4, 4, o);
            checkToday(z, 0.0f, 0.0f, bits);
            QCOMPARE(z.scale, 1.0f);
            QCOMPARE(z.zeroPoint, std::int64_t(0));
        }
        QVERIFY(!qs::calibrateInputBlocks({}, {}).on);
        const std::vector<float> nan(10, NAN);
        QVERIFY(!calibrate(nan, 1, 1, {}).on);
    }

    void minmaxOnAModelIsTodaysArithmetic() {
        const qs::SpeechModel& m = *model_;
        const std::size_t layers = m.info().layers.size();
        // As quantized_export.cpp ran it: one sink per worker on runClips' threads (the LibTorch
        // thread count per worker must match for the float passes to agree to the last bit).
        std::vector<TodaysRangeSink> sinks(std::size_t(qs::clipWorkers(clips_.size(), 2)), TodaysRangeSink(layers));
        qs::runClips(clips_, 2, [&](int worker, const qs::Clip& clip) {
            m.forwardObserved(corpus_->load(clip), sinks[std::size_t(worker)]);
        }, {});
        TodaysRangeSink today(layers);
        for (std::size_t l = 0; l < layers; ++l)
            for (const auto& s : sinks) today.lo[l] = std::min(today.lo[l], s.lo[l]), today.hi[l] = std::max(today.hi[l], s.hi[l]);

        std::vector<bool> quantize(layers, true);
        quantize[0] = quantize[5] = false;
        qs::Clip missing = *clips_[0];
        missing.path = dir_.path().toStdString() + "/gone.wav";
        std::vector<const qs::Clip*> withBad = clips_;
        withBad.insert(withBad.begin() + 1, &missing);
        qs::ActivationCalibrationOptions o;
        o.threads = 2;
        int used = 0;
        const auto enc = qs::calibrateActivations(m, *corpus_, withBad, quantize, o, {}, &used);
        QCOMPARE(used, 4);  // the missing file is skipped
        QCOMPARE(enc.size(), layers);
        for (std::size_t l = 0; l < layers; ++l) {
            QCOMPARE(enc[l].layer, int(l));
            if (!quantize[l]) {
                QVERIFY(!enc[l].on);
                continue;
            }
            checkToday(enc[l], today.lo[l], today.hi[l], 8);
            const qs::ActivationQuant q = enc[l].quant();
            QCOMPARE(q.layer, int(l));
            QVERIFY(sameBits(q.scale, enc[l].scale));
            QCOMPARE(q.zeroPoint, enc[l].zeroPoint);
            QCOMPARE(q.qmin, std::int64_t(0));
            QCOMPARE(q.qmax, std::int64_t(255));
            QCOMPARE(q.channelScales.size(), enc[l].groups > 0 ? enc[l].channels : 0);
        }
    }

    void percentileAndMseClipOutliers() {
        // Laplace(0, 1) plus four huge outliers at +60, at 6 bits.
        std::vector<float> x = laplacian(400000, 1.0, 11);
        x.insert(x.end(), {60.0f, 60.0f, 60.0f, 60.0f});
        qs::ActivationCalibrationOptions o;
        o.bits = 6;
        o.groups = 0;
        const qs::ActivationEncoding mm = calibrate(x, 4, 1, o);
        o.method = qs::ActivationRange::Percentile;
        const qs::ActivationEncoding pc = calibrate(x, 4, 1, o);
        o.method = qs::ActivationRange::Mse;
        const qs::ActivationEncoding ms = calibrate(x, 4, 1, o);
        QCOMPARE(mm.max, 60.0f);  // minmax keeps the outliers

        // Percentile: the sketch's order statistics (within 0.4%) and Laplace's ln(5000) = 8.517.
        std::vector<float> sorted = x;
        std::sort(sorted.begin(), sorted.end());
        const double n1 = double(sorted.size() - 1);
        const float pLo = sorted[std::size_t(std::floor(0.0001 * n1))], pHi = sorted[std::size_t(std::floor(0.9999 * n1))];
        QVERIFY2(std::fabs(pc.max - pHi) <= 0.004 * pHi && std::fabs(pc.min - pLo) <= 0.004 * -pLo,
                 qPrintable(QString("%1 %2 vs %3 %4").arg(pc.min).arg(pc.max).arg(pLo).arg(pHi)));
        QVERIFY(std::fabs(pc.max - std::log(5000.0)) < 0.6 && std::fabs(pc.min + std::log(5000.0)) < 0.6);

        // Mse: clips the outliers, and its range is at least as good as the best joint factor
        // found by brute force on the exact values.
        QVERIFY2(ms.max > 4.0f && ms.max < 20.0f, qPrintable(QString::number(ms.max)));
        const double eMm = exactMse(x, mm), ePc = exactMse(x, pc), eMs = exactMse(x, ms);
        double bestJoint = INFINITY;
        for (int f = 1; f <= 100; ++f) {
            const Todays t = todaysQuantizer(mm.min * float(f) / 100.0f, mm.max * float(f) / 100.0f, 6);
            bestJoint = std::min(bestJoint, exactMse(x, t.scale, t.zeroPoint, 63));
        }
        qInfo("6-bit Laplace(1) + 4 outliers at 60: MSE minmax %.5f [%.3f, %.3f], percentile %.5f [%.3f, %.3f], "
              "mse %.5f [%.3f, %.3f]; best joint factor by brute force %.5f",
              eMm, mm.min, mm.max, ePc, pc.min, pc.max, eMs, ms.min, ms.max, bestJoint);
        QVERIFY(eMs < 0.5 * eMm);
        QVERIFY(eMs <= ePc);
        QVERIFY(eMs <= 1.01 * bestJoint);
        // The sketch's estimates of the error agree with the exact values.
        for (const auto* e : {&mm, &pc, &ms}) {
            const double exact = exactMse(x, *e);
            QVERIFY2(std::fabs(e->mse - exact) <= 0.02 * exact, qPrintable(QString("%1 vs %2").arg(e->mse).arg(exact)));
        }
        // p = 100 is minmax.
        o.method = qs::ActivationRange::Percentile;
        o.percentile = 100;
        const qs::ActivationEncoding all = calibrate(x, 4, 1, o);
        QVERIFY(sameBits(all.max, mm.max) && sameBits(all.min, mm.min) && sameBits(all.scale, mm.scale));
    }

    void mseEstimateOfAUniformInput() {
        // Uniform on [0, 1) at 8 bits: every step's error is uniform, MSE = (1/255)² / 12.
        std::vector<float> x(100000);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i) / float(x.size());
        const qs::ActivationEncoding e = calibrate(x, 1, 1, {});
        const double step = double(e.scale), expected = step * step / 12.0;
        QVERIFY2(std::fabs(e.mse - expected) < 0.02 * expected, qPrintable(QString("%1 vs %2").arg(e.mse).arg(expected)));
        QVERIFY(std::fabs(exactMse(x, e) - expected) < 0.02 * expected);
        qs::ActivationCalibrationOptions o;
        o.method = qs::ActivationRange::Mse;
        const qs::ActivationEncoding m = calibrate(x, 1, 1, o);
        QVERIFY(m.max > 0.98f && m.max <= e.max);  // nothing worth clipping
        QVERIFY(m.mse <= e.mse);
    }

    void pegFindsAndGroupsOutlierChannels() {
        const std::vector<std::size_t> wide{5, 17, 40};
        const std::vector<float> x = outlierChannels(400, 48, wide, 40.0f);
        qs::ActivationCalibrationOptions o;
        const qs::ActivationEncoding e = calibrate(x, 48, 1, o);
        QVERIFY(e.outlier);
        QCOMPARE(e.channels, std::size_t(48));
        QVERIFY(e.maxChannelRange > 20 * e.medianChannelRange);
        QCOMPARE(e.groups, 6);
        std::vector<float> lo(48, INFINITY), hi(48, -INFINITY), range(48);
        for (std::size_t i = 0; i < x.size(); ++i) lo[i % 48] = std::min(lo[i % 48], x[i]), hi[i % 48] = std::max(hi[i % 48], x[i]);
        for (std::size_t c = 0; c < 48; ++c) range[c] = std::max(hi[c], 0.0f) - std::min(lo[c], 0.0f);
        QCOMPARE(e.maxChannelRange, *std::max_element(range.begin(), range.end()));
        std::vector<int> members(6, 0);
        for (std::size_t c = 0; c < 48; ++c) {
            ++members[std::size_t(e.channelGroup[c])];
            for (std::size_t d = 0; d < 48; ++d)  // range-based permutation
                if (range[c] < range[d]) QVERIFY(e.channelGroup[c] <= e.channelGroup[d]);
        }
        QCOMPARE(members, std::vector<int>(6, 8));
        for (std::size_t c : wide) QCOMPARE(e.channelGroup[c], 5);
        // minmax groups: the members' extremes, quantized as today's per-tensor arithmetic does.
        for (int g = 0; g < 6; ++g) {
            float gl = INFINITY, gh = -INFINITY;
            for (std::size_t c = 0; c < 48; ++c)
                if (e.channelGroup[c] == g) gl = std::min(gl, lo[c]), gh = std::max(gh, hi[c]);
            const Todays t = todaysQuantizer(gl, gh, 8);
            QVERIFY(sameBits(e.groupMin[std::size_t(g)], t.min) && sameBits(e.groupMax[std::size_t(g)], t.max));
            QVERIFY(sameBits(e.groupScale[std::size_t(g)], t.scale));
            QCOMPARE(e.groupZeroPoint[std::size_t(g)], t.zeroPoint);
            if (g < 5) QVERIFY(e.groupScale[std::size_t(g)] * 10 < e.groupScale[5]);
        }
        QCOMPARE(e.groupMse, -1.0);  // minmax groups need no second pass
        const qs::ActivationQuant q = e.quant();
        QCOMPARE(q.channelScales.size(), std::size_t(48));
        for (std::size_t c = 0; c < 48; ++c) {
            QCOMPARE(q.channelScales[c], e.groupScale[std::size_t(e.channelGroup[c])]);
            QCOMPARE(q.channelZeroPoints[c], e.groupZeroPoint[std::size_t(e.channelGroup[c])]);
        }

        // Without outliers: per tensor unless forced; groups = 0 turns PEG off; K is at most C.
        const std::vector<float> plain = outlierChannels(400, 48, {}, 1.0f);
        const qs::ActivationEncoding p = calibrate(plain, 48, 1, o);
        QVERIFY(!p.outlier && p.groups == 0 && p.quant().channelScales.empty());
        o.groupsAllLayers = true;
        QCOMPARE(calibrate(plain, 48, 1, o).groups, 6);
        o.groups = 100;
        const qs::ActivationEncoding each = calibrate(plain, 48, 1, o);
        QCOMPARE(each.groups, 48);
        QCOMPARE(each.groupScale.size(), std::size_t(48));
        const std::vector<float> one(100, 0.5f);
        QCOMPARE(calibrate(one, 1, 1, o).groups, 0);  // one channel: nothing to group
        o.groupsAllLayers = false;
        o.groups = 0;
        const qs::ActivationEncoding off = calibrate(x, 48, 1, o);
        QVERIFY(off.outlier && off.groups == 0);
        o.groups = 6;
        o.outlierRatio = 100;  // 40x channels are then within the ratio
        QVERIFY(!calibrate(x, 48, 1, o).outlier);

        // Convolution layout [outer][channels][inner]: channel 3 of 12 is the outlier.
        std::vector<float> conv(2 * 12 * 50);
        for (std::size_t i = 0; i < conv.size(); ++i)
            conv[i] = float(std::sin(0.37 * double(i))) * ((i / 50) % 12 == 3 ? 30.0f : 1.0f);
        const qs::ActivationEncoding c = qs::calibrateInputBlocks({{conv.data(), 2, 12, 50}}, qs::ActivationCalibrationOptions{});
        QVERIFY(c.outlier);
        QCOMPARE(c.groups, 6);
        QCOMPARE(c.channelGroup[3], 5);
        QVERIFY(std::fabs(c.groupMax[5] - 30.0f) < 0.1f && c.groupMax[0] < 1.01f);
    }

    void pegGroupsFollowTheRangeMethod() {
        std::vector<float> x = outlierChannels(2000, 48, {5, 17, 40}, 40.0f);
        x[777 * 48 + 17] = 400.0f;  // one spike in an outlier channel
        qs::ActivationCalibrationOptions o;
        const qs::ActivationEncoding mm = calibrate(x, 48, 1, o);
        o.method = qs::ActivationRange::Mse;
        const qs::ActivationEncoding ms = calibrate(x, 48, 1, o);
        o.method = qs::ActivationRange::Percentile;
        o.percentile = 99.9;
        const qs::ActivationEncoding pc = calibrate(x, 48, 1, o);
        QCOMPARE(ms.channelGroup, mm.channelGroup);  // grouping comes from the channel extremes
        QCOMPARE(pc.channelGroup, mm.channelGroup);
        QCOMPARE(mm.groupMax[5], 400.0f);
        // The percentile clips the spike; one spike in 16,000 values costs mse less kept than clipped.
        QVERIFY(pc.groupMax[5] < 100.0f);
        QVERIFY(ms.groupMax[5] > 300.0f && ms.groupMax[5] <= mm.groupMax[5]);
        QVERIFY(ms.groupMse >= 0 && pc.groupMse >= 0);
        QVERIFY(ms.groupMse < 0.5 * ms.mse);  // PEG beats one range for all channels
        // The mse groups' quantizers: exact error of the grouped quantizer below the percentile one's.
        auto groupedMse = [&](const qs::ActivationEncoding& e) {
            const qs::ActivationQuant q = e.quant();
            const at::Tensor t = torch::from_blob(x.data(), {2000, 48}, at::kFloat);
            const at::Tensor s = torch::from_blob(const_cast<float*>(q.channelScales.data()), {48}, at::kFloat);
            std::vector<int32_t> z(q.channelZeroPoints.begin(), q.channelZeroPoints.end());
            const at::Tensor zt = torch::from_blob(z.data(), {48}, at::kInt);
            const at::Tensor d = t.to(at::kDouble) - at::fake_quantize_per_channel_affine(t, s, zt, 1, 0, 255).to(at::kDouble);
            return (d * d).mean().item<double>();
        };
        qInfo("PEG, 48 channels, 3 at 40x and a 400 spike: grouped MSE minmax %.3g, percentile 99.9 %.3g, mse %.3g "
              "(estimated %.3g); per-tensor mse %.3g",
              groupedMse(mm), groupedMse(pc), groupedMse(ms), ms.groupMse, exactMse(x, ms));
        QVERIFY(groupedMse(ms) <= groupedMse(mm));
        QVERIFY(groupedMse(ms) <= groupedMse(pc) * 1.01);
        QVERIFY(std::fabs(ms.groupMse - groupedMse(ms)) < 0.05 * groupedMse(ms));
    }

    void perChannelFakeQuantIsAtensOwn() {
        const qs::SpeechModel& m = *model_;
        const std::vector<float> wave = corpus_->load(*clips_[1]);
        // Layer 1: conv_layers.1.conv (16 -> 16, kernel 3, stride 2, bias); layer 3: the feature
        // projection (linear 16 -> 32). Each gets a per-channel quantizer with uneven parameters.
        for (int layer : {1, 3}) {
            qs::ActivationQuant q{layer, 1.0f, 0, 0, 255};
            for (int c = 0; c < 16; ++c) {
                q.channelScales.push_back(0.003f + 0.0011f * float((c * 5) % 7));
                q.channelZeroPoints.push_back(90 + (c * 13) % 70);
            }
            LayerCapture cap(layer);
            const qs::ModelOutput quantized = m.forwardWithWeights(wave, {}, &cap, {q});
            QVERIFY(quantized.values != m.forward(wave).values);
            QCOMPARE(cap.channels, std::size_t(16));
            const at::Tensor s = torch::from_blob(q.channelScales.data(), {16}, at::kFloat);
            std::vector<int32_t> z(q.channelZeroPoints.begin(), q.channelZeroPoints.end());
            const at::Tensor zt = torch::from_blob(z.data(), {16}, at::kInt);
            const std::string name = m.info().layers[std::size_t(layer)].name;
            const at::Tensor w = parameter(m, name + ".weight"), b = parameter(m, name + ".bias");
            at::Tensor y;
            if (layer == 1) {
                const at::Tensor x = torch::from_blob(cap.in.data(), {int64_t(cap.outer), 16, int64_t(cap.inner)}, at::kFloat);
                y = at::conv1d(at::fake_quantize_per_channel_affine(x, s, zt, 1, 0, 255), w, b, at::IntArrayRef{2});
            } else {
                const at::Tensor x = torch::from_blob(cap.in.data(), {1, int64_t(cap.outer), 16}, at::kFloat);
                y = at::linear(at::fake_quantize_per_channel_affine(x, s, zt, 2, 0, 255), w, b);
            }
            y = y.contiguous();
            QCOMPARE(std::size_t(y.numel()), cap.out.size());
            QVERIFY2(std::equal(cap.out.begin(), cap.out.end(), y.data_ptr<float>()), name.c_str());  // bit for bit
        }
    }

    void calibratedPegOnAModel() {
        const qs::SpeechModel& m = *model_;
        const std::size_t layers = m.info().layers.size();
        const std::vector<bool> all(layers, true);
        qs::ActivationCalibrationOptions o;
        o.method = qs::ActivationRange::Mse;
        // The fixture's random weights give no structured outliers: its largest max/median channel
        // range is 4.6 (layers.0 output_dense), so the default ratio of 8 flags nothing; 3 flags three.
        const auto plain = qs::calibrateActivations(m, *corpus_, clips_, all, o);
        QVERIFY(std::none_of(plain.begin(), plain.end(), [](const auto& e) { return e.outlier || e.groups > 0; }));
        o.outlierRatio = 3;
        o.threads = 1;
        const auto one = qs::calibrateActivations(m, *corpus_, clips_, all, o);
        o.threads = 2;
        const auto two = qs::calibrateActivations(m, *corpus_, clips_, all, o);
        std::vector<std::string> flagged;
        for (std::size_t l = 0; l < layers; ++l) {
            QVERIFY2(sameEncoding(one[l], two[l]), m.info().layers[l].name.c_str());  // whatever the threads
            QVERIFY(one[l].on && one[l].mse >= 0);
            QVERIFY(one[l].maxChannelRange < 4.6f * one[l].medianChannelRange);
            if (!one[l].outlier) continue;
            flagged.push_back(m.info().layers[l].name);
            QCOMPARE(one[l].groups, 6);
            QVERIFY(one[l].groupMse >= 0 && one[l].groupMse <= one[l].mse);
        }
        const std::string t = "model.encoder.transformer.layers.";
        QCOMPARE(flagged, (std::vector<std::string>{t + "0.attention.out_proj", t + "0.feed_forward.output_dense",
                                                    t + "1.feed_forward.output_dense"}));

        // Every layer grouped, percentile ranges: the exported model computes what forwardWithWeights does.
        o.method = qs::ActivationRange::Percentile;
        o.groupsAllLayers = true;
        const auto grouped = qs::calibrateActivations(m, *corpus_, clips_, all, o);
        std::vector<qs::ActivationQuant> acts;
        for (const auto& e : grouped) {
            QVERIFY(e.groups > 0 || e.channels == 1);
            acts.push_back(e.quant());
        }
        const std::vector<float> wave = corpus_->load(*clips_[2]);
        const qs::ModelOutput mine = m.forwardWithWeights(wave, {}, nullptr, acts);
        QVERIFY(mine.values != m.forward(wave).values);
        const std::string out = (dir_.path() + "/peg.pt").toStdString();
        m.exportQuantized(out, {}, acts);
        const qs::ModelOutput theirs = qs::SpeechModel::load(out).forward(wave);
        QCOMPARE(theirs.shape, mine.shape);
        QVERIFY(theirs.values == mine.values);  // bit for bit
    }

    void errorsAndCancellation() {
        const qs::SpeechModel& m = *model_;
        const std::vector<bool> all(m.info().layers.size(), true);
        qs::ActivationCalibrationOptions o;
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(qs::Cancelled, qs::calibrateActivations(m, *corpus_, clips_, all, o,
                                                                         [&](const qs::Progress&) { return ++calls < 2; }));
        QVERIFY(calls >= 2);
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::calibrateActivations(m, *corpus_, {}, all, o));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::calibrateActivations(m, *corpus_, clips_, {true}, o));
        qs::Clip missing = *clips_[0];
        missing.path = dir_.path().toStdString() + "/gone.wav";
        int used = -1;
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::calibrateActivations(m, *corpus_, {&missing}, all, o, {}, &used));
        QCOMPARE(used, 0);
        for (auto bad : {1, 17}) {
            qs::ActivationCalibrationOptions b;
            b.bits = bad;
            QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::calibrateInputBlocks({}, b));
        }
        qs::ActivationCalibrationOptions b;
        b.percentile = 40;
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::calibrateInputBlocks({}, b));
        b = {};
        b.outlierRatio = 0.5;
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::calibrateInputBlocks({}, b));
        const std::vector<float> x(24, 1.0f);
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::calibrateInputBlocks({{x.data(), 2, 3, 4}, {x.data(), 4, 6, 1}}, {}));
    }
};

QTEST_APPLESS_MAIN(TestActivationCalibration)
#include "test_activation_calibration.moc"
