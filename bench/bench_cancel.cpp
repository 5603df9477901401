// Cancel latency of every kind of long job (issue 12: within 1 s on a wav2vec2-base-sized model).
//
//   bench_cancel --model M.pt --audio DIR [--runs N] [--threads N] [--jobs a,b,...] [--seed S] [--out DIR]
//
// Each job runs once to completion (its duration D, and a warm-up), then --runs times (default 10)
// with a cancel at a uniformly random moment in [0.05 D, 0.95 D]: another thread sets the flag that
// the job's thread carries in a CancelScope and that its progress callback returns, as the CLI's
// Ctrl-C and the studio's Esc do, and the latency is the time from setting the flag to the job's
// call returning with Cancelled. Prints per job the full duration and the p50, p99 and largest
// latency (with 10 runs, p99 is the largest), and checks that cancelled exports left no folder.
//
// To add a job, add one entry to the table in main(): a name and a
// function that runs the job once with the given progress callback.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/allocation/allocation.h"
#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/evaluation/evaluation.h"
#include "core/export/quantized_export.h"
#include "core/model/clip_runner.h"
#include "core/quantize/activation_calibration.h"
#include "core/quantize/learned_rounding.h"
#include "core/quantize/weight_calibration.h"
#include "core/stats/analyzer.h"
#include "core/stats/distance_scores.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Job {
    std::string name;
    // Runs the job once; `start` is set when the cancellable part begins (after setup a job may do).
    std::function<void(const qs::ProgressFn& progress)> run;
    std::function<void()> after;  // checks after a cancelled run (may be null); throws on a problem
    std::function<void()> prepare;  // untimed set-up before the first run (may be null)
};

struct Row {
    std::string name;
    double full = 0;
    std::vector<double> latencies;  // seconds
    int finished = 0;               // runs that ended before the cancel came
    std::string problem;
};

// One run cancelled `delay` seconds after it starts: the latency in seconds, or -1 if it finished first.
double cancelledRun(const Job& job, double delay) {
    std::atomic<bool> flag{false};
    std::atomic<bool> over{false};
    Clock::time_point requested{};
    std::thread canceller([&] {
        const auto until = Clock::now() + std::chrono::duration<double>(delay);
        while (!over && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (over) return;
        requested = Clock::now();
        flag = true;
    });
    double latency = -1;
    {
        qs::CancelScope scope(&flag);
        try {
            job.run([&](const qs::Progress&) { return !flag.load(); });
        } catch (const qs::Cancelled&) {
            latency = since(requested);
        }
    }
    over = true;
    canceller.join();
    if (latency < 0 && flag) latency = since(requested);  // the cancel came as it finished
    return latency;
}

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    if (v.empty()) return 0;
    return v[std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5))];
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(item);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::string modelPath, audio, out = (fs::temp_directory_path() / "quantscope-bench-cancel").string();
    int runs = 10, threads = 0;
    unsigned seed = 12;
    std::vector<std::string> only;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--model")) modelPath = argv[i + 1];
        else if (!std::strcmp(argv[i], "--audio")) audio = argv[i + 1];
        else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--jobs")) only = split(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--seed")) seed = unsigned(std::atoi(argv[i + 1]));
        else if (!std::strcmp(argv[i], "--out")) out = argv[i + 1];
    }
    if (modelPath.empty() || audio.empty()) {
        std::fprintf(stderr, "usage: bench_cancel --model M.pt --audio DIR [--runs N] [--threads N] [--jobs a,b] [--seed S] "
                             "[--out DIR]\n");
        return 2;
    }
    try {
        auto t = Clock::now();
        const qs::SpeechModel model = qs::SpeechModel::load(modelPath);
        const double loadSeconds = since(t);
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan(audio, qs::corpusOptionsFor(model.info()));
        std::vector<const qs::Clip*> clips;
        double seconds = 0, longest = 0;
        for (const auto& s : corpus.speakers())
            for (const auto& c : s.clips) clips.push_back(&c), seconds += c.seconds, longest = std::max(longest, c.seconds);
        std::printf("model %s: %zu layers, %lld parameters, loaded in %.1f s\n", modelPath.c_str(),
                    model.info().layers.size(), (long long)model.info().totalParams, loadSeconds);
        std::printf("audio %s: %zu clips, %.0f s (longest %.1f s); threads %d\n", audio.c_str(), clips.size(), seconds,
                    longest, threads ? threads : qs::hardwareThreads());

        // What the export and evaluation jobs start from: an analysis, a 5-bit-ish allocation, an export.
        qs::AnalyzeOptions ao;
        ao.threads = threads;
        const qs::Analysis analysis = qs::analyze(model, corpus, ao);
        qs::AllocationRequest request;
        request.targetMb = analysis.model.sizeMb() * 0.16;
        const qs::Allocation allocation = qs::allocateAnalysis(analysis, request);
        std::vector<int> bits;
        for (const auto& l : allocation.layers) bits.push_back(l.bits);
        qs::ExportOptions eo;
        eo.threads = threads;
        eo.calibrationClips = 4;
        const std::string exported = out + "/exported";
        fs::remove_all(exported);
        fs::create_directories(out);
        qs::exportQuantizedModel(model, analysis, allocation, &corpus, eo, exported);
        const qs::SpeechModel quantized = qs::SpeechModel::load(exported + "/model.pt");
        const std::vector<bool> allLayers(model.info().layers.size(), true);
        const std::vector<const qs::Clip*> calibration = qs::pickCalibrationClips(corpus, 4);
        const std::string target = out + "/cancelled";
        // What learned rounding starts from: the range search's encodings (nearest codes), made once.
        qs::WeightCalibrationOptions range;
        range.threads = threads;
        std::vector<qs::WeightEncoding> nearest;
        auto ranges = [&] {
            if (nearest.empty()) nearest = qs::calibrateWeights(model, bits, nullptr, {}, range);
        };
        auto rounding = [&](qs::WeightRounding method, const qs::ProgressFn& p) {
            std::vector<qs::WeightEncoding> encodings = nearest;
            qs::LearnedRoundingOptions r;
            r.method = method;
            r.adaround.iterations = 20;  // the latency is per iteration and per sampling pass, not their number
            qs::learnRounding(model, encodings, corpus, calibration, {}, range, r, p, threads);
        };

        auto noFolder = [&] {
            if (fs::exists(target)) throw qs::Error("a cancelled export left " + target);
            for (const auto& e : fs::directory_iterator(out))
                if (e.path().filename().string().find(".tmp.") != std::string::npos)
                    throw qs::Error("a cancelled export left " + e.path().string());
        };
        // The jobs, as the CLI and the studio run them (core/engine/engine.h), plus the calibrations alone.
        const std::vector<Job> jobs = {
            {"analysis", [&](const qs::ProgressFn& p) { qs::analyze(model, corpus, ao, p); }, {}},
            {"distances",
             [&](const qs::ProgressFn& p) {
                 qs::DistanceOptions d;
                 d.threads = threads;
                 d.clipsPerSpeaker = 1;
                 qs::distanceScores(model, corpus, d, p);
             },
             {}},
            {"activation calibration",
             [&](const qs::ProgressFn& p) {
                 qs::ActivationCalibrationOptions a;
                 a.threads = threads;
                 a.method = qs::ActivationRange::Mse;
                 qs::calibrateActivations(model, corpus, calibration, allLayers, a, p);
             },
             {}},
            {"weight calibration (mse)",
             [&](const qs::ProgressFn& p) {
                 qs::WeightCalibrationOptions w;
                 w.threads = threads;
                 w.granularity = qs::Granularity::PerTensor;  // one search over the whole weight: the longest unit
                 qs::calibrateWeights(model, bits, nullptr, {}, w, p);
             },
             {}},
            {"weight calibration (cosine)",
             [&](const qs::ProgressFn& p) {
                 qs::WeightCalibrationOptions w;
                 w.threads = threads;
                 w.method = qs::WeightRange::Cosine;
                 qs::calibrateWeights(model, bits, &corpus, calibration, w, p);
             },
             {}},
            {"learned rounding (AdaRound 20 it.)",
             [&](const qs::ProgressFn& p) { rounding(qs::WeightRounding::AdaRound, p); }, {}, ranges},
            {"learned rounding (GPTQ)", [&](const qs::ProgressFn& p) { rounding(qs::WeightRounding::Gptq, p); }, {}, ranges},
            {"evaluation",
             [&](const qs::ProgressFn& p) {
                 qs::EvaluateOptions e;
                 e.threads = threads;
                 qs::evaluate(model, quantized, corpus, e, p);
             },
             {}},
            {"export", [&](const qs::ProgressFn& p) { qs::exportQuantizedModel(model, analysis, allocation, &corpus, eo, target, p); },
             noFolder},
            {"export of weights only (writing)",
             [&](const qs::ProgressFn& p) {
                 qs::ExportOptions w = eo;
                 w.activationBits = 0;
                 w.weights.method = qs::WeightRange::MinMax;
                 qs::exportQuantizedModel(model, analysis, allocation, nullptr, w, target, p);
             },
             noFolder},
            {"model load", [&](const qs::ProgressFn&) { qs::SpeechModel::load(modelPath); }, {}},
        };

        std::mt19937 rng(seed);
        std::vector<Row> rows;
        for (const Job& job : jobs) {
            if (!only.empty() && std::find(only.begin(), only.end(), job.name) == only.end()) continue;
            Row row;
            row.name = job.name;
            fs::remove_all(target);
            if (job.prepare) job.prepare();
            t = Clock::now();
            job.run({});
            row.full = since(t);
            fs::remove_all(target);
            std::uniform_real_distribution<double> when(0.05 * row.full, 0.95 * row.full);
            for (int r = 0; r < runs; ++r) {
                const double latency = cancelledRun(job, when(rng));
                if (latency < 0) ++row.finished;
                else row.latencies.push_back(latency);
                try {
                    if (job.after && latency >= 0) job.after();
                } catch (const qs::Error& e) {
                    row.problem = e.what();
                }
                fs::remove_all(target);
            }
            std::printf("  %-32s full %7.2f s; %zu cancelled: p50 %4.0f ms, p99 %4.0f ms, max %4.0f ms%s%s\n",
                        row.name.c_str(), row.full, row.latencies.size(), 1000 * percentile(row.latencies, 0.5),
                        1000 * percentile(row.latencies, 0.99),
                        1000 * (row.latencies.empty() ? 0 : *std::max_element(row.latencies.begin(), row.latencies.end())),
                        row.finished ? " (some finished first)" : "", row.problem.empty() ? "" : (" PROBLEM: " + row.problem).c_str());
            std::fflush(stdout);
            rows.push_back(row);
        }
        std::printf("\n| job | full run (s) | cancelled runs | p50 (ms) | p99 (ms) | max (ms) |\n|---|---:|---:|---:|---:|---:|\n");
        for (const Row& r : rows)
            std::printf("| %s | %.1f | %zu | %.0f | %.0f | %.0f |\n", r.name.c_str(), r.full, r.latencies.size(),
                        1000 * percentile(r.latencies, 0.5), 1000 * percentile(r.latencies, 0.99),
                        1000 * (r.latencies.empty() ? 0 : *std::max_element(r.latencies.begin(), r.latencies.end())));
        fs::remove_all(out);
    } catch (const qs::Error& e) {
        std::fprintf(stderr, "bench_cancel: %s\n", e.what());
        return 1;
    }
    return 0;
}
