// The thread's chain of cancel flags.
#include "core/base/cancel.h"

namespace qs {
namespace {

thread_local const CancelScope::Link* tlInnermost = nullptr;

}  // namespace

CancelScope::CancelScope(const std::atomic<bool>* flag) : CancelScope(flag, tlInnermost) {}

CancelScope::CancelScope(const std::atomic<bool>* flag, const Link* outer)
    : link_{flag, outer}, previous_(tlInnermost) {
    tlInnermost = &link_;
}

CancelScope::~CancelScope() { tlInnermost = previous_; }

const CancelScope::Link* CancelScope::current() { return tlInnermost; }

bool cancelRequested() {
    for (const CancelScope::Link* l = tlInnermost; l; l = l->outer)
        if (l->flag && l->flag->load(std::memory_order_relaxed)) return true;
    return false;
}

}  // namespace qs
