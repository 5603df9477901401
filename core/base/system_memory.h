// The machine's memory as a job sees it, and the memory budget jobs plan within (--max-memory).
//
// A budget is for the whole process: its resident memory (RSS) must stay below it. By default it is
// what the process holds now plus kDefaultMemoryShare of the memory still available to it: the
// kernel's MemAvailable, or less when a memory cgroup (v1 or v2, any level of this process's path)
// has less headroom left under its limit.
#pragma once

#include <cstdint>
#include <string>

namespace qs {

constexpr double kDefaultMemoryShare = 0.5;

struct SystemMemory {
    std::int64_t available = -1;       // MemAvailable from /proc/meminfo, bytes; -1 when unknown
    std::int64_t cgroupHeadroom = -1;  // least (limit - usage) over this process's memory cgroups; -1: none limited
    std::int64_t processRss = 0;       // this process's resident memory

    // What more the process can take: the smaller of the known figures; -1 when neither is known.
    std::int64_t usable() const;
};

SystemMemory systemMemory();

// This process's resident memory now (after returning freed heap pages to the system, so that what
// the allocator keeps for reuse is not counted as in use), and its peak so far (VmHWM).
std::int64_t processRss();
std::int64_t peakRss();

// requested > 0 is taken as is. 0: the default budget, the process's RSS now plus
// kDefaultMemoryShare of systemMemory().usable() (8 GiB in all when nothing is known).
std::int64_t resolveMemoryBudget(std::int64_t requested);

// "4G", "4 GiB", "512M", "1.5g", "800000000" (bytes) -> bytes. K, M, G, T are powers of 1024, with or
// without a trailing "iB" or "B". Throws InputError naming `what` (e.g. "--max-memory").
std::int64_t parseMemorySize(const std::string& text, const std::string& what);

// "512 MiB", "1.5 GiB", "980 KiB".
std::string memoryText(double bytes);

}  // namespace qs
