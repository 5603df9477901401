// Fingerprints (xxHash XXH3-128 over strings and file contents) and steps.json, the per-user record of
// finished steps (step_records.h).
#include "core/fleet/step_records.h"

#include <xxhash.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/base/errors.h"
#include "core/base/json_io.h"

namespace qs {

struct Fingerprint::State {
    XXH3_state_t* xxh = XXH3_createState();
    ~State() { XXH3_freeState(xxh); }
};

Fingerprint::Fingerprint() : state_(std::make_unique<State>()) {
    if (!state_->xxh) throw std::bad_alloc();
    XXH3_128bits_reset(state_->xxh);
}

Fingerprint::~Fingerprint() = default;

Fingerprint& Fingerprint::text(const std::string& key, const std::string& value) {
    // Lengths first, so that ("ab", "c") and ("a", "bc") differ.
    const std::uint64_t sizes[2] = {key.size(), value.size()};
    XXH3_128bits_update(state_->xxh, sizes, sizeof sizes);
    XXH3_128bits_update(state_->xxh, key.data(), key.size());
    XXH3_128bits_update(state_->xxh, value.data(), value.size());
    return *this;
}

Fingerprint& Fingerprint::file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError("cannot read " + path + " to fingerprint it");
    text("file", path);
    std::vector<char> buffer(1 << 20);
    std::uint64_t bytes = 0;
    while (in) {
        in.read(buffer.data(), std::streamsize(buffer.size()));
        const std::streamsize n = in.gcount();
        if (n <= 0) break;
        XXH3_128bits_update(state_->xxh, buffer.data(), std::size_t(n));
        bytes += std::uint64_t(n);
    }
    if (in.bad()) throw InputError("cannot read " + path + " to fingerprint it");
    XXH3_128bits_update(state_->xxh, &bytes, sizeof bytes);
    return *this;
}

Fingerprint& Fingerprint::step(const std::string& key, const std::string& fingerprint) {
    return text("step:" + key, fingerprint);
}

std::string Fingerprint::hex() const {
    const XXH128_hash_t h = XXH3_128bits_digest(state_->xxh);
    char out[33];
    std::snprintf(out, sizeof out, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    return out;
}

StepRecords::StepRecords(std::string folder) : folder_(std::move(folder)) {
    const std::string path = folder_ + "/steps.json";
    if (!std::filesystem::exists(path)) return;
    try {
        const nlohmann::json j = readJson(path);
        for (const auto& [name, s] : j.at("steps").items()) {
            StepRecord r;
            r.fingerprint = s.at("fingerprint").get<std::string>();
            r.outputs = s.at("outputs").get<std::vector<std::string>>();
            r.seconds = s.at("seconds").get<double>();
            r.cpuSeconds = s.value("cpu_seconds", 0.0);
            steps_[name] = std::move(r);
        }
    } catch (const std::exception&) {
        steps_.clear();  // a damaged record is never trusted: everything runs again
    }
}

const StepRecord* StepRecords::find(const std::string& step) const {
    const auto it = steps_.find(step);
    return it == steps_.end() ? nullptr : &it->second;
}

bool StepRecords::upToDate(const std::string& step, const std::string& fingerprint) const {
    const StepRecord* r = find(step);
    if (!r || r->fingerprint != fingerprint) return false;
    for (const std::string& o : r->outputs)
        if (!std::filesystem::exists(folder_ + "/" + o)) return false;
    return true;
}

void StepRecords::record(const std::string& step, StepRecord r) {
    steps_[step] = std::move(r);
    save();
}

void StepRecords::forget(const std::string& step) {
    if (steps_.erase(step)) save();
}

void StepRecords::save() const {
    nlohmann::json steps = nlohmann::json::object();
    for (const auto& [name, r] : steps_)
        steps[name] = {{"fingerprint", r.fingerprint}, {"outputs", r.outputs}, {"seconds", r.seconds}, {"cpu_seconds", r.cpuSeconds}};
    writeJsonAtomic(folder_ + "/steps.json", {{"steps", steps}});
}

}  // namespace qs
