#pragma once
// Searches this process's own writable memory (/proc/self/maps + /proc/self/mem)
// for a secret, without ever holding the secret in clear itself: the needle is
// kept XOR-masked and unmasked byte by byte during the comparison, so the scanner
// cannot find its own copy.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "smk/secret.hpp"

namespace smk_test {

inline constexpr std::uint8_t kNeedleMask = 0x5A;
// A secret counts as found when any aligned window of this many bytes of it is
// found: glibc overwrites the first 16 bytes of a freed chunk with its free-list
// pointers, and the rest of a freed copy is as much a leak as a whole one.
inline constexpr std::size_t kWindow = 16;
// Regions larger than this are sanitizer shadow or reservations, never the heap or
// stack of this small test: reading them would take minutes. Counted, not hidden.
inline constexpr std::size_t kMaxRegion = std::size_t{1} << 30;

struct MaskedNeedle {
    std::string name;
    std::vector<std::uint8_t> masked;  // secret ^ kNeedleMask
};

inline MaskedNeedle mask_needle(std::string name, std::span<const std::uint8_t> secret) {
    MaskedNeedle n{std::move(name), {}};
    n.masked.reserve(secret.size());
    for (const std::uint8_t b : secret) {
        n.masked.push_back(static_cast<std::uint8_t>(b ^ kNeedleMask));
    }
    return n;
}

// A secret stored masked (so the test's own data never holds it), unmasked straight
// into guarded memory.
inline smk::Secret unmasked_secret(std::span<const std::uint8_t> masked) {
    smk::Secret s(masked.size());
    for (std::size_t i = 0; i < masked.size(); ++i) {
        s.data()[i] = static_cast<std::uint8_t>(masked[i] ^ kNeedleMask);
    }
    return s;
}

struct ScanHit {
    std::string needle;
    std::uintptr_t address = 0;
    std::string region;  // the /proc/self/maps line
};

struct ScanReport {
    std::vector<ScanHit> hits;
    std::size_t bytes_scanned = 0;
    std::size_t regions_scanned = 0;
    std::vector<std::string> regions_skipped;  // too large or unreadable
};

namespace detail {

// Does the masked window match buf at i?
inline bool matches(const std::uint8_t* buf, const std::uint8_t* masked, std::size_t len) {
    for (std::size_t k = 0; k < len; ++k) {
        if (buf[k] != static_cast<std::uint8_t>(masked[k] ^ kNeedleMask)) {
            return false;
        }
    }
    return true;
}

}  // namespace detail

// One readable and writable mapping of this process (a /proc/self/maps line).
struct Region {
    std::uintptr_t lo = 0;
    std::uintptr_t hi = 0;
    std::string line;
};

struct RegionList {
    std::vector<Region> regions;
    std::vector<std::string> skipped;  // too large (or sanitizer shadow)
};

// Every mapping that is both readable and writable: stack, heap, anonymous maps,
// .data/.bss, and the data pages of every sodium_malloc allocation (its guard
// pages are PROT_NONE and its size page read-only: not listed). [vvar] and
// [vsyscall] are left out; regions over kMaxRegion (and ASan's shadow) are skipped.
inline RegionList writable_regions() {
    RegionList out;
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        std::istringstream in(line);
        std::string range;
        std::string perms;
        in >> range >> perms;
        if (perms.size() < 2 || perms[1] != 'w' || perms[0] != 'r') {
            continue;
        }
        if (line.find("[vvar]") != std::string::npos ||
            line.find("[vsyscall]") != std::string::npos) {
            continue;
        }
        const auto dash = range.find('-');
        const std::uintptr_t lo = std::stoull(range.substr(0, dash), nullptr, 16);
        const std::uintptr_t hi = std::stoull(range.substr(dash + 1), nullptr, 16);
#if defined(__SANITIZE_ADDRESS__)
        // AddressSanitizer's shadow (x86-64: addresses 0x7fff8000 up to
        // 0x10007fff8000, shadow gap included) holds one addressability byte per 8
        // bytes of memory, never program data, and is hundreds of MiB.
        if (lo >= 0x7fff7000 && hi <= 0x10007fff8000) {
            out.skipped.push_back(line);
            continue;
        }
#endif
        if (hi - lo > kMaxRegion) {
            out.skipped.push_back(line);
            continue;
        }
        out.regions.push_back({lo, hi, line});
    }
    return out;
}

// Scans every writable mapping (stack, heap, anonymous, .data/.bss; guard pages
// excluded as unreadable) for every window of every needle.
inline ScanReport scan_writable_memory(const std::vector<MaskedNeedle>& needles) {
    ScanReport report;
    RegionList regions = writable_regions();
    report.regions_skipped = std::move(regions.skipped);
    const int mem = ::open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (mem < 0) {
        report.regions_skipped.push_back("cannot open /proc/self/mem");
        return report;
    }
    // Every window of every needle, keyed by its first two (unmasked) bytes.
    struct Window {
        const MaskedNeedle* needle;
        const std::uint8_t* masked;
        std::size_t start;
        std::size_t length;
        std::size_t key;
    };
    std::vector<Window> windows;
    std::vector<std::uint8_t> first_two(65536, 0);
    for (const MaskedNeedle& needle : needles) {
        const std::size_t len = needle.masked.size();
        const std::size_t window = std::min(len, kWindow);
        if (window < 2) {
            continue;
        }
        for (std::size_t start = 0; start + window <= len; start += window) {
            const std::uint8_t* w = needle.masked.data() + start;
            const auto key =
                static_cast<std::size_t>(static_cast<std::uint8_t>(w[0] ^ kNeedleMask) |
                                         (static_cast<std::uint8_t>(w[1] ^ kNeedleMask) << 8));
            windows.push_back({&needle, w, start, window, key});
            first_two[key] = 1;
        }
    }
    std::vector<std::uint8_t> buf;
    for (const Region& region : regions.regions) {
        const std::uintptr_t lo = region.lo;
        const std::string& line = region.line;
        const std::size_t size = region.hi - region.lo;
        buf.assign(size, 0);
        const ssize_t got = ::pread(mem, buf.data(), size, static_cast<off_t>(lo));
        if (got <= 0) {
            report.regions_skipped.push_back(line);
            continue;
        }
        // The scan buffer itself is one of the heap regions being read; it holds what
        // was there before this read, i.e. nothing of interest in a fresh allocation.
        const auto n = static_cast<std::size_t>(got);
        ++report.regions_scanned;
        report.bytes_scanned += n;
        // One pass over the region: a position is compared with the windows only
        // when its first two bytes begin one of them (a 64 Ki-entry table), so the
        // cost does not grow with the number of needles (fast enough at -O0 + ASan).
        for (std::size_t i = 0; i + 1 < n; ++i) {
            const auto key = static_cast<std::size_t>(buf[i] | (buf[i + 1] << 8));
            if (first_two[key] == 0) {
                continue;
            }
            for (const Window& w : windows) {
                if (w.key == key && i + w.length <= n &&
                    detail::matches(buf.data() + i, w.masked, w.length)) {
                    report.hits.push_back({w.needle->name, lo + i - w.start, line});
                }
            }
        }
        std::fill(buf.begin(), buf.end(), std::uint8_t{0});
    }
    ::close(mem);
    return report;
}

// How many hits are on the stack (dead frames); a leak elsewhere (heap, .data,
// anonymous maps) is never excused.
inline std::size_t hits_on_stack(const ScanReport& r) {
    return static_cast<std::size_t>(std::count_if(
        r.hits.begin(), r.hits.end(),
        [](const ScanHit& h) { return h.region.find("[stack]") != std::string::npos; }));
}

inline std::string describe(const ScanReport& r) {
    std::string out = std::to_string(r.regions_scanned) + " regions, " +
                      std::to_string(r.bytes_scanned) + " bytes scanned";
    for (const ScanHit& h : r.hits) {
        char addr[32];
        std::snprintf(addr, sizeof addr, "%#lx", static_cast<unsigned long>(h.address));
        out += "\n  found " + h.needle + " at " + addr + " in " + h.region;
    }
    for (const std::string& s : r.regions_skipped) {
        out += "\n  skipped: " + s;
    }
    return out;
}

}  // namespace smk_test
