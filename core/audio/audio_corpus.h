// An audio folder as speakers and clips. Scanning reads headers only; samples are decoded one clip at
// a time by load(), so memory does not grow with the size of the folder.
//
// Layout: each subfolder of the root is a speaker, with its files at any depth below it (LibriSpeech's
// speaker/chapter/utterance included); loose files in the root form one speaker named after the root.
// Any format libsndfile reads; headerless .raw as 16-bit mono PCM at 16 kHz unless told otherwise.
// Recordings longer than the window are cut into consecutive clips of at most windowSeconds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace qs {

struct CorpusOptions {
    int targetRate = 16000;       // the model's sample rate: clips are resampled (soxr) to it
    bool normalize = true;        // zero mean, unit variance per clip: (x - mean) / sqrt(var + 1e-7)
    double windowSeconds = 30.0;  // longer recordings become several clips
    int rawRate = 16000;          // for headerless .raw files (16-bit little-endian PCM)
    int rawChannels = 1;
};

struct Clip {
    std::string path;        // the audio file
    std::string speaker;
    std::string id;          // utterance id: file stem, with "#k" appended for the k-th window (k >= 1)
    std::int64_t startFrame = 0;   // window start in the file's own frames
    std::int64_t frames = 0;       // window length in the file's own frames
    int sourceRate = 0;
    int channels = 0;
    double seconds = 0.0;          // frames / sourceRate
    std::string transcript;        // reference text when one was found, else empty (whole-file clips only)
};

struct Speaker {
    std::string name;
    std::vector<Clip> clips;
    double seconds = 0.0;
    int files = 0;
};

struct SkippedFile {
    std::string path;
    std::string reason;  // one readable sentence: "not an audio file libsndfile can read: ...", "empty (0 frames)"
};

// Workers finish clips in any order: sorts by path (stable) so lists come out the same every run.
void sortSkipped(std::vector<SkippedFile>& skipped);

// Decodes a recording held in memory as AudioCorpus::load decodes a clip: its first window of
// options.windowSeconds (all of it when that is <= 0), mixed to mono, resampled to
// options.targetRate, normalized if asked. raw: headerless PCM laid out as options' raw fields say.
// name stands for the file in messages. Throws AudioError on data libsndfile cannot read, an
// invalid or empty header, a truncated file or a NaN sample. (The fuzz harnesses' entry point.)
std::vector<float> decodeAudioMemory(const std::string& name, const void* data, std::size_t size,
                                     const CorpusOptions& options, bool raw = false);

class AudioCorpus {
public:
    // Scans dir. Throws InputError when dir is missing, not a folder, or holds no readable audio
    // (the message then says how many files were skipped and why the first one was).
    static AudioCorpus scan(const std::string& dir, const CorpusOptions& options = {});

    const std::string& root() const { return root_; }
    const CorpusOptions& options() const { return options_; }
    const std::vector<Speaker>& speakers() const { return speakers_; }
    const std::vector<SkippedFile>& skipped() const { return skipped_; }
    // Recordings the scan cut into several clips (longer than the window), before any selection.
    std::size_t cutFiles() const { return cutFiles_; }

    // Keeps only the named speakers, in the given order. Throws InputError naming an unknown speaker.
    void selectSpeakers(const std::vector<std::string>& names);
    // Keeps at most n clips per speaker (the first n in path order). n <= 0 keeps all.
    void limitClips(int n);
    // Keeps the clips for which keep(clip) is true; speakers left without clips are dropped.
    void keepClips(const std::function<bool(const Clip&)>& keep);

    // Decodes one clip: mono (channel mean), resampled to targetRate, normalized if asked.
    // Throws AudioError with the file name when the data cannot be decoded or holds a NaN or
    // infinite sample.
    std::vector<float> load(const Clip& clip) const;

private:
    std::string root_;
    CorpusOptions options_;
    std::vector<Speaker> speakers_;
    std::vector<SkippedFile> skipped_;
    std::size_t cutFiles_ = 0;
};

}  // namespace qs
