// quantscope::conv1d_chunked: a 1-D convolution in runs of output frames, a cancel check between runs.
#include "core/model/chunked_conv.h"

#include <algorithm>

#include "core/base/cancel.h"

namespace qs::detail {
namespace {

at::Tensor chunkedOp(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef stride,
                     at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
    return conv1dChunked(x, w, b, stride, padding, dilation, groups);
}

TORCH_LIBRARY_FRAGMENT(quantscope, m) {
    m.def(torch::schema("quantscope::conv1d_chunked(Tensor input, Tensor weight, Tensor? bias, int[] stride, "
                        "int[] padding, int[] dilation, int groups) -> Tensor",
                        c10::AliasAnalysisKind::CONSERVATIVE),
          &chunkedOp);
}

int64_t first(at::IntArrayRef v, int64_t fallback) { return v.empty() ? fallback : v[0]; }

}  // namespace

at::Tensor conv1dChunked(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                         at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups,
                         int64_t maxMacs, int64_t minMacs) {
    auto whole = [&] { return at::conv1d(x, w, b, stride, padding, dilation, groups); };
    if ((x.dim() != 2 && x.dim() != 3) || w.dim() != 3 || stride.size() > 1 || padding.size() > 1 || dilation.size() > 1)
        return whole();
    const int64_t s = first(stride, 1), p = first(padding, 0), d = first(dilation, 1), k = w.size(2);
    const int64_t length = x.size(-1);
    const int64_t out = (length + 2 * p - d * (k - 1) - 1) / s + 1;
    const int64_t batch = x.dim() == 3 ? x.size(0) : 1;
    const int64_t macsPerFrame = std::max<int64_t>(1, batch * w.numel());
    if (s <= 0 || d <= 0 || out <= 1 || out * macsPerFrame <= minMacs) return whole();

    const int64_t frames = std::max<int64_t>(1, maxMacs / macsPerFrame);
    at::Tensor y;
    for (int64_t o0 = 0; o0 < out; o0 += frames) {
        throwIfCancelled();
        const int64_t o1 = std::min(out, o0 + frames);
        // Input frames [i0, i1) in unpadded coordinates; outside [0, length) they are the zero padding.
        const int64_t i0 = o0 * s - p, i1 = (o1 - 1) * s - p + d * (k - 1) + 1;
        const int64_t lo = std::clamp<int64_t>(i0, 0, length), hi = std::clamp<int64_t>(i1, 0, length);
        at::Tensor piece;
        if (hi > lo) {
            piece = x.narrow(-1, lo, hi - lo);
            if (lo > i0 || i1 > hi) piece = at::constant_pad_nd(piece, {lo - i0, i1 - hi}, 0);
        } else {
            std::vector<int64_t> sizes = x.sizes().vec();
            sizes.back() = i1 - i0;
            piece = at::zeros(sizes, x.options());
        }
        const at::Tensor part = at::conv1d(piece, w, b, stride, at::IntArrayRef{0}, dilation, groups);
        if (!y.defined()) {
            std::vector<int64_t> sizes = part.sizes().vec();
            sizes.back() = out;
            y = at::empty(sizes, part.options());
        }
        y.narrow(-1, o0, o1 - o0).copy_(part);
    }
    return y;
}

torch::jit::Node* chunkConvolution(torch::jit::Graph& graph, torch::jit::Node* node) {
    std::vector<torch::jit::Value*> inputs;
    if (node->kind() == c10::aten::conv1d && node->inputs().size() == 7 &&
        node->input(4)->type()->kind() == c10::TypeKind::ListType) {
        inputs.assign(node->inputs().begin(), node->inputs().end());  // (padding as int[], not "same"/"valid")
    } else if (node->kind() == c10::aten::_convolution && node->inputs().size() >= 12) {
        const auto transposed = torch::jit::toIValue(node->input(6));
        if (!transposed || !transposed->isBool() || transposed->toBool()) return node;
        for (std::size_t i : {0, 1, 2, 3, 4, 5, 8}) inputs.push_back(node->input(i));
    } else {
        return node;
    }
    torch::jit::Node* chunked =
        graph.create(c10::Symbol::fromQualString("quantscope::conv1d_chunked"), inputs);
    chunked->output()->setType(node->output()->type());
    chunked->insertBefore(node);
    node->output()->replaceAllUsesWith(chunked->output());
    node->destroy();
    return chunked;
}

}  // namespace qs::detail
