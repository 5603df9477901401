// libFuzzer harness: any bytes as an audio file (WAV, FLAC, Ogg, AIFF, ... whatever libsndfile
// reads), decoded from memory through libsndfile's virtual I/O, mixed down, resampled with soxr to
// 16 kHz and normalized, as AudioCorpus::load does. AudioError is the only way out allowed.
#include <cstddef>
#include <cstdint>

#include "core/audio/audio_corpus.h"
#include "core/base/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    qs::CorpusOptions options;  // 16 kHz, normalized, 30 s window
    try {
        (void)qs::decodeAudioMemory("fuzz.wav", data, size, options);
    } catch (const qs::AudioError&) {
    }
    return 0;
}
