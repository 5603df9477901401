// GPTQ (Frantar et al. 2022; the IST-DASLab reference's add_batch / fasterquant) for one weight matrix
// on a quantizer grid: columns are rounded one at a time and each one's error is spread over the
// columns not yet rounded through the inverse Hessian of the layer's reconstruction error.
//
//   H = 2 XᵀX / n over the n input rows given to addBatch (float within one call, summed over calls
//   in double);
//   dead inputs (H_jj = 0) get H_jj = 1 and their weight column is zeroed;
//   act-order: columns in order of decreasing H_jj (a stable sort);
//   dampening: H + δI with δ = 1% of the mean diagonal; when a Cholesky factorisation fails
//   (not positive definite in float) δ is multiplied by 10 and the factorisations retried (at most 6 times);
//   U = the upper Cholesky factor of H⁻¹, from one Cholesky factorisation of H with its columns
//   reversed and one triangular inverse (LAPACK potrf, trtri: half the work of factorising, inverting
//   and factorising again); XᵀX by BLAS syrk (half of a general product); blocks of 128 columns: within a block every column's error updates the block's later
//   columns at once, the columns after the block are updated lazily, once per block.
// Grid: scale per (row, column group): one group per row (per channel, per tensor: every row the
// same scale) or consecutive columns of groupSize (per group). With a refit function, a group's scale
// is re-fitted on its current values (the original weights plus every error update so far) when the
// group's first column (in the processing order) is reached: GPTQ's "re-fitted per group". Codes use
// the quantizer's arithmetic: clamp(nearbyint(w × (1/s)), qmin, qmax).
// Computes on the calling thread (the caller sets one intra-op thread).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/quantize/learned_rounding_options.h"
#include "core/quantize/quantizer.h"

namespace qs {

struct GptqGrid {
    IntRange range;
    std::int64_t groupSize = 0;  // 0: one scale per row; else consecutive columns per scale
    std::vector<float> scales;   // [rows × groups per row], row-major
    // Per group: the scale for these current values (null: the scales stay as given).
    std::function<float(const float* values, std::size_t n)> refit;
};

class Gptq {
public:
    explicit Gptq(std::int64_t columns, GptqOptions options = {});

    // Adds input rows x [n, columns] to H.
    void addBatch(const at::Tensor& x);
    at::Tensor hessian() const;  // 2 XᵀX / n, float
    std::int64_t rows() const { return count_; }

    // Rounds w [rows, columns] (float) onto the grid; returns the codes [rows, columns], int32, in
    // w's column order. grid.scales hold the re-fitted scales afterwards. `check()` is called once per
    // block and may throw (Cancelled). Throws ModelError when no dampening makes H positive definite.
    at::Tensor quantize(const at::Tensor& w, GptqGrid& grid, const std::function<void()>& check = {});

    double dampeningUsed() const { return damp_; }  // δ of the last quantize
    std::int64_t deadColumns() const { return dead_; }

private:
    std::int64_t columns_;
    GptqOptions options_;
    at::Tensor sum_;  // XᵀX, double; only its lower triangle is kept
    std::int64_t count_ = 0;
    double damp_ = 0.0;
    std::int64_t dead_ = 0;
};

}  // namespace qs
