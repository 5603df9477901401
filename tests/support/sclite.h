// Runs NIST's sclite (Debian's sctk) on trn files for the tests that compare quantscope's WER with
// the standard scorer's. Absent sclite is not an error here: callers skip with a message.
#pragma once

#include <QString>

namespace qs::test {

struct ScliteSum {
    bool ok = false;
    QString error;       // why not ok (sclite's output tail)
    long long words = 0;  // reference words (#Wrd of the Sum line)
    long long errors = 0; // substitutions + deletions + insertions (Err of the Sum line)
    long long sub = 0, del = 0, ins = 0;
    double rate() const { return words > 0 ? double(errors) / double(words) : 0.0; }
};

// How to run sclite here: "sclite" on PATH, /usr/lib/sctk/bin/sclite, or the "sctk" front end
// ("sctk sclite"). Empty when sctk is not installed.
QStringList scliteCommand();

// Scores hypothesis against reference (both trn files) with sclite's raw summary (-o rsum): the
// counts of its Sum line.
ScliteSum runSclite(const QString& reference, const QString& hypothesis);

}  // namespace qs::test
