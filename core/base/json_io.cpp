// Atomic file writes (temporary sibling + rename), a writability check, and JSON reads with one-line errors.
#include "core/base/json_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

// Writes all of text to fd; returns 0 or the errno of the failure.
int writeAll(int fd, const std::string& text) {
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += n;
        left -= std::size_t(n);
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
