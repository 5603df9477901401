// loadTorchScript: torch::jit::load that a cancel request stops between two reads.
#include "core/model/model_file.h"

#include <caffe2/serialize/inline_container.h>

#include <atomic>
#include <cstring>
#include <limits>

#include "core/base/cancel.h"
#include "core/base/errors.h"

namespace qs::detail {
namespace {

// Passes reads through and counts them. After the first `spared` reads, a cancel request makes
// every further read return nothing (a zeroed buffer, so no caller sees uninitialised bytes) and
// stopped() true.
class CancellableRead : public caffe2::serialize::ReadAdapterInterface {
public:
    CancellableRead(std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file, std::size_t spared)
        : file_(std::move(file)), spared_(spared) {}
    size_t size() const override { return file_->size(); }
    size_t read(uint64_t pos, void* buf, size_t n, const char* what) const override {
        if (reads_ >= spared_ && (stopped_ || cancelRequested())) {
            stopped_ = true;
            std::memset(buf, 0, n);
            return 0;
        }
        ++reads_;
        return file_->read(pos, buf, n, what);
    }
    std::size_t reads() const { return reads_; }
    bool stopped() const { return stopped_; }

private:
    std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file_;
    const std::size_t spared_;
    mutable std::size_t reads_ = 0;
    mutable std::atomic<bool> stopped_{false};
};

}  // namespace

torch::jit::Module loadTorchScript(std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file,
                                   torch::jit::ExtraFilesMap& extra) {
    throwIfCancelled();
    // The archive reader's constructor (magic number, central directory, the version record) must
    // not fail half-way: LibTorch 1.13 then leaks the directory miniz has read, as the destructor
    // that would free it never runs. So count the reads it makes, on its own, and spare that many.
    std::size_t spared = 0;
    {
        auto counter = std::make_shared<CancellableRead>(file, std::numeric_limits<std::size_t>::max());
        caffe2::serialize::PyTorchStreamReader probe(counter);
        spared = counter->reads();
    }
    throwIfCancelled();
    auto reader = std::make_shared<CancellableRead>(std::move(file), spared);
    torch::jit::Module m;
    try {
        m = torch::jit::load(reader, torch::kCPU, extra);
    } catch (...) {
        if (reader->stopped()) throw Cancelled();
        throw;
    }
    // A read the loader could do without (none is known) must not pass for a whole model; and a
    // request during the last read still stops the job.
    if (reader->stopped()) throw Cancelled();
    throwIfCancelled();
    return m;
}

}  // namespace qs::detail
