// model.json, the metadata a TorchScript file may carry as an extra file: sample_rate, labels (the
// CTC vocabulary, blank first) and normalize. Parsed here, without LibTorch, so that it can be
// tested and fuzzed on its own; SpeechModel::load hands it the text it found in the file.
#pragma once

#include <string>

#include "core/model/model_info.h"

namespace qs {

// Applies the metadata in text to info (sampleRate, normalize, labels); empty text changes nothing.
// Throws ModelError with one line naming modelPath, model.json and the field at fault: not JSON,
// not an object, a mistyped field, a sample rate outside 1000..384000 Hz, a repeated label or an
// empty one other than the blank (label 0).
void applyModelMetadata(const std::string& modelPath, const std::string& text, ModelInfo& info);

}  // namespace qs
