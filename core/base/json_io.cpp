// Atomic file writes (temporary sibling + rename), a writability check, and JSON reads with one-line errors.
#include "core/base/json_io.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/cancel.h"
#include "core/base/errors.h"

namespace qs {

std::string writeFailureReason(int error) {
    switch (error) {
    case ENOSPC: return "the disk is full (" + std::string(std::strerror(error)) + ")";
    case EDQUOT: return "the disk quota is used up (" + std::string(std::strerror(error)) + ")";
    case EFBIG: return "the file-size limit was reached (" + std::string(std::strerror(error)) + ")";
    case EROFS: return "the folder is on a read-only file system";
    case EACCES:
    case EPERM: return "the folder is not writable (" + std::string(std::strerror(error)) + ")";
    default: return std::strerror(error);
    }
}

namespace {

constexpr int kCancelledWrite = -1;
constexpr std::size_t kWriteChunk = std::size_t(16) << 20;

// Writes all of text to fd; returns 0, the errno of the failure, or kCancelledWrite. A large file
// goes in chunks of 16 MiB, each flushed to disk while the next is written (so the final fsync has
// little left to wait for), with a cancel check between chunks: a model of a few hundred MB is
// seconds of writing and flushing.
int writeAll(int fd, const std::string& text) {
    const char* p = text.data();
    std::size_t left = text.size();
    off_t chunkStart = 0, previous = -1;
    while (left > 0) {
        const std::size_t len = std::min(left, kWriteChunk);
        for (std::size_t done = 0; done < len;) {
            const ssize_t n = ::write(fd, p + done, len - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                return errno;
            }
            done += std::size_t(n);
        }
        p += len;
        left -= len;
        if (left == 0) break;
        // Start writing this chunk back; wait for the one before (errors surface at fsync).
        ::sync_file_range(fd, chunkStart, off_t(len), SYNC_FILE_RANGE_WRITE);
        if (previous >= 0)
            ::sync_file_range(fd, previous, chunkStart - previous,
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        previous = chunkStart;
        chunkStart += off_t(len);
        if (cancelRequested()) return kCancelledWrite;
    }
    return 0;
}

}  // namespace

// POSIX calls rather than a stream, so that the reason a write failed (a full disk, a file-size
// limit) reaches the message; fsync before the rename, so the new file is complete on disk when it
// replaces the old one. The temporary file is removed on any failure.
void writeFileAtomic(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) throw InputError("cannot write " + path + ": " + writeFailureReason(errno));
    int error = writeAll(fd, text);
    if (error == kCancelledWrite) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw Cancelled();
    }
    if (error == 0 && ::fsync(fd) != 0 && errno != EINVAL) error = errno;  // EINVAL: a file system without fsync
    if (::close(fd) != 0 && error == 0 && errno != EINTR) error = errno;
    if (error == 0 && std::rename(tmp.c_str(), path.c_str()) != 0) error = errno;
    if (error != 0) {
        ::unlink(tmp.c_str());
        throw InputError("cannot write " + path + ": " + writeFailureReason(error));
    }
}

void checkWritable(const std::string& path) {
    const std::string::size_type slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw InputError("cannot write " + path + ": folder " + dir + " does not exist");
    if (::access(dir.c_str(), W_OK) != 0) throw InputError("cannot write " + path + ": folder " + dir + " is not writable");
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw InputError("cannot write " + path + ": it is a folder");
}

void writeJsonAtomic(const std::string& path, const nlohmann::json& j) {
    writeFileAtomic(path, j.dump(1) + "\n");
}

nlohmann::json parseJson(const std::string& text, const std::string& name) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for 1e400
        throw InputError(name + " is not valid JSON (" + std::string(e.what()) + ")");
    }
}

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError("cannot open " + path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw InputError("cannot read " + path + ": " + std::strerror(errno));
    return parseJson(text.str(), path);
}

}  // namespace qs
