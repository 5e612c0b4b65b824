#pragma once
// Finds the private key of a live X25519 key pair in this process's memory from its
// public key alone, with no hook in the code that holds it: a test that runs a whole
// restore in-process never sees the facility's private key, yet must look for it in
// memory afterwards. While the FacilityKey lives, find_x25519_private_key() returns
// its private key as a masked needle for scan_writable_memory().
//
// Why it works. smk keeps the private key in a Secret, i.e. sodium_malloc memory, and
// libsodium places every sodium_malloc allocation so that it *ends exactly at a page
// boundary*, where a PROT_NONE guard page begins (sodium/utils.c, _sodium_malloc;
// checked against Debian 12's libsodium 1.0.18 below): with size_with_canary = 16 + size
// and unprotected_size = that rounded up to whole pages, the data pages start at
// unprotected_ptr = base + 2 pages, the 16-byte canary at
// unprotected_ptr + unprotected_size - size_with_canary, and the user pointer right
// after it, so user_ptr + size == unprotected_ptr + unprotected_size, the guard page.
// No alignment is applied (libsodium documents that the pointer is unaligned when the
// size is not a multiple of it); measured with Debian 12's libsodium 1.0.18: the end
// of every allocation of 1 to 5000 bytes is 0 modulo 4096. The 32-byte private key is thus the last
// 32 bytes of some page of a readable and writable mapping (its own mapping, in fact, between two
// guard pages).
//
// The search: for every page of every readable and writable mapping (the regions
// memory_scan.hpp reads, from /proc/self/mem), take the 32 bytes that end at the
// page's end as a candidate scalar, compute crypto_scalarmult_base(candidate) and
// compare it with the public key. A match is the private key or bytes computed from
// it (a copy clamped in the 5 bits X25519 ignores, the low 3 of byte 0 and the top 2
// of byte 31; the scalar's negation): any other 32 bytes with that public key would
// take a discrete logarithm to find, so a match is the key, or a leak of it. Every
// page end is tried, not only mapping ends, so a merged mapping cannot hide it.
//
// Cost: one pread of 32 bytes per page, and one scalar multiplication (some tens of
// microseconds) per page whose last 32 bytes are not all zero; most are (in the
// hygiene test binary: 158 page ends read, 18 tried, a few milliseconds).
//
// Hygiene of the finder itself: the candidate is read into one 32-byte local array,
// never into a larger buffer; it is wiped with sodium_memzero after every try, the
// match is kept only XOR-masked (mask_needle), and smk::burn_stack() wipes the dead
// frames of the scalar multiplications before it returns. It finds nothing once the
// key is freed (sodium_free unmaps the pages), and nothing for a public key whose
// private key this process does not hold (the tests check both).

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "memory_scan.hpp"
#include "smk/secret.hpp"

namespace smk_test {

struct PrivateKeySearch {
    std::optional<MaskedNeedle> key;  // masked; empty if no page end holds it
    std::size_t pages_read = 0;       // page ends read
    std::size_t pages_tried = 0;      // of them not all zero: scalar multiplications done
    std::size_t regions = 0;
};

// As find_x25519_private_key, with counts of the pages read and tried (a test can
// check the search covered memory at all).
inline PrivateKeySearch search_x25519_private_key(const std::array<std::uint8_t, 32>& public_key,
                                                  std::string name = "the facility private key") {
    smk::crypto_init();
    PrivateKeySearch out;
    const RegionList regions = writable_regions();
    const int mem = ::open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (mem < 0) {
        return out;
    }
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    std::array<std::uint8_t, 32> candidate{};
    std::array<std::uint8_t, 32> derived{};
    constexpr std::array<std::uint8_t, 32> kZero{};
    for (const Region& region : regions.regions) {
        ++out.regions;
        for (std::uintptr_t end = region.lo + page; end <= region.hi && !out.key; end += page) {
            const ssize_t got = ::pread(mem, candidate.data(), candidate.size(),
                                        static_cast<off_t>(end - candidate.size()));
            if (got != static_cast<ssize_t>(candidate.size())) {
                continue;
            }
            ++out.pages_read;
            if (candidate == kZero) {
                continue;
            }
            ++out.pages_tried;
            if (crypto_scalarmult_base(derived.data(), candidate.data()) == 0 &&
                derived == public_key) {
                out.key = mask_needle(std::move(name), candidate);
            }
            sodium_memzero(candidate.data(), candidate.size());
        }
        if (out.key) {
            break;
        }
    }
    ::close(mem);
    sodium_memzero(candidate.data(), candidate.size());
    smk::burn_stack();
    return out;
}

// While a FacilityKey (any X25519 private key in sodium_malloc memory) with this
// public key lives in this process: its private key, masked. std::nullopt otherwise.
inline std::optional<MaskedNeedle> find_x25519_private_key(
    const std::array<std::uint8_t, 32>& public_key) {
    return search_x25519_private_key(public_key).key;
}

}  // namespace smk_test
