// What makes a per-user pipeline restartable: a fingerprint of each step's inputs and options, and a
// record (steps.json in the user's folder) of the fingerprint each finished step had and the outputs
// it wrote. A step whose outputs all exist and whose fingerprint is unchanged is skipped; anything
// else runs it again. The record is rewritten atomically after each step, so a run killed at any
// point resumes at the first step that did not finish.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qs {

// A 128-bit xxHash (XXH3) of everything added, in order. Files are hashed by content.
class Fingerprint {
public:
    Fingerprint();
    ~Fingerprint();
    Fingerprint(const Fingerprint&) = delete;
    Fingerprint& operator=(const Fingerprint&) = delete;

    Fingerprint& text(const std::string& key, const std::string& value);
    // The file's size and bytes. Throws InputError when it cannot be read.
    Fingerprint& file(const std::string& path);
    // The fingerprint of another step (a step's inputs include the outputs before it).
    Fingerprint& step(const std::string& key, const std::string& fingerprint);

    std::string hex() const;  // 32 hex digits

private:
    struct State;
    std::unique_ptr<State> state_;
};

struct StepRecord {
    std::string fingerprint;
    std::vector<std::string> outputs;  // paths relative to the record's folder
    double seconds = 0;                // how long the step took when it ran
    double cpuSeconds = 0;             // the CPU time it took (every thread)
};

class StepRecords {
public:
    // Reads folder/steps.json when it exists. A record that cannot be read is ignored (every step
    // then runs again), never trusted.
    explicit StepRecords(std::string folder);

    // True when `step` finished with this fingerprint and every output it listed still exists.
    bool upToDate(const std::string& step, const std::string& fingerprint) const;
    const StepRecord* find(const std::string& step) const;

    // Records a finished step and rewrites steps.json atomically.
    void record(const std::string& step, StepRecord r);
    // Forgets a step (before running it again), and rewrites steps.json.
    void forget(const std::string& step);

private:
    void save() const;
    std::string folder_;
    std::map<std::string, StepRecord> steps_;
};

}  // namespace qs
