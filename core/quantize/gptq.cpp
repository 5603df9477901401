// GPTQ for one weight matrix: the Hessian of its inputs, then column-by-column rounding with error
// feedback through the Cholesky factor of the damped inverse Hessian.
#include "core/quantize/gptq.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <tuple>

#include "core/base/cancel.h"
#include "core/base/errors.h"
#include "core/quantize/row_slices.h"

namespace qs {
namespace {

constexpr int kDampeningRetries = 6;

// LAPACK and BLAS (OpenBLAS through Debian's alternatives, as LibTorch uses them), for what LibTorch
// does not offer: a triangular inverse (trtri) and a symmetric rank-k update (syrk), each half the
// work of the general routine. Fortran interfaces, column-major, hidden string lengths last.
extern "C" {
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t);
void strtri_(const char* uplo, const char* diag, const int* n, float* a, const int* lda, int* info, std::size_t,
             std::size_t);
void ssyrk_(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha, const float* a,
            const int* lda, const float* beta, float* c, const int* ldc, std::size_t, std::size_t);
}

int lapackInt(std::int64_t n) {
    if (n > std::numeric_limits<int>::max()) throw InputError("GPTQ: a dimension too large for LAPACK");
    return int(n);
}

// The upper Cholesky factor U of (H + δI)⁻¹ (H⁻¹ = UᵀU), raising δ tenfold while a factorisation
// fails. With J the reversal of the columns: J(H + δI)J = LLᵀ gives (H + δI)⁻¹ = (J L⁻¹ J)ᵀ(J L⁻¹ J)
// and J L⁻¹ J is upper triangular, so one Cholesky factorisation and one triangular inverse do it.
at::Tensor inverseFactor(const at::Tensor& h, double& damp) {
    const int n = lapackInt(h.size(0));
    for (int attempt = 0; attempt <= kDampeningRetries; ++attempt, damp *= 10.0) {
        // Row-major storage read as column-major is the transpose; J(H + δI)J is symmetric.
        at::Tensor a = h.flip({0, 1}).contiguous();
        a.diagonal().add_(damp);
        int info = 0;
        spotrf_("L", &n, a.data_ptr<float>(), &n, &info, 1);  // column-major lower L = row-major upper Lᵀ
        if (info != 0) continue;
        strtri_("L", "N", &n, a.data_ptr<float>(), &n, &info, 1, 1);  // L⁻¹, likewise
        if (info != 0) continue;
        const at::Tensor upper = a.t().tril().flip({0, 1}).contiguous();  // J L⁻¹ J
        if (at::isfinite(upper).all().item<bool>()) return upper;
    }
    throw ModelError("GPTQ: the layer inputs' Hessian stays singular even with dampening " + std::to_string(damp / 10.0));
}

}  // namespace

Gptq::Gptq(std::int64_t columns, GptqOptions options)
    : columns_(columns), options_(options), sum_(at::zeros({columns, columns}, at::kDouble)) {
    if (columns <= 0) throw InputError("GPTQ needs at least one column");
    if (options.blockSize < 1 || !(options.dampening > 0.0)) throw InputError("GPTQ: bad block size or dampening");
}

void Gptq::addBatch(const at::Tensor& x) {
    if (x.dim() != 2 || x.size(1) != columns_) throw InputError("GPTQ: input rows do not have the weight's columns");
    const int n = lapackInt(columns_);
    at::Tensor product = at::zeros({columns_, columns_}, at::kFloat);
    detail::forRowSlices(x, 0, [&](const at::Tensor& slice) {
        const at::Tensor f = slice.to(at::kFloat).contiguous();  // column-major: fᵀ, [columns, k]
        const int k = lapackInt(f.size(0));
        const float one = 1.0f;
        // += fᵀf in the column-major upper triangle, i.e. the row-major lower one (the other stays 0).
        ssyrk_("U", "N", &n, &k, &one, f.data_ptr<float>(), &n, &one, product.data_ptr<float>(), &n, 1, 1);
    });
    sum_ += product.to(at::kDouble);
    count_ += x.size(0);
}

at::Tensor Gptq::hessian() const {
    if (count_ == 0) return at::zeros_like(sum_, at::kFloat);
    at::Tensor h = (sum_ * (2.0 / double(count_))).to(at::kFloat).contiguous();
    float* H = h.data_ptr<float>();
    const std::int64_t n = columns_, tile = 64;
    for (std::int64_t i0 = 0; i0 < n; i0 += tile)  // the lower triangle mirrored, tile by tile
        for (std::int64_t j0 = 0; j0 <= i0; j0 += tile)
            for (std::int64_t i = i0; i < std::min(n, i0 + tile); ++i)
                for (std::int64_t j = j0; j < std::min(i, j0 + tile); ++j) H[j * n + i] = H[i * n + j];
    return h;
}

at::Tensor Gptq::quantize(const at::Tensor& w0, GptqGrid& grid, const std::function<void()>& check) {
    if (w0.dim() != 2 || w0.size(1) != columns_) throw InputError("GPTQ: the weight does not have the inputs' columns");
    if (count_ == 0) throw ModelError("GPTQ: no input rows were seen");
    const std::int64_t rows = w0.size(0), cols = columns_;
    const std::int64_t groupsPerRow = grid.groupSize > 0 ? (cols + grid.groupSize - 1) / grid.groupSize : 1;
    if (std::int64_t(grid.scales.size()) != rows * groupsPerRow) throw InputError("GPTQ: the grid's scales do not fit the weight");

    at::Tensor h = hessian();
    at::Tensor w = w0.to(at::kFloat).clone();
    const at::Tensor dead = h.diagonal() == 0;
    dead_ = dead.sum().item<std::int64_t>();
    h.diagonal().masked_fill_(dead, 1.0);
    w.masked_fill_(dead.unsqueeze(0).expand_as(w), 0.0);
    const at::Tensor perm = options_.actOrder
                                ? std::get<1>(at::sort(h.diagonal(), /*stable=*/true, /*dim=*/0, /*descending=*/true))
                                : at::arange(cols, at::kLong);
    h = h.index_select(0, perm).index_select(1, perm);
    damp_ = options_.dampening * h.diagonal().mean().item<double>();
    const at::Tensor u = inverseFactor(h, damp_).contiguous();
    const float* U = u.data_ptr<float>();

    at::Tensor wt = w.index_select(1, perm).t().contiguous();  // [cols, rows]: column j is contiguous
    float* W = wt.data_ptr<float>();
    std::vector<std::int64_t> order(perm.data_ptr<std::int64_t>(), perm.data_ptr<std::int64_t>() + cols);
    std::vector<std::int64_t> position(static_cast<std::size_t>(cols));
    for (std::int64_t j = 0; j < cols; ++j) position[std::size_t(order[std::size_t(j)])] = j;

    const std::int64_t block = options_.blockSize;
    at::Tensor err = at::zeros({block, rows}, at::kFloat);
    float* E = err.data_ptr<float>();
    std::vector<std::int32_t> codes(static_cast<std::size_t>(rows * cols));  // natural [rows, cols]
    std::vector<bool> fitted(static_cast<std::size_t>(groupsPerRow), false);
    std::vector<float> values;
    for (std::int64_t i1 = 0; i1 < cols; i1 += block) {
        throwIfCancelled();  // between blocks of columns
        if (check) check();
        const std::int64_t i2 = std::min(i1 + block, cols);
        for (std::int64_t j = i1; j < i2; ++j) {
            const std::int64_t c = order[std::size_t(j)];
            const std::int64_t g = grid.groupSize > 0 ? c / grid.groupSize : 0;
            if (grid.refit && grid.groupSize > 0 && !fitted[std::size_t(g)]) {
                // The group's current values: in-block columns are up to date; later blocks lack
                // this block's pending update, added here.
                fitted[std::size_t(g)] = true;
                const std::int64_t first = g * grid.groupSize, n = std::min(cols, first + grid.groupSize) - first;
                values.assign(std::size_t(rows * n), 0.0f);
                for (std::int64_t k = 0; k < n; ++k) {
                    const std::int64_t p = position[std::size_t(first + k)];
                    for (std::int64_t r = 0; r < rows; ++r) {
                        float v = W[p * rows + r];
                        if (p >= i2)
                            for (std::int64_t t = i1; t < j; ++t) v -= E[(t - i1) * rows + r] * U[t * cols + p];
                        values[std::size_t(r * n + k)] = v;
                    }
                }
                for (std::int64_t r = 0; r < rows; ++r)
                    grid.scales[std::size_t(r * groupsPerRow + g)] = grid.refit(values.data() + r * n, std::size_t(n));
            }
            const float d = U[j * cols + j];
            float* col = W + j * rows;
            float* e = E + (j - i1) * rows;
            for (std::int64_t r = 0; r < rows; ++r) {
                const float s = grid.scales[std::size_t(r * groupsPerRow + g)];
                const float inv = 1.0f / s;
                const auto q = static_cast<std::int64_t>(std::nearbyint(col[r] * inv));
                const std::int64_t code = std::min(std::max(q, grid.range.qmin), grid.range.qmax);
                codes[std::size_t(r * cols + c)] = std::int32_t(code);
                e[r] = (col[r] - float(code) * s) / d;
            }
            for (std::int64_t t = j + 1; t < i2; ++t) {
                const float f = U[j * cols + t];
                float* later = W + t * rows;
                for (std::int64_t r = 0; r < rows; ++r) later[r] -= e[r] * f;
            }
        }
        if (i2 < cols)  // lazy update of every later column: W[i2:] -= U[i1:i2, i2:]ᵀ · Err
            wt.narrow(0, i2, cols - i2)
                .addmm_(u.narrow(0, i1, i2 - i1).narrow(1, i2, cols - i2).t(), err.narrow(0, 0, i2 - i1), 1.0, -1.0);
    }
    return at::from_blob(codes.data(), {rows, cols}, at::kInt).clone();
}

}  // namespace qs
