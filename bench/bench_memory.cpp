// A model's forward-pass memory as the planner sees it, against what a pass really takes.
//
//   bench_memory --model M.pt [--seconds 2,4,8] [--max-memory SIZE]
//
// Prints the load's probe peaks, then for each length: the predicted peak of one pass
// (ForwardMemory::peakBytes), the peak LibTorch's CPU allocator reports for a real pass (one
// LibTorch thread), the growth of the process's peak RSS over that pass (VmHWM, reset before it
// through /proc/self/clear_refs), and a worker's planned need (WorkerMemory::bytes). With
// --max-memory, also the window and workers an analysis would get. Lengths run in the order given:
// keep them within the machine's memory.
#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/base/errors.h"
#include "core/base/memory_plan.h"
#include "core/base/system_memory.h"
#include "core/model/speech_model.h"

namespace {

struct Peak : c10::MemoryReportingInfoBase {
    std::int64_t live = 0, peak = 0;
    void reportMemoryUsage(void*, std::int64_t size, std::int64_t, std::int64_t, c10::Device) override {
        live += size;
        peak = std::max(peak, live);
    }
    bool memoryProfilingEnabled() const override { return true; }
};

double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

}  // namespace

int main(int argc, char** argv) {
    std::string model, lengths = "2,4,8", budgetText;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--model")) model = argv[i + 1];
        else if (!std::strcmp(argv[i], "--seconds")) lengths = argv[i + 1];
        else if (!std::strcmp(argv[i], "--max-memory")) budgetText = argv[i + 1];
    }
    if (model.empty()) {
        std::fprintf(stderr, "usage: bench_memory --model M.pt [--seconds 2,4,8] [--max-memory SIZE]\n");
        return 2;
    }
    try {
        const auto t0 = std::chrono::steady_clock::now();
        const qs::SpeechModel m = qs::SpeechModel::load(model);
        const double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const qs::ForwardMemory& f = m.info().memory;
        std::printf("model %s: %lld parameters, loaded (with the memory probe) in %.2f s; RSS %.0f MiB\n", model.c_str(),
                    (long long)m.info().totalParams, load, mib(double(qs::processRss())));
        std::printf("probe passes:");
        for (std::size_t i = 0; i < f.probeSeconds.size(); ++i)
            std::printf(" %.1f s %.1f MiB;", f.probeSeconds[i], mib(f.probePeakBytes[i]));
        std::printf(" %zu stages kept; output %.2f MiB/s, largest block %.2f MiB/s\n", f.stages.size(),
                    mib(f.outputBytesPerSecond), mib(f.largestBlockBytesPerSecond));
        if (std::getenv("QS_STAGES"))
            for (const auto& st : f.stages)
                std::printf("  stage a %.2f b %.2f c %.3f MiB: at 0.5/1/2 s %.2f %.2f %.2f, at 30 s %.0f\n", mib(st.a), mib(st.b),
                            mib(st.c), mib(st.a + st.b * 0.5 + st.c * 0.25), mib(st.a + st.b + st.c),
                            mib(st.a + 2 * st.b + 4 * st.c), mib(st.a + 30 * st.b + 900 * st.c));
        const qs::WorkerMemory worker = qs::workerMemory(m.info());
        std::printf("%8s %14s %14s %8s %16s %16s %8s\n", "seconds", "predicted MiB", "allocator MiB", "ratio",
                    "RSS growth MiB", "worker need MiB", "pass s");
        at::set_num_threads(1);
        std::stringstream list(lengths);
        std::string item;
        while (std::getline(list, item, ',')) {
            const double s = std::atof(item.c_str());
            std::vector<float> wave(std::size_t(s * m.info().sampleRate));
            for (std::size_t i = 0; i < wave.size(); ++i) wave[i] = float(0.3 * std::sin(0.031 * double(i)) + 0.01 * double(i % 7));
            const std::int64_t before = qs::processRss();
            { std::ofstream("/proc/self/clear_refs") << "5"; }  // resets VmHWM to the current RSS
            auto peak = std::make_shared<Peak>();
            const auto t = std::chrono::steady_clock::now();
            {
                c10::DebugInfoGuard guard(c10::DebugInfoKind::PROFILER_STATE, peak);
                m.forward(wave);
            }
            const double pass = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
            const double growth = double(qs::peakRss() - before);
            std::printf("%8.1f %14.1f %14.1f %8.3f %16.1f %16.1f %8.2f\n", s, mib(f.peakBytes(s)), mib(double(peak->peak)),
                        f.peakBytes(s) / double(peak->peak), mib(growth), mib(worker.bytes(s)), pass);
        }
        for (double s : {10.0, 30.0})
            std::printf("predicted for %.0f s: one pass %.0f MiB, a worker %.0f MiB\n", s, mib(f.peakBytes(s)), mib(worker.bytes(s)));
        if (!budgetText.empty()) {
            const std::int64_t budget = qs::resolveMemoryBudget(qs::parseMemorySize(budgetText, "--max-memory"));
            const double window = qs::fitWindow(worker, budget, 30, model);
            const qs::MemoryPlan plan = qs::planWorkers(worker, budget, window, 0, 1000, "an analysis");
            std::printf("budget %s: window %.1f s; %s\n", qs::memoryText(double(budget)).c_str(), window, plan.text().c_str());
        }
    } catch (const qs::Error& e) {
        std::fprintf(stderr, "bench_memory: %s\n", e.what());
        return 1;
    }
    return 0;
}
