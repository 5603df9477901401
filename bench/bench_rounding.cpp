// Learned rounding's cost on a model: seconds per layer and in total, passes over the clips and peak
// memory, for one method per process (so the peak is that method's).
//
//   bench_rounding --model M.pt --audio DIR --method gptq|adaround [--bits 3] [--clips 8]
//                  [--iterations N] [--threads N] [--sequential] [--distinct]
//
// --clips: calibration clips per speaker (spread, as the export picks them). --distinct rounds only the
// first layer of each distinct shape and geometry (the 12 transformer blocks of wav2vec2-base repeat)
// and extrapolates the total from their times; without it every layer is rounded. Prints one line per
// layer (shape, rows, seconds, output error nearest -> learned), then the totals and memory (VmRSS
// before rounding, VmHWM after: the peak of the whole process).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>

#include "core/audio/audio_corpus.h"
#include "core/base/errors.h"
#include "core/export/quantized_export.h"
#include "core/quantize/learned_rounding.h"
#include "core/quantize/rounding_estimate.h"

namespace {

double statusMb(const char* field) {  // from /proc/self/status, kB -> MiB
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::atof(line.c_str() + std::strlen(field)) / 1024.0;
    return 0.0;
}

std::string signature(const qs::LayerInfo& l) {
    std::string s = l.kind;
    for (auto v : {l.shape, l.stride, l.padBegin, l.dilation})
        for (auto d : v) s += " " + std::to_string(d);
    return s + " g" + std::to_string(l.groups);
}

}  // namespace

int main(int argc, char** argv) {
    std::string model, audio, method = "gptq";
    int bits = 3, clipsPerSpeaker = 8, iterations = -1, threads = 0;
    bool sequential = false, distinct = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : "";
        if (a == "--sequential") sequential = true;
        else if (a == "--distinct") distinct = true;
        else if (a == "--model") model = v, ++i;
        else if (a == "--audio") audio = v, ++i;
        else if (a == "--method") method = v, ++i;
        else if (a == "--bits") bits = std::atoi(v), ++i;
        else if (a == "--clips") clipsPerSpeaker = std::atoi(v), ++i;
        else if (a == "--iterations") iterations = std::atoi(v), ++i;
        else if (a == "--threads") threads = std::atoi(v), ++i;
    }
    if (model.empty() || audio.empty()) {
        std::fprintf(stderr, "usage: bench_rounding --model M.pt --audio DIR --method gptq|adaround [--bits 3] [--clips 8] "
                             "[--iterations N] [--threads N] [--sequential] [--distinct]\n");
        return 2;
    }
    try {
        const qs::SpeechModel m = qs::SpeechModel::load(model);
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan(audio, qs::corpusOptionsFor(m.info()));
        const std::vector<const qs::Clip*> clips = qs::pickCalibrationClips(corpus, clipsPerSpeaker);
        const std::vector<qs::LayerInfo>& layers = m.info().layers;
        qs::LearnedRoundingOptions o;
        o.method = qs::parseWeightRounding(method);
        o.sequential = sequential;
        if (iterations >= 0) o.adaround.iterations = iterations;
        qs::WeightCalibrationOptions range;
        range.threads = threads;
        std::vector<qs::WeightEncoding> e = qs::calibrateWeights(m, std::vector<int>(layers.size(), bits), nullptr, {}, range);
        std::map<std::string, std::size_t> first;  // signature -> its first layer
        std::vector<std::size_t> representative(layers.size());
        for (std::size_t l = 0; l < layers.size(); ++l) {
            representative[l] = first.emplace(signature(layers[l]), l).first->second;
            if (distinct && representative[l] != l) e[l].layer = -1;  // not rounded: its time is its representative's
        }
        double seconds = 0.0;
        for (const qs::Clip* c : clips) seconds += c->seconds;
        std::printf("model %s: %zu layers, %lld parameters; %zu calibration clips (%.1f s of audio); W%d; %s, %s%s; "
                    "%d threads\n",
                    model.c_str(), layers.size(), static_cast<long long>(m.info().totalParams), clips.size(), seconds, bits,
                    method.c_str(), sequential ? "sequential" : "independent",
                    o.method == qs::WeightRounding::AdaRound ? (", " + std::to_string(o.adaround.iterations) + " iterations").c_str() : "",
                    threads);
        const double before = statusMb("VmRSS:");
        const auto start = std::chrono::steady_clock::now();
        const qs::LearnedRoundingSummary s = qs::learnRounding(m, e, corpus, clips, {}, range, o, {}, threads);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        double layerSeconds = 0.0, extrapolated = 0.0, estimate = 0.0;
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const qs::WeightEncoding& r = e[representative[l]];
            extrapolated += r.roundingSeconds;
            if (e[l].layer < 0) continue;
            layerSeconds += e[l].roundingSeconds;
            estimate += qs::roundingCost(layers[l], o.method, o, e[l].roundingRows);
            std::string shape;
            for (auto d : layers[l].shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
            std::printf("  %-60s %-7s %-14s %6lld rows %8.2f s  (model %6.2f s)  error %.5f -> %.5f%s\n", layers[l].name.c_str(),
                        layers[l].kind.c_str(), shape.c_str(), static_cast<long long>(e[l].roundingRows), e[l].roundingSeconds,
                        qs::roundingCost(layers[l], o.method, o, e[l].roundingRows), e[l].nearestOutputError,
                        e[l].outputError, e[l].keptNearest ? " (nearest kept)" : "");
        }
        std::printf("%s: %d layers rounded in %.1f s wall (%d passes over the clips; layers %.1f s of worker time, "
                    "cost model %.1f s)\n",
                    method.c_str(), s.layers, wall, s.passes, layerSeconds, estimate);
        if (distinct)
            std::printf("every layer: about %.1f s of worker time (each layer at its representative's time), "
                        "%.1f s per layer on average\n",
                        extrapolated, extrapolated / double(layers.size()));
        std::printf("memory: %.0f MB resident before rounding, peak %.0f MB (VmHWM of the process)\n", before,
                    statusMb("VmHWM:"));
    } catch (const qs::Error& err) {
        std::fprintf(stderr, "bench_rounding: %s\n", err.what());
        return 1;
    }
    return 0;
}
