// Synthetic sine test audio written with libsndfile in any format, and helpers that write text files
// and truncate files (damaged input).
#include "tests/support/audio_files.h"

#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace qs::test {

namespace {

int sndfileFormat(AudioFormat format) {
    switch (format) {
    case AudioFormat::Wav16: return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    case AudioFormat::Wav24: return SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    case AudioFormat::WavFloat: return SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    case AudioFormat::Flac16: return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    case AudioFormat::OggVorbis: return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    case AudioFormat::Aiff16: return SF_FORMAT_AIFF | SF_FORMAT_PCM_16;
    case AudioFormat::Raw16: return SF_FORMAT_RAW | SF_FORMAT_PCM_16 | SF_ENDIAN_LITTLE;
    }
    throw std::invalid_argument("unknown AudioFormat");
}

}  // namespace

const char* formatName(AudioFormat format) {
    switch (format) {
    case AudioFormat::Wav16: return "wav16";
    case AudioFormat::Wav24: return "wav24";
    case AudioFormat::WavFloat: return "wavfloat";
    case AudioFormat::Flac16: return "flac";
    case AudioFormat::OggVorbis: return "vorbis";
    case AudioFormat::Aiff16: return "aiff";
    case AudioFormat::Raw16: return "raw";
    }
    return "?";
}

const char* formatExtension(AudioFormat format) {
    switch (format) {
    case AudioFormat::Wav16:
    case AudioFormat::Wav24:
    case AudioFormat::WavFloat: return "wav";
    case AudioFormat::Flac16: return "flac";
    case AudioFormat::OggVorbis: return "ogg";
    case AudioFormat::Aiff16: return "aiff";
    case AudioFormat::Raw16: return "raw";
    }
    return "";
}

std::vector<float> sine(int rate, double seconds, double freq, double amp, double phase) {
    const auto n = std::size_t(std::llround(seconds * rate));
    std::vector<float> x(n);
    const double step = 2.0 * M_PI * freq / rate;
    for (std::size_t i = 0; i < n; ++i) x[i] = float(amp * std::sin(step * double(i) + phase));
    return x;
}

std::vector<float> interleave(const std::vector<std::vector<float>>& channels) {
    if (channels.empty()) return {};
    const std::size_t frames = channels.front().size();
    for (const auto& c : channels)
        if (c.size() != frames) throw std::invalid_argument("interleave: channels differ in length");
    std::vector<float> out(frames * channels.size());
    for (std::size_t i = 0; i < frames; ++i)
        for (std::size_t c = 0; c < channels.size(); ++c) out[i * channels.size() + c] = channels[c][i];
    return out;
}

void makeParents(const std::string& path) {
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
}

void writeAudio(const std::string& path, AudioFormat format, int rate, int channels, const std::vector<float>& samples) {
    if (channels <= 0 || samples.size() % std::size_t(channels) != 0)
        throw std::invalid_argument("writeAudio: sample count is not a multiple of the channel count");
    makeParents(path);
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = sndfileFormat(format);
    SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!file) throw std::runtime_error("cannot write " + path + ": " + sf_strerror(nullptr));
    // Integer formats clip rather than wrap a full-scale sample.
    sf_command(file, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    const sf_count_t frames = sf_count_t(samples.size() / std::size_t(channels));
    const sf_count_t written = frames ? sf_writef_float(file, samples.data(), frames) : 0;
    const std::string error = sf_strerror(file);
    sf_close(file);
    if (written != frames) throw std::runtime_error("short write to " + path + ": " + error);
}

void writeSine(const std::string& path, AudioFormat format, int rate, int channels, double seconds, double freq,
               double amp) {
    const std::vector<float> mono = sine(rate, seconds, freq, amp);
    writeAudio(path, format, rate, channels, interleave(std::vector<std::vector<float>>(std::size_t(channels), mono)));
}

void writeRawPcm16(const std::string& path, const std::vector<float>& samples) {
    writeAudio(path, AudioFormat::Raw16, 16000, 1, samples);  // the rate is not stored in a raw file
}

void writeText(const std::string& path, const std::string& text) {
    makeParents(path);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

void truncateFile(const std::string& path, std::uintmax_t bytes) {
    fs::resize_file(path, bytes);
}

}  // namespace qs::test
