// Scanning audio folders into speakers and clips (headers only), and decoding, mixing and
// resampling a clip.
#include "core/audio/audio_corpus.h"

#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <system_error>

#include "core/base/errors.h"
#include "core/audio/transcripts.h"

namespace fs = std::filesystem;

namespace qs {

void sortSkipped(std::vector<SkippedFile>& skipped) {
    std::stable_sort(skipped.begin(), skipped.end(), [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
}


namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

std::string extensionOf(const fs::path& p) {
    const std::string ext = p.extension().string();
    return ext.empty() ? ext : lower(ext.substr(1));
}

// Extensions recognised as audio: every major format this libsndfile build reports, plus the common
// spellings it does not list itself (its Ogg entry says "oga", its MPEG entry "m1a").
const std::set<std::string>& audioExtensions() {
    static const std::set<std::string> extensions = [] {
        std::set<std::string> exts{"raw"};
        int count = 0;
        sf_command(nullptr, SFC_GET_FORMAT_MAJOR_COUNT, &count, sizeof count);
        for (int i = 0; i < count; ++i) {
            SF_FORMAT_INFO info{};
            info.format = i;
            if (sf_command(nullptr, SFC_GET_FORMAT_MAJOR, &info, sizeof info) != 0 || !info.extension) continue;
            exts.insert(lower(info.extension));
            switch (info.format & SF_FORMAT_TYPEMASK) {
            case SF_FORMAT_OGG: exts.insert({"ogg", "oga", "opus"}); break;
            case SF_FORMAT_MPEG: exts.insert({"mp3", "mp2"}); break;
            case SF_FORMAT_FLAC: exts.insert("flac"); break;
            case SF_FORMAT_AIFF: exts.insert({"aif", "aifc"}); break;
            case SF_FORMAT_NIST: exts.insert("sph"); break;
            default: break;
            }
        }
        return exts;
    }();
    return extensions;
}

bool isAudioFile(const fs::path& p) { return audioExtensions().count(extensionOf(p)) > 0; }

struct SndfileCloser {
    void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

// A headerless .raw file's layout, which libsndfile needs in SF_INFO before opening.
void rawLayout(const CorpusOptions& options, SF_INFO& info) {
    info.format = SF_FORMAT_RAW | SF_FORMAT_PCM_16 | SF_ENDIAN_LITTLE;
    info.samplerate = options.rawRate;
    info.channels = options.rawChannels;
}

// Opens path for reading. Every format but .raw describes itself. Returns null (and libsndfile's
// reason in *error) on failure.
SndfilePtr openAudio(const std::string& path, const CorpusOptions& options, SF_INFO& info, std::string* error) {
    info = SF_INFO{};
    if (extensionOf(path) == "raw") rawLayout(options, info);
    SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
    if (!file && error) *error = sf_strerror(nullptr);
    return file;
}

// libsndfile's virtual I/O over a buffer in memory (as libsndfile's own fuzz harness reads).
struct MemoryFile {
    const unsigned char* data = nullptr;
    sf_count_t size = 0;
    sf_count_t pos = 0;

    static MemoryFile& of(void* user) { return *static_cast<MemoryFile*>(user); }
    static sf_count_t length(void* user) { return of(user).size; }
    static sf_count_t seek(sf_count_t offset, int whence, void* user) {
        MemoryFile& m = of(user);
        const sf_count_t base = whence == SEEK_CUR ? m.pos : whence == SEEK_END ? m.size : 0;
        if ((whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) || offset < -base ||
            offset > m.size - base)
            return -1;
        m.pos = base + offset;
        return m.pos;
    }
    static sf_count_t read(void* ptr, sf_count_t count, void* user) {
        MemoryFile& m = of(user);
        const sf_count_t n = std::max<sf_count_t>(0, std::min(count, m.size - m.pos));
        if (n > 0) std::memcpy(ptr, m.data + m.pos, std::size_t(n));
        m.pos += n;
        return n;
    }
    static sf_count_t write(const void*, sf_count_t, void*) { return 0; }
    static sf_count_t tell(void* user) { return of(user).pos; }
};

// What is wrong with an opened file's layout for decoding, or an empty string.
std::string layoutProblem(const SF_INFO& info) {
    if (info.samplerate <= 0 || info.channels <= 0)
        return "invalid header (" + std::to_string(info.samplerate) + " Hz, " + std::to_string(info.channels) +
               " channels)";
    if (info.frames <= 0) return "empty (0 frames)";
    return {};
}

// The readable layout of one file, or why it cannot be used.
struct Probe {
    std::int64_t frames = 0;
    int rate = 0;
    int channels = 0;
    std::string problem;  // empty when the file is usable
};

Probe probe(const fs::path& path, const CorpusOptions& options) {
    Probe p;
    std::error_code ec;
    if (fs::file_size(path, ec) == 0 && !ec) {
        p.problem = "empty file (0 bytes)";
        return p;
    }
    SF_INFO info;
    std::string error;
    if (!openAudio(path.string(), options, info, &error)) {
        p.problem = "not an audio file libsndfile can read: " + error;
        return p;
    }
    p.frames = info.frames;
    p.rate = info.samplerate;
    p.channels = info.channels;
    p.problem = layoutProblem(info);
    return p;
}

// Window length in frames; a non-positive windowSeconds keeps whole files.
std::int64_t windowFrames(double windowSeconds, int rate, std::int64_t fileFrames) {
    if (windowSeconds <= 0) return fileFrames;
    return std::max<std::int64_t>(1, std::llround(windowSeconds * rate));
}

// Audio files below dir at any depth, in path order. Unreadable subfolders are passed over.
std::vector<fs::path> audioFilesBelow(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    const auto opts = fs::directory_options::skip_permission_denied;
    for (fs::recursive_directory_iterator it(dir, opts, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code typeEc;
        if (it->is_regular_file(typeEc) && isAudioFile(it->path())) files.push_back(it->path());
    }
    return files;
}

// The root's own name, also when it was given as "." or with a trailing slash.
std::string folderName(const fs::path& dir) {
    std::error_code ec;
    fs::path canonical = fs::canonical(dir, ec);
    fs::path p = ec ? dir.lexically_normal() : canonical;
    if (p.filename().empty()) p = p.parent_path();
    return p.filename().string();
}

void recount(Speaker& speaker) {
    std::set<std::string> paths;
    speaker.seconds = 0.0;
    for (const Clip& clip : speaker.clips) {
        speaker.seconds += clip.seconds;
        paths.insert(clip.path);
    }
    speaker.files = int(paths.size());
}

std::vector<float> resample(const std::vector<float>& in, int fromRate, int toRate, const std::string& path) {
    // The length is fixed here rather than taken from soxr, so every caller can rely on it.
    const auto outLength = std::size_t(std::llround(double(in.size()) * toRate / fromRate));
    std::vector<float> out(outLength + 16, 0.0f);
    std::size_t produced = 0;
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    const soxr_error_t error = soxr_oneshot(fromRate, toRate, 1, in.data(), in.size(), nullptr, out.data(),
                                            out.size(), &produced, &io, &quality, nullptr);
    if (error) throw AudioError("cannot resample " + path + ": " + error);
    out.resize(outLength);  // trims the surplus, or zero-pads if soxr produced a sample or two less
    return out;
}

// (x - mean) / sqrt(var + 1e-7) with the population variance, as HuggingFace's Wav2Vec2FeatureExtractor.
void normalizeInPlace(std::vector<float>& x) {
    if (x.empty()) return;
    double sum = 0.0;
    for (float v : x) sum += v;
    const double mean = sum / double(x.size());
    double squares = 0.0;
    for (float v : x) squares += (v - mean) * (v - mean);
    const double scale = 1.0 / std::sqrt(squares / double(x.size()) + 1e-7);
    for (float& v : x) v = float((v - mean) * scale);
}

// Frames [start, start + frames) of an opened file, mixed to mono (channel mean), resampled to
// options.targetRate and normalized if asked. Reads in blocks of at most 64 Ki samples, so memory
// follows the data actually decoded, not a header's claim. Samples must be finite.
std::vector<float> decodeFrames(SNDFILE* file, const SF_INFO& info, std::int64_t start, std::int64_t frames,
                                const CorpusOptions& options, const std::string& name) {
    if (start > 0 && sf_seek(file, start, SEEK_SET) < 0)
        throw AudioError("cannot seek in " + name + ": " + sf_strerror(file));
    const int channels = info.channels;
    const std::int64_t block = std::max<std::int64_t>(1, (std::int64_t(1) << 16) / channels);
    std::vector<float> interleaved(std::size_t(std::min(block, frames)) * std::size_t(channels));
    std::vector<float> mono;
    mono.reserve(std::size_t(std::min<std::int64_t>(frames, std::int64_t(1) << 22)));
    for (std::int64_t done = 0; done < frames;) {
        const sf_count_t want = std::min(block, frames - done);
        const sf_count_t read = sf_readf_float(file, interleaved.data(), want);
        if (read != want)
            throw AudioError("cannot decode " + name + ": read " + std::to_string(done + std::max<sf_count_t>(read, 0)) +
                             " of " + std::to_string(frames) + " frames (" + sf_strerror(file) + ")");
        for (sf_count_t i = 0; i < read; ++i) {
            float sum = 0.0f;
            for (int c = 0; c < channels; ++c) sum += interleaved[std::size_t(i) * std::size_t(channels) + std::size_t(c)];
            if (!std::isfinite(sum))
                throw AudioError(name + " holds a NaN or infinite sample at frame " + std::to_string(start + done + i));
            mono.push_back(sum / float(channels));
        }
        done += read;
    }
    if (info.samplerate != options.targetRate) mono = resample(mono, info.samplerate, options.targetRate, name);
    if (options.normalize) normalizeInPlace(mono);
    return mono;
}

}  // namespace

std::vector<float> decodeAudioMemory(const std::string& name, const void* data, std::size_t size,
                                     const CorpusOptions& options, bool raw) {
    if (size == 0) throw AudioError(name + " is empty (0 bytes)");
    MemoryFile memory{static_cast<const unsigned char*>(data), sf_count_t(size), 0};
    SF_VIRTUAL_IO io{MemoryFile::length, MemoryFile::seek, MemoryFile::read, MemoryFile::write, MemoryFile::tell};
    SF_INFO info{};
    if (raw) rawLayout(options, info);
    SndfilePtr file(sf_open_virtual(&io, SFM_READ, &info, &memory));
    if (!file) throw AudioError(name + " is not an audio file libsndfile can read: " + sf_strerror(nullptr));
    if (const std::string problem = layoutProblem(info); !problem.empty()) throw AudioError(name + ": " + problem);
    const std::int64_t frames = std::min<std::int64_t>(info.frames, windowFrames(options.windowSeconds, info.samplerate, info.frames));
    return decodeFrames(file.get(), info, 0, frames, options, name);
}

AudioCorpus AudioCorpus::scan(const std::string& dir, const CorpusOptions& options) {
    const fs::path root(dir);
    std::error_code ec;
    if (!fs::exists(root, ec)) throw AudioFolderError("audio folder " + dir + " does not exist");
    if (!fs::is_directory(root, ec)) throw AudioFolderError(dir + " is not a folder: give a folder of audio files");

    // Speaker name -> files. Loose root files form a speaker named after the root; a subfolder of the
    // same name joins it instead of becoming a second speaker with an identical name.
    std::map<std::string, std::vector<fs::path>> filesBySpeaker;
    const std::string rootSpeaker = folderName(root);
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code typeEc;
        if (it->is_directory(typeEc)) {
            auto files = audioFilesBelow(it->path());
            auto& list = filesBySpeaker[it->path().filename().string()];
            list.insert(list.end(), files.begin(), files.end());
        } else if (it->is_regular_file(typeEc) && isAudioFile(it->path())) {
            filesBySpeaker[rootSpeaker].push_back(it->path());
        }
    }
    if (ec) throw AudioFolderError("cannot list audio folder " + dir + ": " + ec.message());

    AudioCorpus corpus;
    corpus.root_ = dir;
    corpus.options_ = options;
    TranscriptFinder transcripts(dir);

    for (auto& [name, files] : filesBySpeaker) {
        std::sort(files.begin(), files.end());
        Speaker speaker;
        speaker.name = name;
        for (const fs::path& file : files) {
            const Probe p = probe(file, options);
            if (!p.problem.empty()) {
                corpus.skipped_.push_back({file.string(), p.problem});
                continue;
            }
            const std::int64_t window = windowFrames(options.windowSeconds, p.rate, p.frames);
            const std::string stem = file.stem().string();
            for (std::int64_t start = 0, k = 0; start < p.frames; start += window, ++k) {
                Clip clip;
                clip.path = file.string();
                clip.speaker = name;
                clip.id = k == 0 ? stem : stem + "#" + std::to_string(k);
                clip.startFrame = start;
                clip.frames = std::min(window, p.frames - start);
                clip.sourceRate = p.rate;
                clip.channels = p.channels;
                clip.seconds = double(clip.frames) / p.rate;
                speaker.clips.push_back(std::move(clip));
            }
            corpus.cutFiles_ += p.frames > window;
            // A transcript describes the whole recording, so it cannot be split across windows.
            if (p.frames <= window) speaker.clips.back().transcript = transcripts.find(file.string());
        }
        if (speaker.clips.empty()) continue;
        recount(speaker);
        corpus.speakers_.push_back(std::move(speaker));
    }

    if (corpus.speakers_.empty()) {
        const auto& skipped = corpus.skipped_;
        std::string message = "no readable audio in " + dir;
        if (skipped.empty())
            message += " (no audio files found in it or its subfolders)";
        else
            message += ": " + std::to_string(skipped.size()) + " file(s) skipped, the first (" +
                       skipped.front().path + ") because: " + skipped.front().reason;
        throw AudioFolderError(message);
    }
    return corpus;
}

void AudioCorpus::selectSpeakers(const std::vector<std::string>& names) {
    std::vector<Speaker> selected;
    for (const std::string& name : names) {
        auto it = std::find_if(speakers_.begin(), speakers_.end(), [&](const Speaker& s) { return s.name == name; });
        if (it == speakers_.end()) {
            std::string known;
            for (const Speaker& s : speakers_) known += (known.empty() ? "" : ", ") + s.name;
            throw InputError("unknown speaker \"" + name + "\" in " + root_ + " (speakers: " + known + ")");
        }
        selected.push_back(*it);
    }
    speakers_ = std::move(selected);
}

void AudioCorpus::limitClips(int n) {
    if (n <= 0) return;
    for (Speaker& speaker : speakers_) {
        if (speaker.clips.size() > std::size_t(n)) speaker.clips.resize(std::size_t(n));
        recount(speaker);
    }
}

void AudioCorpus::keepClips(const std::function<bool(const Clip&)>& keep) {
    std::vector<Speaker> kept;
    for (Speaker& speaker : speakers_) {
        std::vector<Clip> clips;
        for (Clip& clip : speaker.clips)
            if (keep(clip)) clips.push_back(std::move(clip));
        if (clips.empty()) continue;
        speaker.clips = std::move(clips);
        recount(speaker);
        kept.push_back(std::move(speaker));
    }
    speakers_ = std::move(kept);
}

std::vector<float> AudioCorpus::load(const Clip& clip) const {
    SF_INFO info;
    std::string error;
    SndfilePtr file = openAudio(clip.path, options_, info, &error);
    if (!file) throw AudioError("cannot open " + clip.path + ": " + error);
    if (clip.frames <= 0 || clip.startFrame < 0 || clip.startFrame + clip.frames > info.frames)
        throw AudioError(clip.path + " changed since it was scanned (clip " + clip.id + " is out of range)");
    return decodeFrames(file.get(), info, clip.startFrame, clip.frames, options_, clip.path);
}

}  // namespace qs
