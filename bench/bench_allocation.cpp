// Budget curve speed: what the GUI's budget slider pays. Builds the curve for a 500-layer model with
// wav2vec2-like layer sizes and looks random targets up.
//   bench_allocation [layers] [repetitions]      (defaults: 500 layers, 200 repetitions)
// Targets: curve build <= 50 ms, one lookup (with bits reconstruction) <= 1 ms.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/allocation/allocation.h"

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    const int layers = argc > 1 ? std::atoi(argv[1]) : 500;
    const int reps = argc > 2 ? std::atoi(argv[2]) : 200;
    if (layers < 1 || reps < 1) {
        std::fprintf(stderr, "usage: bench_allocation [layers >= 1] [repetitions >= 1]\n");
        return 2;
    }

    // Shapes seen in speech transformers and conv front ends: d×d projections, d×4d feed-forward
    // blocks, k-wide convolutions, at a few model widths.
    std::mt19937_64 rng(42);
    const std::int64_t widths[] = {192, 256, 512, 768, 1024};
    std::vector<std::int64_t> params;
    std::int64_t sum = 0;
    for (int i = 0; i < layers; ++i) {
        const std::int64_t d = widths[rng() % 5];
        std::int64_t p = 0;
        switch (rng() % 4) {
            case 0: p = d * d; break;                    // attention projection
            case 1: p = d * 4 * d; break;                // feed-forward
            case 2: p = d * d * (2 + rng() % 9); break;  // conv1d, kernel 2..10
            default: p = d * 32; break;                  // small head or adapter
        }
        params.push_back(p);
        sum += p;
    }
    const qs::SizeModel size(sum + sum / 20, params);  // 5% biases and norms
    std::lognormal_distribution<double> scoreDist(0.0, 1.0);
    std::vector<double> scores;
    for (int i = 0; i < layers; ++i) scores.push_back(scoreDist(rng));
    const qs::AllocationSettings settings;

    auto t0 = Clock::now();
    qs::BudgetCurve curve;
    for (int r = 0; r < reps; ++r) curve = qs::BudgetCurve::build(size, scores, settings);
    const double buildMs = msSince(t0) / reps;

    std::uniform_real_distribution<double> targetDist(curve.minSizeMb() * 1.0001, curve.floatSizeMb());
    std::vector<double> targets;
    for (int r = 0; r < reps; ++r) targets.push_back(targetDist(rng));
    long checksum = 0;
    t0 = Clock::now();
    for (double t : targets) checksum += curve.lookup(t)[0];
    const double lookupMs = msSince(t0) / reps;

    t0 = Clock::now();
    const int literalReps = reps < 5 ? reps : 5;  // the literal reference is O(L) per decrement
    for (int r = 0; r < literalReps; ++r) checksum += qs::allocate(size, scores, settings, targets[r])[0];
    const double literalMs = msSince(t0) / literalReps;

    std::printf("layers %d, float %.1f MB, floor %.1f MB, %d states (checksum %ld)\n", layers,
                curve.floatSizeMb(), curve.minSizeMb(), curve.steps() + 1, checksum);
    std::printf("curve build   %8.3f ms  (target <= 50 ms, mean of %d)\n", buildMs, reps);
    std::printf("lookup + bits %8.4f ms  (target <= 1 ms, mean of %d)\n", lookupMs, reps);
    std::printf("literal allocate (reference) %8.3f ms  (mean of %d)\n", literalMs, literalReps);
    return 0;
}
