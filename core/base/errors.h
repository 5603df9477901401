// Typed exceptions thrown by core/. Each carries one user-readable sentence: the app and the CLI
// print what() as is, so messages name the file or value at fault and say what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace qs {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Bad arguments or files given by the user: missing folder, unknown option value, malformed JSON.
struct InputError : Error {
    using Error::Error;
};

// An audio folder that gives no audio to work on: missing, not a folder, unlistable, or not one
// readable file in it. An InputError, so callers that need not tell it apart catch it as one.
struct AudioFolderError : InputError {
    using InputError::InputError;
};

// An audio file that cannot be decoded. The corpus turns these into skipped-file entries.
struct AudioError : Error {
    using Error::Error;
};

// A model that cannot be loaded, has no quantizable layers, or rejects a waveform.
struct ModelError : Error {
    using Error::Error;
};

// A memory budget that cannot be met (the message names the smallest reachable size).
struct BudgetError : Error {
    using Error::Error;
};

// A job that cannot run within the memory budget (--max-memory, or the default share of the memory
// available): the message says what it needs, what the budget leaves and what to change.
struct MemoryError : Error {
    using Error::Error;
};

// The progress callback asked to stop. Nothing partial is written when this is thrown.
struct Cancelled : Error {
    Cancelled() : Error("cancelled") {}
};

}  // namespace qs
