// Products over all of a layer's sampled rows in slices, with a cancel check before each: the whole
// 4,096-row sample of a wide layer at once is tens of G multiply-adds, seconds on a shared core.
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>

#include "core/base/cancel.h"

namespace qs::detail {

constexpr std::int64_t kRowsPerSlice = 512;

// Calls f(slice) for consecutive slices of x along `dim` (at most kRowsPerSlice each), checking for
// a cancel before each. Throws Cancelled.
template <class F>
void forRowSlices(const at::Tensor& x, std::int64_t dim, F&& f) {
    for (std::int64_t first = 0; first < x.size(dim); first += kRowsPerSlice) {
        throwIfCancelled();
        f(x.narrow(dim, first, std::min(kRowsPerSlice, x.size(dim) - first)));
    }
}

}  // namespace qs::detail
