// Synthetic audio files for tests, written with libsndfile, so no audio needs to be committed.
// Samples are floats in [-1, 1]; multi-channel data is interleaved (frame by frame).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qs::test {

enum class AudioFormat {
    Wav16,      // RIFF WAVE, 16-bit PCM
    Wav24,      // RIFF WAVE, 24-bit PCM
    WavFloat,   // RIFF WAVE, 32-bit float
    Flac16,     // FLAC, 16-bit
    OggVorbis,  // Ogg Vorbis (lossy)
    Aiff16,     // AIFF, 16-bit PCM
    Raw16,      // headerless 16-bit little-endian PCM (quantscope's .raw)
};

// A short name for test tables and messages: "wav16", "flac", ...
const char* formatName(AudioFormat format);
// The usual file extension, without the dot: "wav", "flac", "ogg", "aiff", "raw".
const char* formatExtension(AudioFormat format);

// amp * sin(2 pi freq t + phase) for seconds at rate, llround(seconds * rate) samples.
std::vector<float> sine(int rate, double seconds, double freq, double amp, double phase = 0.0);

// Interleaves equally long channels: {L, R} -> L0 R0 L1 R1 ...
std::vector<float> interleave(const std::vector<std::vector<float>>& channels);

// Writes interleaved samples (frames = samples.size() / channels; may be zero for an empty file
// with a valid header). Throws std::runtime_error naming the file when libsndfile refuses.
void writeAudio(const std::string& path, AudioFormat format, int rate, int channels, const std::vector<float>& samples);

// A sine on every channel (the same signal on each).
void writeSine(const std::string& path, AudioFormat format, int rate, int channels, double seconds, double freq,
               double amp);

// Headerless 16-bit little-endian PCM, the layout quantscope assumes for .raw files. The file stores
// neither rate nor channel count: samples may be mono or interleaved, the reader decides.
void writeRawPcm16(const std::string& path, const std::vector<float>& samples);

// Arbitrary bytes or text, e.g. a text file named .wav or a transcript.
void writeText(const std::string& path, const std::string& text);

// Cuts a file to its first bytes (truncated headers or data).
void truncateFile(const std::string& path, std::uintmax_t bytes);

// Creates the folders on the way to path's parent (mkdir -p), so writers can take nested paths.
void makeParents(const std::string& path);

}  // namespace qs::test
