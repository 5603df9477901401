// Atomic file writes (temporary sibling + rename), a writability check, and JSON reads with one-line errors.
#include "core/base/json_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/errors.h"

namespace qs {

void writeFileAtomic(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw InputError("cannot write " + path + ": " + std::strerror(errno));
        out << text;
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw InputError("cannot write " + path + ": disk full or not writable");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        throw InputError("cannot write " + path + ": " + why);
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

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError("cannot open " + path + ": " + std::strerror(errno));
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        throw InputError(path + " is not valid JSON (" + std::string(e.what()) + ")");
    }
}

}  // namespace qs
