// Greedy CTC decoding: the most likely label per frame, repeats collapsed, blanks dropped. This is the
// transcript quantscope shows and scores; it needs the model's CTC vocabulary (model.json `labels`,
// blank first).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace qs {

struct ModelOutput;

// Index of the CTC blank in the vocabulary ("blank first", DESIGN.md).
inline constexpr int kCtcBlank = 0;

// The label path after the greedy rule: argmax per frame (the first maximum on ties, as
// torch.argmax), consecutive repeats collapsed, blanks removed. A label repeated with a blank in
// between stays twice. logits holds frames × vocabulary floats, row-major.
std::vector<int> greedyCtcPath(const float* logits, std::size_t frames, std::size_t vocabulary);

// The text of a label path: word separators ("|" and whitespace labels) become spaces, special
// tokens written in angle brackets ("<unk>", "<s>") produce nothing, every other label is copied;
// runs of whitespace then collapse to one space and the ends are trimmed.
std::string ctcText(const std::vector<int>& path, const std::vector<std::string>& labels);

// Greedy transcript of a model output of shape [1, frames, vocabulary] (or [frames, vocabulary]).
// Throws InputError when labels is empty, the batch is larger than 1, or the vocabulary size is not
// labels.size().
std::string greedyCtcDecode(const ModelOutput& output, const std::vector<std::string>& labels);

}  // namespace qs
