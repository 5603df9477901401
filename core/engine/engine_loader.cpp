// engine(): finds libqs_engine.so and takes its table (engine.h). The library is looked up by name,
// so a process that links it already (tests, benchmarks) gets that copy, and otherwise through the
// program's run path: build/lib in a build tree, ../lib/quantscope next to an installed program.
#include "core/engine/engine.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "core/base/errors.h"

namespace qs {
namespace {

std::once_flag once;
const Engine* table = nullptr;
std::string failure;
std::atomic<bool> loaded{false};

void load() {
    const char* override = std::getenv("QUANTSCOPE_ENGINE");
    const std::string name = override && *override ? override : "libqs_engine.so";
    void* handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
        const char* why = ::dlerror();
        failure = "cannot load quantscope's model engine (" + name + "): " + (why ? why : "unknown reason");
        return;
    }
    using TableFn = const Engine* (*)();
    auto fn = reinterpret_cast<TableFn>(::dlsym(handle, "qs_engine_table"));
    if (!fn) {
        failure = name + " is not quantscope's model engine (no qs_engine_table)";
        return;
    }
    const Engine* t = fn();
    if (!t || t->size != sizeof(Engine)) {
        failure = name + " was built from another version of quantscope: reinstall or rebuild it";
        return;
    }
    table = t;
    loaded = true;
}

}  // namespace

const Engine& engine() {
    std::call_once(once, load);
    if (!table) throw ModelError(failure);
    return *table;
}

bool engineLoaded() { return loaded; }

}  // namespace qs
