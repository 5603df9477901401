// The cost model of learned rounding, and which layers it can handle.
#include "core/quantize/rounding_estimate.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace qs {
namespace {

// Measured on this project's 2-core machine (bench_rounding's per-layer "model" column against the
// layers' own times on the 94M benchmark model, 2026-12-02; README, "Learned rounding"): one core's
// sgemm throughput on large products (output errors, H by syrk, GPTQ's lazy updates), LAPACK's
// Cholesky plus triangular inverse per chunk³, GPTQ's in-block updates per multiply-add; AdaRound's
// products on 256-row minibatches through autograd (a grouped convolution's as a batched matmul of
// skinny products, much slower), and its elementwise work per weight and iteration (sigmoid, clamps,
// autograd and Adam). With these the 94M model's GPTQ layers sum to 60.8 s against 57.9 s measured,
// each kind of layer within 30%.
constexpr double kFlops = 100e9;
constexpr double kFactorFlops = 16e9;
constexpr double kScalarSeconds = 0.3e-9;
constexpr double kAdaRoundFlops = 40e9;
constexpr double kAdaRoundGroupedFlops = 7e9;
constexpr double kElementSeconds = 30e-9;

std::int64_t spatialDims(const LayerInfo& l) { return std::int64_t(l.shape.size()) - 2; }

}  // namespace

bool roundable(const LayerInfo& l) {
    if (l.kind == "linear") return l.shape.size() == 2;
    return (l.kind == "conv1d" || l.kind == "conv2d") && l.geometryKnown && l.groups >= 1 && spatialDims(l) >= 1 &&
           spatialDims(l) <= 2 && l.stride.size() == std::size_t(spatialDims(l)) && l.padBegin.size() == l.stride.size() &&
           l.padEnd.size() == l.stride.size() && l.dilation.size() == l.stride.size();
}

double sampleBytes(const LayerInfo& l, std::int64_t rowsPerClip, std::size_t clips, std::int64_t width) {
    if (!roundable(l)) return 0.0;
    const double n = double(clips);
    if (l.kind == "linear") return 4.0 * n * double(rowsPerClip) * double(l.shape[1]);
    const double channels = double(l.shape[1] * l.groups);
    const double extent = double(l.dilation[0] * (l.shape[2] - 1) + 1);
    if (spatialDims(l) == 1) return 4.0 * n * channels * (double(rowsPerClip - 1) * double(l.stride[0]) + extent);
    const double across = std::max(1.0, double(width) / double(l.stride[1]));
    const double rows = std::ceil(double(rowsPerClip) / across);
    return 4.0 * n * channels * (rows * double(l.stride[0]) + extent) * double(width + l.padBegin[1] + l.padEnd[1]);
}

double roundingCost(const LayerInfo& l, WeightRounding method, const LearnedRoundingOptions& o, std::int64_t rows) {
    if (method == WeightRounding::Nearest || !roundable(l)) return 0.0;
    const double params = double(l.params), n = double(std::max<std::int64_t>(1, rows));
    const double groups = l.kind == "linear" ? 1.0 : double(l.groups);
    const double length = params / double(l.shape[0]), perGroup = double(l.shape[0]) / groups;
    const double check = 8.0 * n * params / kFlops;  // targets and the two output errors
    if (method == WeightRounding::AdaRound) {
        const double batch = std::min(n, double(o.adaround.batchRows));
        const double rate = groups > 1.0 ? kAdaRoundGroupedFlops : kAdaRoundFlops;
        return check + double(o.adaround.iterations) * (params * kElementSeconds + 4.0 * batch * params / rate);
    }
    // Chunks as gptqGroup cuts them: whole ones of maxColumns, then the rest (per-group scales keep
    // chunks to whole groups; that difference is left out).
    const double limit = double(std::max(1, o.gptq.maxColumns));
    double perGroupSeconds = 0.0;
    for (double start = 0.0; start < length; start += limit) {
        const double chunk = std::min(limit, length - start);
        // H by syrk (n·chunk² multiply-adds), one Cholesky factorisation and one triangular inverse,
        // the lazy block updates, the in-block updates.
        perGroupSeconds += 1.0 * n * chunk * chunk / kFlops + 1.0 * chunk * chunk * chunk / kFactorFlops +
                           2.0 * perGroup * chunk * chunk / kFlops +
                           perGroup * chunk * double(o.gptq.blockSize) * 0.5 * kScalarSeconds;
    }
    return check + groups * perGroupSeconds;
}

double estimateRoundingSeconds(const std::vector<LayerInfo>& layers, const std::vector<int>& bits,
                               const LearnedRoundingOptions& o, int calibrationClips, int threads, double passSeconds,
                               const std::vector<double>& rowsPerClip) {
    if (o.method == WeightRounding::Nearest) return 0.0;
    const std::size_t clips = std::size_t(std::max(1, calibrationClips));
    const std::int64_t perClip = (std::int64_t(rowsPerLayer(o)) + std::int64_t(clips) - 1) / std::int64_t(clips);
    double seconds = 0.0, bytes = 0.0;
    int learned = 0, passes = 0;
    for (std::size_t l = 0; l < layers.size() && l < bits.size(); ++l) {
        if (bits[l] < 2 || bits[l] > 16 || !roundable(layers[l])) continue;
        const double offered = l < rowsPerClip.size() && rowsPerClip[l] > 0.0 ? std::ceil(rowsPerClip[l]) : double(perClip);
        const std::int64_t taken = std::max<std::int64_t>(1, std::min<std::int64_t>(perClip, std::int64_t(offered)));
        seconds += roundingCost(layers[l], o.method, o, std::min<std::int64_t>(rowsPerLayer(o), taken * std::int64_t(clips)));
        const double b = sampleBytes(layers[l], taken, clips);
        if (passes == 0 || bytes + b > o.sampleMb * 1048576.0) ++passes, bytes = 0.0;
        bytes += b;
        ++learned;
    }
    if (learned == 0) return 0.0;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int workers = std::max(1, std::min(learned, threads > 0 ? threads : int(cores)));
    if (o.sequential) passes = learned;  // at most: layers sharing their input share a stage
    return seconds / double(workers) + double(passes) * passSeconds;
}

}  // namespace qs
