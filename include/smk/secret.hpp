#pragma once
// Secret: bytes that must never leak. Backed by libsodium's sodium_malloc
// (guard pages, canary, mlock, MADV_DONTDUMP), zeroed and unlocked on release,
// movable but never copyable. All key material, shares, mnemonics, PINs and
// passphrases in smk live in a Secret, temporaries included.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace smk {

class Secret final {
  public:
    Secret() noexcept = default;
    // size bytes, all zero. Throws smk::Error(internal) if memory cannot be had.
    explicit Secret(std::size_t size);
    ~Secret();

    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;

    // A new Secret holding a copy of bytes (the source is not wiped).
    [[nodiscard]] static Secret copy_of(std::span<const std::uint8_t> bytes);

    [[nodiscard]] std::uint8_t* data() noexcept { return m_data; }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return m_data; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] bool empty() const noexcept { return m_size == 0; }
    [[nodiscard]] std::span<std::uint8_t> bytes() noexcept { return {m_data, m_size}; }
    [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return {m_data, m_size}; }
    // View as text (for mnemonics and passphrases stored as UTF-8).
    [[nodiscard]] std::string_view text() const noexcept {
        return {reinterpret_cast<const char*>(m_data), m_size};
    }

    // Shrink the visible size (the tail is zeroed); never grows.
    void truncate(std::size_t new_size) noexcept;

  private:
    void release() noexcept;

    std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
};

// Constant-time equality. Lengths are public: different lengths compare unequal
// at once. Content is compared without data-dependent branches (sodium_memcmp).
[[nodiscard]] bool constant_time_equal(std::span<const std::uint8_t> a,
                                       std::span<const std::uint8_t> b) noexcept;

// Zero memory in a way the compiler may not elide (sodium_memzero).
void secure_zero(std::span<std::uint8_t> bytes) noexcept;

// Zeroes the 64 KiB of stack just below the caller's frame: the dead frames of the
// functions it called, where an unoptimized build (or a register spill) leaves
// copies of secrets that no Secret owns. The SLIP-39 entry points (split, combine,
// verify_set) end with it.
void burn_stack() noexcept;

// Calls burn_stack() when the scope ends, normally or by an exception.
class BurnStackOnExit final {
  public:
    BurnStackOnExit() = default;
    ~BurnStackOnExit() { burn_stack(); }
    BurnStackOnExit(const BurnStackOnExit&) = delete;
    BurnStackOnExit& operator=(const BurnStackOnExit&) = delete;
};

// True if any Secret could not be locked in RAM (mlock failed, e.g. RLIMIT_MEMLOCK):
// the process still works but secret pages could reach swap. Callers report it.
[[nodiscard]] bool secret_memory_degraded() noexcept;

// Initialise libsodium once; every entry point that uses Secret calls it.
void crypto_init();

}  // namespace smk
