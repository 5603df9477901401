// Progress reporting for long core calls. A callback returns false to cancel; the callee then stops
// at the next check and throws qs::Cancelled, leaving no partial output behind.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "core/base/errors.h"

namespace qs {

struct Progress {
    std::size_t done = 0;   // units finished (clips, layers, ...)
    std::size_t total = 0;  // units in all; 0 when unknown
    double seconds = 0.0;   // audio seconds processed so far, where that applies
    std::string message;    // what is being worked on, for a status line

    double fraction() const { return total ? double(done) / double(total) : 0.0; }
};

using ProgressFn = std::function<bool(const Progress&)>;

// Reports p and throws Cancelled when the callback says stop. A null callback never cancels.
inline void report(const ProgressFn& fn, const Progress& p) {
    if (fn && !fn(p)) throw Cancelled();
}

}  // namespace qs
