#include "smk/secret.hpp"

#include <sodium.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

#include "smk/error.hpp"

namespace smk {
namespace {

std::atomic<bool> g_degraded{false};

}  // namespace

void crypto_init() {
    static std::once_flag once;
    static int result = 0;
    std::call_once(once, [] { result = sodium_init(); });
    if (result < 0) {
        throw Error(ErrorCategory::internal, "libsodium could not be initialised");
    }
}

Secret::Secret(std::size_t size) {
    crypto_init();
    if (size == 0) {
        return;
    }
    void* p = sodium_malloc(size);
    if (p == nullptr) {
        throw Error(ErrorCategory::internal,
                    "cannot allocate guarded secret memory; check RLIMIT_MEMLOCK (ulimit -l)");
    }
    // sodium_malloc tries mlock but does not report failure: lock again to learn
    // whether the pages are really kept out of swap.
    if (sodium_mlock(p, size) != 0) {
        g_degraded.store(true);
    }
    m_data = static_cast<std::uint8_t*>(p);
    m_size = size;
    sodium_memzero(m_data, m_size);
}

Secret::~Secret() {
    release();
}

Secret::Secret(Secret&& other) noexcept : m_data(other.m_data), m_size(other.m_size) {
    other.m_data = nullptr;
    other.m_size = 0;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        release();
        m_data = other.m_data;
        m_size = other.m_size;
        other.m_data = nullptr;
        other.m_size = 0;
    }
    return *this;
}

Secret Secret::copy_of(std::span<const std::uint8_t> bytes) {
    Secret s(bytes.size());
    if (!bytes.empty()) {
        std::memcpy(s.m_data, bytes.data(), bytes.size());
    }
    return s;
}

void Secret::truncate(std::size_t new_size) noexcept {
    if (new_size < m_size) {
        sodium_memzero(m_data + new_size, m_size - new_size);
        m_size = new_size;
    }
}

void Secret::release() noexcept {
    if (m_data != nullptr) {
        // sodium_free zeroes the whole allocation, unlocks it and checks the canary.
        sodium_free(m_data);
        m_data = nullptr;
        m_size = 0;
    }
}

bool constant_time_equal(std::span<const std::uint8_t> a,
                         std::span<const std::uint8_t> b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    if (a.empty()) {
        return true;
    }
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void secure_zero(std::span<std::uint8_t> bytes) noexcept {
    if (!bytes.empty()) {
        sodium_memzero(bytes.data(), bytes.size());
    }
}

// noinline: the area must be a frame of its own, below the caller's, over the
// frames of whatever the caller called. The empty asm that takes the area's
// address keeps the compiler from proving the zeroing useless.
__attribute__((noinline)) void burn_stack() noexcept {
    std::array<std::uint8_t, 64 * 1024> area;
    sodium_memzero(area.data(), area.size());
    __asm__ __volatile__("" : : "r"(area.data()) : "memory");
}

bool secret_memory_degraded() noexcept {
    return g_degraded.load();
}

}  // namespace smk
