// OutputComparer: SQNR, KL of the softmax, L1/L2, cosine and max difference, accumulated over
// clips.
#include "core/evaluation/output_compare.h"

#include <algorithm>
#include <cmath>

#include "core/base/errors.h"
#include "core/model/speech_model.h"

namespace qs {
namespace {

std::int64_t elementCount(const ModelOutput& o) {
    std::int64_t n = 1;
    for (const std::int64_t d : o.shape) n *= d;
    return n;
}

// KL(softmax(p) ‖ softmax(x)) of one row, through log-softmax with the max subtracted so large
// logits neither overflow nor lose the small probabilities.
double rowKl(const float* p, const float* x, std::size_t width) {
    double mp = -INFINITY, mx = -INFINITY;
    for (std::size_t i = 0; i < width; ++i) mp = std::max(mp, double(p[i])), mx = std::max(mx, double(x[i]));
    double zp = 0, zx = 0;
    for (std::size_t i = 0; i < width; ++i) zp += std::exp(p[i] - mp), zx += std::exp(x[i] - mx);
    const double logZp = mp + std::log(zp), logZx = mx + std::log(zx);
    double kl = 0;
    for (std::size_t i = 0; i < width; ++i) {
        const double lp = p[i] - logZp, lx = x[i] - logZx;
        kl += std::exp(lp) * (lp - lx);
    }
    return std::max(0.0, kl);  // rounding can make a zero divergence slightly negative
}

}  // namespace

void OutputComparer::add(const ModelOutput& reference, const ModelOutput& quantized) {
    if (reference.shape != quantized.shape || reference.shape.empty() ||
        std::int64_t(reference.values.size()) != elementCount(reference) ||
        reference.values.size() != quantized.values.size())
        throw ModelError("the quantized model's output has another shape than the float model's");
    const std::size_t width = std::size_t(reference.shape.back());
    const std::size_t rows = width ? reference.values.size() / width : 0;
    const float* f = reference.values.data();
    const float* q = quantized.values.data();

    double dot = 0, normF = 0, normQ = 0;
    for (std::size_t i = 0; i < reference.values.size(); ++i) {
        const double a = f[i], b = q[i], diff = a - b;
        signal_ += a * a;
        noise_ += diff * diff;
        absDiff_ += std::fabs(diff);
        maxAbsDiff_ = std::max(maxAbsDiff_, std::fabs(diff));
        dot += a * b;
        normF += a * a;
        normQ += b * b;
    }
    for (std::size_t r = 0; r < rows; ++r) kl_ += rowKl(f + r * width, q + r * width, width);

    // Two zero outputs agree perfectly; one zero output against a non-zero one not at all.
    const double denom = std::sqrt(normF) * std::sqrt(normQ);
    cosine_ += denom > 0 ? 1.0 - dot / denom : (normF == normQ ? 0.0 : 1.0);
    rows_ += std::int64_t(rows);
    elements_ += std::int64_t(reference.values.size());
    ++clips_;
}

void OutputComparer::add(const OutputComparer& o) {
    signal_ += o.signal_, noise_ += o.noise_, absDiff_ += o.absDiff_, kl_ += o.kl_, cosine_ += o.cosine_;
    maxAbsDiff_ = std::max(maxAbsDiff_, o.maxAbsDiff_);
    rows_ += o.rows_, elements_ += o.elements_, clips_ += o.clips_;
}

OutputComparison OutputComparer::result() const {
    OutputComparison r;
    if (noise_ > 0)
        r.sqnrDb = std::clamp(10.0 * std::log10(signal_ / noise_), -kMaxSqnrDb, kMaxSqnrDb);
    r.kl = rows_ > 0 ? kl_ / double(rows_) : 0;
    r.l1 = elements_ > 0 ? absDiff_ / double(elements_) : 0;
    r.l2 = elements_ > 0 ? noise_ / double(elements_) : 0;
    r.cosine = clips_ > 0 ? cosine_ / clips_ : 0;
    r.maxAbsDiff = maxAbsDiff_;
    r.clips = clips_;
    r.rows = rows_;
    r.elements = elements_;
    return r;
}

OutputComparison compareOutputs(const ModelOutput& reference, const ModelOutput& quantized) {
    OutputComparer c;
    c.add(reference, quantized);
    return c.result();
}

}  // namespace qs
