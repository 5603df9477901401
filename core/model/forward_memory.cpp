// The memory probe: allocator bytes per stage of probe passes at three lengths, fitted per stage.
//
// Why the allocator and not the process's RSS: RSS counts the whole process (other threads, heap
// pages kept for reuse) and only ever shows its high-water mark, so two probe lengths in one process
// cannot be told apart. c10 reports each allocation and free of its CPU allocator to the thread's
// profiler hook, exactly and deterministically, on the thread that runs the pass; with one LibTorch
// thread every allocation of the pass is on it. What LibTorch does not allocate through c10
// (OpenBLAS's buffers, heap slack) is covered by the planner's margins (core/base/memory_plan.h).
#include "core/model/forward_memory.h"

#include <ATen/Parallel.h>
#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/base/system_memory.h"
#include "core/model/torch_graph.h"

namespace qs::detail {
namespace {

// Probe lengths in samples. LibTorch 1.13's CPU convolution runs inputs of at most 20480 elements
// through im2col and larger ones through oneDNN, with other allocations: a waveform convolution
// (one input channel) changes at 20480 samples, so every probe stays above that, in the regime of
// real clips.
constexpr double kProbeSamples[] = {24000, 32000, 48000};
constexpr double kLongestProbeLimit = 1024.0 * 1024 * 1024;  // bytes the 2 s probe may be predicted to take,
                                                             // and at most a quarter of what is available

// Live bytes of the CPU allocator on this thread, and the peak of each stage between boundaries.
class MemoryTrace : public c10::MemoryReportingInfoBase, public BoundaryHook {
public:
    void reportMemoryUsage(void*, int64_t size, int64_t, int64_t, c10::Device device) override {
        if (device.type() != c10::DeviceType::CPU) return;
        live_ += size;
        peak_ = std::max(peak_, live_);
    }
    bool memoryProfilingEnabled() const override { return true; }
    void boundary() override {
        stages.push_back(double(peak_));
        peak_ = live_;
    }
    void finish() { stages.push_back(double(peak_)); }
    std::vector<double> stages;

private:
    int64_t live_ = 0, peak_ = 0;
};

// The largest layer input or output block a sink is handed, in bytes.
class BlockSizes : public LayerSink {
public:
    void observe(int, const float*, std::size_t o, std::size_t c, std::size_t i) override { note(o, c, i); }
    bool wantsInputs() const override { return true; }
    void observeInput(int, const float*, std::size_t o, std::size_t c, std::size_t i) override { note(o, c, i); }
    double largest = 0;

private:
    void note(std::size_t o, std::size_t c, std::size_t i) { largest = std::max(largest, double(o * c * i) * sizeof(float)); }
};

struct Probe {
    double seconds = 0;
    std::vector<double> stages;
    double peak = 0, outputBytes = 0, largestBlock = 0;
};

Probe runProbe(int sampleRate, double samples, const ProbePass& pass) {
    Probe p;
    p.seconds = samples / sampleRate;
    const std::vector<float> wave = probeWave(std::size_t(samples));
    auto trace = std::make_shared<MemoryTrace>();
    BlockSizes blocks;
    {
        c10::DebugInfoGuard reporting(c10::DebugInfoKind::PROFILER_STATE, trace);
        ThreadBoundaryScope cut(trace.get());
        p.outputBytes = double(pass(wave, blocks)) * sizeof(float);
        trace->finish();
    }
    p.stages = std::move(trace->stages);
    p.peak = *std::max_element(p.stages.begin(), p.stages.end());
    p.largestBlock = blocks.largest;
    return p;
}

// A stage's fit. Three points: a line when the middle one lies within 2% of the line through the
// outer two (growth in proportion: convolutions, projections; frame counts are rounded, so exact
// collinearity is not to be expected), else the exact a + b·s + c·s² through the three (attention).
// Two points: a + c·s², which overestimates any linear growth beyond them.
ForwardMemory::Stage fit(const std::vector<double>& t, const std::vector<double>& p) {
    ForwardMemory::Stage s;
    if (t.size() == 2) {
        s.c = (p[1] - p[0]) / (t[1] * t[1] - t[0] * t[0]);
        s.a = p[0] - s.c * t[0] * t[0];
        return s;
    }
    const double line = (p[2] - p[0]) / (t[2] - t[0]);
    if (std::fabs(p[0] + line * (t[1] - t[0]) - p[1]) <= 0.02 * std::fabs(p[1]) + 4096) {
        s.b = line;
        s.a = p[0] - line * t[0];
        return s;
    }
    const double slope01 = (p[1] - p[0]) / (t[1] - t[0]), slope02 = line;
    s.c = (slope02 - slope01) / (t[2] - t[1]);
    s.b = slope01 - s.c * (t[0] + t[1]);
    s.a = p[0] - s.b * t[0] - s.c * t[0] * t[0];
    return s;
}

}  // namespace

std::vector<float> probeWave(std::size_t n) {
    std::vector<float> w(n);
    for (std::size_t i = 0; i < n; ++i) w[i] = 0.01f * float((i * 7919) % 200) / 200.0f - 0.005f;
    return w;
}

ForwardMemory measureForwardMemory(int sampleRate, const ProbePass& pass) {
    const int threads = at::get_num_threads();
    at::set_num_threads(1);  // every allocation on this thread, as the workers run (clip_runner.h)
    std::vector<Probe> probes;
    const std::int64_t usable = systemMemory().usable();
    const double limit = usable > 0 ? std::min(kLongestProbeLimit, 0.25 * double(usable)) : kLongestProbeLimit;
    try {
        for (double samples : kProbeSamples) {
            // A probe predicted (as if its memory grew with the square of the length) above the
            // limit is left out; the first always runs.
            const double seconds = samples / sampleRate;
            if (!probes.empty() && probes.back().peak * std::pow(seconds / probes.back().seconds, 2) > limit) break;
            probes.push_back(runProbe(sampleRate, samples, pass));
        }
    } catch (...) {
        at::set_num_threads(threads);
        throw;
    }
    at::set_num_threads(threads);

    ForwardMemory m;
    std::vector<double> t;
    for (const Probe& p : probes) {
        t.push_back(p.seconds);
        m.probeSeconds.push_back(p.seconds);
        m.probePeakBytes.push_back(p.peak);
    }
    if (probes.size() == 1) {  // too hungry for a second probe: assume the square of the length
        const Probe& p = probes[0];
        m.stages.push_back({0, 0, p.peak / (p.seconds * p.seconds)});
        m.outputBytesPerSecond = p.outputBytes / p.seconds;
        m.largestBlockBytesPerSecond = p.largestBlock / p.seconds;
        return m;
    }
    const Probe& longest = probes.back();
    m.outputBytesPerSecond = longest.outputBytes / longest.seconds;
    m.largestBlockBytesPerSecond = longest.largestBlock / longest.seconds;
    bool aligned = true;
    for (const Probe& p : probes) aligned = aligned && p.stages.size() == probes[0].stages.size();
    if (!aligned) {
        m.stages.push_back(fit(t, m.probePeakBytes));
        return m;
    }
    std::vector<ForwardMemory::Stage> all;
    for (std::size_t k = 0; k < probes[0].stages.size(); ++k) {
        std::vector<double> p;
        for (const Probe& pr : probes) p.push_back(pr.stages[k]);
        all.push_back(fit(t, p));
    }
    // A stage no larger than another in every coefficient never sets the peak (s >= 0): keep the rest.
    auto within = [](const ForwardMemory::Stage& x, const ForwardMemory::Stage& y) {
        return x.a <= y.a && x.b <= y.b && x.c <= y.c;
    };
    for (std::size_t i = 0; i < all.size(); ++i) {
        bool dominated = false;
        for (std::size_t j = 0; j < all.size() && !dominated; ++j)
            dominated = j != i && within(all[i], all[j]) && (!within(all[j], all[i]) || j < i);
        if (!dominated) m.stages.push_back(all[i]);
    }
    return m;
}

}  // namespace qs::detail
