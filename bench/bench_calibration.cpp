// Calibration cost and quality per method: the weight quantizers (minmax, mse, cosine) of every layer
// at one bit width, and the activation quantizers (minmax, percentile, mse; per tensor, then with
// PEG on every layer) of every layer input, on the first clips of each speaker.
//
//   bench_calibration --model M.pt --audio DIR [--weight-bits 4] [--activation-bits 8]
//                     [--clips 8] [--threads N]
//
// Prints, per method, the seconds taken, the mean squared weight error (weights) or the mean over
// layer inputs of the estimated quantization MSE divided by the squared observed range (grouped
// inputs: the PEG quantizer's estimate, which minmax does not measure, so minmax shows per tensor),
// and the number of grouped and outlier layers. Nothing is written.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/quantize/activation_calibration.h"
#include "core/audio/audio_corpus.h"
#include "core/base/errors.h"
#include "core/quantize/weight_calibration.h"

namespace {

double seconds(const std::chrono::steady_clock::time_point& since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
    std::string model, audio;
    int weightBits = 4, activationBits = 8, clipsPerSpeaker = 8, threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--model")) model = argv[i + 1];
        else if (!std::strcmp(argv[i], "--audio")) audio = argv[i + 1];
        else if (!std::strcmp(argv[i], "--weight-bits")) weightBits = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--activation-bits")) activationBits = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--clips")) clipsPerSpeaker = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    }
    if (model.empty() || audio.empty()) {
        std::fprintf(stderr, "usage: bench_calibration --model M.pt --audio DIR [--weight-bits 4] "
                             "[--activation-bits 8] [--clips 8] [--threads N]\n");
        return 2;
    }
    try {
        const qs::SpeechModel m = qs::SpeechModel::load(model);
        const qs::AudioCorpus corpus = qs::AudioCorpus::scan(audio, qs::corpusOptionsFor(m.info()));
        std::vector<const qs::Clip*> clips;
        for (const qs::Speaker& s : corpus.speakers())
            for (std::size_t i = 0; i < s.clips.size() && int(i) < clipsPerSpeaker; ++i) clips.push_back(&s.clips[i]);
        const std::size_t layers = m.info().layers.size();
        std::printf("model %s: %zu layers; %zu calibration clips (%d per speaker); %d threads\n", model.c_str(), layers,
                    clips.size(), clipsPerSpeaker, threads);

        for (qs::WeightRange method : {qs::WeightRange::MinMax, qs::WeightRange::Mse, qs::WeightRange::Cosine}) {
            qs::WeightCalibrationOptions o;
            o.method = method;
            o.threads = threads;
            const auto start = std::chrono::steady_clock::now();
            const std::vector<qs::WeightEncoding> w =
                qs::calibrateWeights(m, std::vector<int>(layers, weightBits), &corpus, clips, o);
            double mse = 0, cosine = 0;
            int cosines = 0;
            for (const qs::WeightEncoding& e : w) {
                mse += e.mse / double(layers);
                if (e.outputCosine >= -1.0) cosine += e.outputCosine, ++cosines;
            }
            std::printf("weights W%d %-7s %7.2f s  mean weight MSE %.4g", weightBits, qs::weightRangeName(method).c_str(),
                        seconds(start), mse);
            if (cosines) std::printf("  mean output cosine %.5f (%d layers)", cosine / cosines, cosines);
            std::printf("\n");
        }

        for (bool groupsAll : {false, true})
            for (qs::ActivationRange method :
                 {qs::ActivationRange::MinMax, qs::ActivationRange::Percentile, qs::ActivationRange::Mse}) {
                qs::ActivationCalibrationOptions o;
                o.bits = activationBits;
                o.method = method;
                o.groupsAllLayers = groupsAll;
                o.threads = threads;
                const auto start = std::chrono::steady_clock::now();
                const std::vector<qs::ActivationEncoding> a =
                    qs::calibrateActivations(m, corpus, clips, std::vector<bool>(layers, true), o);
                double relative = 0;
                int on = 0, grouped = 0, outliers = 0;
                for (const qs::ActivationEncoding& e : a) {
                    if (!e.on) continue;
                    const double range = double(e.observedMax) - double(e.observedMin);
                    const double mse = e.groups > 0 && e.groupMse >= 0 ? e.groupMse : e.mse;
                    if (range > 0) relative += mse / (range * range), ++on;
                    grouped += e.groups > 0;
                    outliers += e.outlier;
                }
                std::printf("inputs  A%d %-10s %-9s %7.2f s  mean MSE/range^2 %.4g  grouped %d  outlier layers %d\n",
                            activationBits, qs::activationRangeName(method).c_str(), groupsAll ? "PEG-all" : "per-tensor",
                            seconds(start), on ? relative / on : 0.0, grouped, outliers);
            }
    } catch (const qs::Error& e) {
        std::fprintf(stderr, "bench_calibration: %s\n", e.what());
        return 1;
    }
    return 0;
}
