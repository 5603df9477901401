// Analysis cost against plain forward passes on the same clips, and peak memory.
//
//   bench_analyze --model M.pt --audio DIR [--threads N] [--mode both|plain|analyze]
//
// "both" times plain forward passes over every clip, then the instrumented analysis over the same
// clips with the same threads, and prints the ratio. Peak memory (ru_maxrss) is printed at the end;
// bench/run_analysis_bench.sh runs "analyze" on 1x and 10x the audio in separate processes to
// compare it. A warm-up pass on the first clip is not timed.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/stats/analyzer.h"
#include "core/base/errors.h"

namespace {

double seconds(const std::chrono::steady_clock::time_point& since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

long peakRssMiB() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
    std::string model, audio, mode = "both";
    int threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--model")) model = argv[i + 1];
        else if (!std::strcmp(argv[i], "--audio")) audio = argv[i + 1];
        else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--mode")) mode = argv[i + 1];
    }
    if (model.empty() || audio.empty()) {
        std::fprintf(stderr, "usage: bench_analyze --model M.pt --audio DIR [--threads N] [--mode both|plain|analyze]\n");
        return 2;
    }
    try {
        const qs::SpeechModel m = qs::SpeechModel::load(model);
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan(audio, qs::corpusOptionsFor(m.info()));
        double audioSeconds = 0;
        std::size_t clips = 0;
        for (const auto& s : corpus.speakers()) {
            audioSeconds += s.seconds;
            clips += s.clips.size();
        }
        std::printf("model %s: %zu layers, %lld parameters\n", model.c_str(), m.info().layers.size(),
                    (long long)m.info().totalParams);
        std::printf("audio %s: %zu clips, %.1f s; threads %d\n", audio.c_str(), clips, audioSeconds,
                    threads ? threads : qs::hardwareThreads());

        qs::setComputeThreads(threads);
        m.forward(corpus.load(corpus.speakers().front().clips.front()));  // warm-up

        double plain = 0, analysis = 0;
        if (mode == "both" || mode == "plain") {
            const auto t0 = std::chrono::steady_clock::now();
            qs::forwardOnly(m, corpus, threads);
            plain = seconds(t0);
            std::printf("plain forward:   %.2f s (%.1fx real time)\n", plain, audioSeconds / plain);
        }
        if (mode == "both" || mode == "analyze") {
            qs::AnalyzeOptions options;
            options.threads = threads;
            const auto t0 = std::chrono::steady_clock::now();
            qs::analyze(m, corpus, options);
            analysis = seconds(t0);
            std::printf("analysis:        %.2f s (%.1fx real time)\n", analysis, audioSeconds / analysis);
        }
        if (plain > 0 && analysis > 0) std::printf("analysis / plain forward: %.3f\n", analysis / plain);
        std::printf("peak RSS: %ld MiB\n", peakRssMiB());
    } catch (const qs::Error& e) {
        std::fprintf(stderr, "bench_analyze: %s\n", e.what());
        return 1;
    }
    return 0;
}
