// libFuzzer harness: headerless 16-bit PCM (.raw). The first byte picks the channel count (1..8),
// the second the sample rate the user would give with --raw-rate; the rest is the file. Decoded,
// mixed down, resampled to 16 kHz and normalized as AudioCorpus::load does.
#include <cstddef>
#include <cstdint>

#include "core/audio/audio_corpus.h"
#include "core/base/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const int kRates[] = {16000, 8000, 11025, 22050, 44100, 48000, 96000, 1000};
    if (size < 2) return 0;
    qs::CorpusOptions options;
    options.rawChannels = 1 + data[0] % 8;
    options.rawRate = kRates[data[1] % 8];
    try {
        (void)qs::decodeAudioMemory("fuzz.raw", data + 2, size - 2, options, /*raw=*/true);
    } catch (const qs::AudioError&) {
    }
    return 0;
}
