// Internal to core/: loading a TorchScript archive so that a cancel request stops it within one
// record. Includes LibTorch; never include this from a header that Qt code sees.
#pragma once

#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/script.h>

#include <memory>

namespace qs::detail {

// torch::jit::load of `file`, checking this thread's cancel flags (core/base/cancel.h) before every
// read the loader makes (a tensor's bytes, the code, a pickle), so that loading a model of a few
// hundred MB stops within one record. Throws Cancelled when stopped; LibTorch's own exceptions
// (a file that is not a TorchScript archive) pass through for the caller to word.
//
// A cancelled read returns nothing instead of throwing: an exception thrown through the archive
// reader (miniz) leaks the buffer it decompresses into, while a short read is an error it cleans
// up after, and LibTorch then throws its own "file read failed", which becomes Cancelled here. The
// reads of the archive reader's constructor are never cancelled (a failure there leaks in LibTorch
// 1.13); they are a few small ones (the central directory and the version record).
torch::jit::Module loadTorchScript(std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file,
                                   torch::jit::ExtraFilesMap& extra);

}  // namespace qs::detail
