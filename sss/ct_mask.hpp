#pragma once
// Branch-free comparisons for code that handles secret bytes: each returns a mask,
// all ones (true) or zero (false), computed with arithmetic only, so neither a jump
// nor a memory address depends on the operands. Callers combine masks with & | ~
// and select with (a & m) | (b & ~m).

#include <cstdint>

namespace smk::ct {

// All ones iff x == 0.
[[nodiscard]] constexpr std::uint32_t mask_zero(std::uint32_t x) noexcept {
    // (x | -x) has its top bit set iff x != 0.
    return ((x | (0u - x)) >> 31) - 1u;
}

// All ones iff a == b.
[[nodiscard]] constexpr std::uint32_t mask_equal(std::uint32_t a, std::uint32_t b) noexcept {
    return mask_zero(a ^ b);
}

// All ones iff lo <= c <= hi, for c, lo, hi in [0, 2^30).
[[nodiscard]] constexpr std::uint32_t mask_in_range(std::uint32_t c, std::uint32_t lo,
                                                    std::uint32_t hi) noexcept {
    // (c - lo) | (hi - c) is negative (top bit set) iff c is outside [lo, hi].
    return ((((c - lo) | (hi - c)) >> 31) & 1u) - 1u;
}

// All ones iff a < b, for a, b in [0, 2^31).
[[nodiscard]] constexpr std::uint32_t mask_less(std::uint32_t a, std::uint32_t b) noexcept {
    return 0u - ((a - b) >> 31);
}

// ASCII 'A'..'Z' to lower case; every other byte unchanged.
[[nodiscard]] constexpr std::uint32_t lower_ascii(std::uint32_t c) noexcept {
    return c | (mask_in_range(c, 'A', 'Z') & 0x20u);
}

}  // namespace smk::ct
