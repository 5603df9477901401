// Cancel requests that reach into long computations, so every job stops within a second.
//
// A progress callback (progress.h) is only asked between pieces of work; a forward pass over a long
// clip, a layer's clipping search or the writing of an export are single pieces that take seconds.
// So each thread may carry cancel flags: whoever starts a job points the thread at its flag with a
// CancelScope (the CLI at its Ctrl-C flag, the studio at its job's flag), the worker pool
// (core/model/clip_runner.h) gives each worker its run's stop flag chained to the flags of the
// thread that started the run, and long loops call throwIfCancelled() often: every layer of a
// forward pass does (core/model/torch_graph.cpp), as do the weight searches, the learned-rounding
// loops and the export's writers. A check is a thread-local read and an atomic load per flag.
//
// A flag that is never set, or no scope at all, never cancels: code run outside a job is unaffected.
#pragma once

#include <atomic>

#include "core/base/errors.h"

namespace qs {

// While alive, flag (when not null) cancels this thread's work, as do the flags of enclosing scopes.
// Scopes nest and must be destroyed in reverse order of creation, on the thread that made them.
class CancelScope {
public:
    explicit CancelScope(const std::atomic<bool>* flag);
    ~CancelScope();
    CancelScope(const CancelScope&) = delete;
    CancelScope& operator=(const CancelScope&) = delete;

    // The chain of flags a scope stands for: this scope's and its enclosing scopes'.
    struct Link {
        const std::atomic<bool>* flag;
        const Link* outer;
    };
    // This thread's innermost link, or null. A worker thread passes it to CancelScope's second
    // constructor to inherit the flags of the thread that started it (that thread must outlive it).
    static const Link* current();
    CancelScope(const std::atomic<bool>* flag, const Link* outer);

private:
    Link link_;
    const Link* previous_;
};

// True when a flag of this thread's scopes is set.
bool cancelRequested();

// Throws Cancelled when a flag of this thread's scopes is set.
inline void throwIfCancelled() {
    if (cancelRequested()) throw Cancelled();
}

}  // namespace qs
