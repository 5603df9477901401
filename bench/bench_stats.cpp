// Throughput and footprint of qs::ActivationStats on activations shaped like wav2vec2-base's
// quantizable layers for one 4 s clip at 16 kHz (~30M output elements): 7 feature-extractor convs
// [1, 512, T], the feature projection, and 12 transformer layers (q, k, v, out [1, 199, 768],
// FFN [1, 199, 3072] and [1, 199, 768]). Single-threaded, each layer with its own accumulator,
// as the instrumented forward pass does.
//
//   build/bench/bench_stats [rounds]      (default 5; the best round is reported)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <time.h>

#include "core/stats/activation_stats.h"

namespace {

// Thread CPU time rather than wall time: on a shared machine, time spent descheduled is not ours.
double cpuSeconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double secondsSince(double t0) { return cpuSeconds() - t0; }

// One layer output: data laid out [outer][channels][inner] as ActivationStats::add expects.
struct Tensor {
    std::string shape;
    std::size_t outer, channels, inner;
    std::vector<float> data;
};

// Per-channel scale and offset around a Gaussian, so channels differ as real layers' do; a few
// channels carry ×100 outliers in transformer outputs (the structure per-embedding-group
// quantization targets).
Tensor makeTensor(std::mt19937& rng, std::size_t outer, std::size_t channels, std::size_t inner,
                  float mean, int outlierChannels, double zeroFraction = 0.0) {
    Tensor t{"", outer, channels, inner, std::vector<float>(outer * channels * inner)};
    t.shape = inner == 1 ? "[1," + std::to_string(outer) + "," + std::to_string(channels) + "]"
                         : "[" + std::to_string(outer) + "," + std::to_string(channels) + "," + std::to_string(inner) + "]";
    std::normal_distribution<float> normal;
    std::lognormal_distribution<float> scaleDist(0.0f, 0.5f);
    std::uniform_real_distribution<double> uniform;
    std::vector<float> scale(channels);
    for (auto& s : scale) s = scaleDist(rng);
    for (int k = 0; k < outlierChannels; ++k) scale[(k * 257 + 11) % channels] *= 100.0f;
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t c = 0; c < channels; ++c)
            for (std::size_t i = 0; i < inner; ++i) {
                float v = scale[c] * (normal(rng) + mean);
                if (zeroFraction > 0 && uniform(rng) < zeroFraction) v = 0.0f;
                t.data[(o * channels + c) * inner + i] = v;
            }
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    std::mt19937 rng(1234);

    // Distinct shapes once; layers with the same shape share data but not accumulators.
    std::vector<Tensor> tensors;
    tensors.reserve(16);
    std::size_t frames = 12799;  // conv0 output length for 64000 samples
    for (int k = 0; k < 7; ++k) {
        tensors.push_back(makeTensor(rng, 1, 512, frames, 0.1f, 0));
        frames = (frames - 1) / 2;  // kernel 3 or 2, stride 2
    }
    const std::size_t tokens = tensors.back().inner;
    const std::size_t convCount = tensors.size();
    tensors.push_back(makeTensor(rng, tokens, 768, 1, 0.0f, 0));       // q, k, v, feature projection
    tensors.push_back(makeTensor(rng, tokens, 768, 1, 0.0f, 3));       // out_proj, FFN2: outlier channels
    tensors.push_back(makeTensor(rng, tokens, 3072, 1, -0.5f, 0));     // FFN1 (pre-GELU)
    tensors.push_back(makeTensor(rng, tokens, 3072, 1, 0.5f, 0, 0.6)); // ReLU-like: 60% exact zeros
    const Tensor& qkv = tensors[convCount];
    const Tensor& outProj = tensors[convCount + 1];
    const Tensor& ffn1 = tensors[convCount + 2];
    const Tensor& relu = tensors[convCount + 3];

    // The model's quantizable layers in forward order: 7 convs, the feature projection, then per
    // transformer layer q, k, v, out_proj, FFN1, FFN2.
    std::vector<const Tensor*> layers;
    for (std::size_t k = 0; k < convCount; ++k) layers.push_back(&tensors[k]);
    layers.push_back(&qkv);
    for (int l = 0; l < 12; ++l)
        for (const Tensor* t : {&qkv, &qkv, &qkv, &outProj, &ffn1, &outProj}) layers.push_back(t);
    std::size_t totalElements = 0;
    for (const Tensor* t : layers) totalElements += t->data.size();

    // Floor for comparison: one vectorized read of every element (max |y|, 8 lanes).
    double readBest = 1e30;
    volatile float sink = 0;
    for (int r = 0; r < rounds; ++r) {
        const double t0 = cpuSeconds();
        for (const Tensor* t : layers) {
            float lanes[8] = {};
            const std::vector<float>& x = t->data;
            for (std::size_t i = 0; i + 8 <= x.size(); i += 8)
                for (int j = 0; j < 8; ++j) lanes[j] = std::max(lanes[j], std::fabs(x[i + j]));
            sink = sink + *std::max_element(lanes, lanes + 8);
        }
        readBest = std::min(readBest, secondsSince(t0));
    }

    // add(): best round, with per-shape totals.
    double addBest = 1e30;
    std::map<std::string, double> shapeSeconds, shapeBest;
    std::map<std::string, std::size_t> shapeElements;
    std::vector<qs::ActivationStats> stats;
    for (int r = 0; r < rounds; ++r) {
        std::vector<qs::ActivationStats> fresh(layers.size());
        shapeSeconds.clear();
        double total = 0;
        for (std::size_t k = 0; k < layers.size(); ++k) {
            const Tensor& t = *layers[k];
            const double t0 = cpuSeconds();
            fresh[k].add(t.data.data(), t.outer, t.channels, t.inner);
            const double s = secondsSince(t0);
            total += s;
            shapeSeconds[t.shape] += s;
            if (r == 0) shapeElements[t.shape] += t.data.size();
        }
        for (const auto& [shape, s] : shapeSeconds)
            shapeBest[shape] = r == 0 ? s : std::min(shapeBest[shape], s);
        if (total < addBest) {
            addBest = total;
            stats = std::move(fresh);
        }
    }

    // ReLU-like output (60% zeros hit one bin over and over), timed apart from the model mix.
    double reluBest = 1e30;
    for (int r = 0; r < rounds; ++r) {
        qs::ActivationStats a;
        const double t0 = cpuSeconds();
        for (int k = 0; k < 12; ++k) a.add(relu.data.data(), relu.outer, relu.channels, relu.inner);
        reluBest = std::min(reluBest, secondsSince(t0) / (12.0 * relu.data.size()));
    }

    // merge(): fold every layer's accumulator into a copy of itself, as per-speaker → `all` does.
    double mergeBest = 1e30;
    for (int r = 0; r < rounds; ++r) {
        std::vector<qs::ActivationStats> targets(layers.size());
        for (std::size_t k = 0; k < layers.size(); ++k) targets[k].merge(stats[k]);
        const double t0 = cpuSeconds();
        for (std::size_t k = 0; k < layers.size(); ++k) targets[k].merge(stats[k]);
        mergeBest = std::min(mergeBest, secondsSince(t0) / layers.size());
    }

    double summaryBest = 1e30;
    for (int r = 0; r < rounds; ++r) {
        const double t0 = cpuSeconds();
        for (const auto& s : stats) {
            const qs::StatsSummary sum = s.summary();
            sink = sink + float(sum.median_abs);
        }
        summaryBest = std::min(summaryBest, secondsSince(t0) / stats.size());
    }

    std::size_t memMin = SIZE_MAX, memMax = 0, memTotal = 0;
    for (const auto& s : stats) {
        memMin = std::min(memMin, s.memoryBytes());
        memMax = std::max(memMax, s.memoryBytes());
        memTotal += s.memoryBytes();
    }

    std::printf("ActivationStats benchmark: %zu layers, %.1fM elements per pass, best of %d rounds, 1 thread\n",
                layers.size(), totalElements / 1e6, rounds);
    std::printf("\nadd() by output shape:\n");
    for (const auto& [shape, s] : shapeBest)
        std::printf("  %-20s %8.2fM elements  %6.3f ns/element\n", shape.c_str(), shapeElements[shape] / 1e6,
                    1e9 * s / shapeElements[shape]);
    std::printf("  %-20s %8s           %6.3f ns/element (60%% exact zeros)\n", relu.shape.c_str(), "relu-like",
                1e9 * reluBest);
    std::printf("\nadd(), whole model mix:     %6.3f ns/element  (%.1f ms per pass)\n", 1e9 * addBest / totalElements,
                1e3 * addBest);
    std::printf("one read pass (max |y|):     %6.3f ns/element  (%.1f ms)\n", 1e9 * readBest / totalElements,
                1e3 * readBest);
    std::printf("vs a 0.36 s wav2vec2-base forward on 4 s (DESIGN.md, 2 threads): +%.1f%%\n",
                100.0 * addBest / 0.36);
    std::printf("\nmerge():   %8.1f us per layer accumulator\n", 1e6 * mergeBest);
    std::printf("summary(): %8.1f us per layer (128-bin histogram, 6 quantiles)\n", 1e6 * summaryBest);
    std::printf("memory:    %8.1f KB per accumulator on average (min %.1f, max %.1f; channel vector included)\n",
                memTotal / 1024.0 / stats.size(), memMin / 1024.0, memMax / 1024.0);
    return sink == 12345.0f ? 1 : 0;
}
