// /proc/meminfo, the memory cgroups of /proc/self/cgroup (found through /proc/self/mountinfo),
// /proc/self/statm and status; memory sizes as text.
#include "core/base/system_memory.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/base/errors.h"

namespace qs {
namespace {

constexpr double kKiB = 1024.0;

// The number after "key:" in a /proc file of "key: value kB" lines, in bytes; -1 when absent.
std::int64_t procField(const char* file, const std::string& key) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
        std::istringstream fields(line.substr(key.size() + 1));
        std::int64_t kb = -1;
        fields >> kb;
        return kb < 0 ? -1 : kb * 1024;
    }
    return -1;
}

// A cgroup file holding one number ("max" for v2's unlimited); -1 when absent or unlimited.
std::int64_t cgroupNumber(const std::string& path) {
    std::ifstream in(path);
    std::string text;
    if (!(in >> text) || text == "max") return -1;
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    // cgroup v1 writes "no limit" as a number near 2^63 rounded to pages.
    if (*end != '\0' || v < 0 || v >= (1LL << 62)) return -1;
    return v;
}

struct Mount {
    std::string root, point;
    bool v2 = false;
};

// The memory controller's mounts: cgroup2, and cgroup v1 hierarchies with the memory option.
std::vector<Mount> memoryMounts() {
    std::vector<Mount> mounts;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
        std::string id, parent, dev, root, point, type, source, options;
        head >> id >> parent >> dev >> root >> point;
        tail >> type >> source >> options;
        const bool v1Memory = type == "cgroup" && ("," + options + ",").find(",memory,") != std::string::npos;
        if (type == "cgroup2" || v1Memory) mounts.push_back({root, point, type == "cgroup2"});
    }
    return mounts;
}

// Least limit - usage from the cgroup folder up to the mount's top; -1 when no level is limited.
std::int64_t headroomAlong(const Mount& m, const std::string& cgroupPath) {
    std::string rel = cgroupPath;
    if (m.root != "/" && rel.compare(0, m.root.size(), m.root) == 0) rel = rel.substr(m.root.size());
    std::int64_t best = -1;
    for (;;) {
        const std::string dir = m.point + (rel == "/" ? "" : rel);
        const std::int64_t limit = cgroupNumber(dir + (m.v2 ? "/memory.max" : "/memory.limit_in_bytes"));
        const std::int64_t usage = cgroupNumber(dir + (m.v2 ? "/memory.current" : "/memory.usage_in_bytes"));
        if (limit >= 0) {
            const std::int64_t room = std::max<std::int64_t>(0, limit - std::max<std::int64_t>(0, usage));
            best = best < 0 ? room : std::min(best, room);
        }
        if (rel.empty() || rel == "/") break;
        const std::size_t slash = rel.find_last_of('/');
        rel = slash == 0 || slash == std::string::npos ? "/" : rel.substr(0, slash);
    }
    return best;
}

std::int64_t cgroupHeadroom() {
    std::int64_t best = -1;
    const std::vector<Mount> mounts = memoryMounts();
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
        // "hierarchy:controllers:path"; v2 is "0::path".
        const std::size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        const bool v2 = controllers.empty();
        if (!v2 && ("," + controllers + ",").find(",memory,") == std::string::npos) continue;
        for (const Mount& m : mounts) {
            if (m.v2 != v2) continue;
            const std::int64_t room = headroomAlong(m, path);
            if (room >= 0) best = best < 0 ? room : std::min(best, room);
        }
    }
    return best;
}

}  // namespace

std::int64_t SystemMemory::usable() const {
    if (available < 0) return cgroupHeadroom;
    if (cgroupHeadroom < 0) return available;
    return std::min(available, cgroupHeadroom);
}

std::int64_t processRss() {
    ::malloc_trim(0);
    std::ifstream in("/proc/self/statm");
    long long size = 0, resident = 0;
    if (!(in >> size >> resident)) return 0;
    return std::int64_t(resident) * ::sysconf(_SC_PAGESIZE);
}

std::int64_t peakRss() { return std::max<std::int64_t>(0, procField("/proc/self/status", "VmHWM")); }

SystemMemory systemMemory() {
    SystemMemory m;
    m.available = procField("/proc/meminfo", "MemAvailable");
    m.cgroupHeadroom = cgroupHeadroom();
    m.processRss = processRss();
    return m;
}

std::int64_t resolveMemoryBudget(std::int64_t requested) {
    if (requested > 0) return requested;
    const SystemMemory m = systemMemory();
    const std::int64_t usable = m.usable();
    if (usable < 0) return std::int64_t(8) << 30;
    return m.processRss + std::int64_t(kDefaultMemoryShare * double(usable));
}

std::int64_t parseMemorySize(const std::string& text, const std::string& what) {
    auto bad = [&] {
        return InputError(what + " takes a memory size such as 4G, 512M or 1.5GiB, not '" + text + "'");
    };
    const char* begin = text.c_str();
    char* end = nullptr;
    const double number = std::strtod(begin, &end);
    if (end == begin || !std::isfinite(number) || number <= 0) throw bad();
    std::string unit(end);
    unit.erase(std::remove_if(unit.begin(), unit.end(), [](unsigned char c) { return std::isspace(c); }), unit.end());
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    if (unit.size() > 1 && (unit.substr(1) == "IB" || unit.substr(1) == "B")) unit = unit.substr(0, 1);
    double scale = 1;
    if (unit == "K") scale = kKiB;
    else if (unit == "M") scale = kKiB * kKiB;
    else if (unit == "G") scale = kKiB * kKiB * kKiB;
    else if (unit == "T") scale = kKiB * kKiB * kKiB * kKiB;
    else if (!unit.empty() && unit != "B") throw bad();
    const double bytes = number * scale;
    if (bytes < 1 || bytes > 9.0e18) throw bad();
    return std::int64_t(bytes);
}

std::string memoryText(double bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (std::fabs(bytes) >= kKiB && u < 4) bytes /= kKiB, ++u;
    char buf[32];
    if (u == 0) std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
    else std::snprintf(buf, sizeof buf, std::fabs(bytes) < 10 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

}  // namespace qs
