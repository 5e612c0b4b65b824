// Portable GF(2^8) arithmetic: branch-free shifts and masks, no tables.

#include <cstring>

#include "gf256.hpp"
#include "gf256_kernels.hpp"

namespace smk::gf256 {

// Secret: a and b. Russian-peasant multiplication with masks instead of branches:
// the same eight steps and no memory access for every input.
std::uint8_t mul(std::uint8_t a, std::uint8_t b) noexcept {
    unsigned r = 0;
    unsigned x = a;
    unsigned y = b;
    for (int i = 0; i < 8; ++i) {
        r ^= (0u - (y & 1u)) & x;
        y >>= 1;
        const unsigned carry = 0u - ((x >> 7) & 1u);
        x = ((x << 1) ^ (carry & 0x1Bu)) & 0xFFu;
    }
    return static_cast<std::uint8_t>(r);
}

// Secret: a. a^254 by a fixed square-and-multiply chain (the same operations for
// every a, so inv(0) = 0 falls out without a branch).
std::uint8_t inv(std::uint8_t a) noexcept {
    const std::uint8_t a2 = mul(a, a);
    const std::uint8_t a3 = mul(a2, a);
    const std::uint8_t a6 = mul(a3, a3);
    const std::uint8_t a12 = mul(a6, a6);
    const std::uint8_t a15 = mul(a12, a3);
    const std::uint8_t a30 = mul(a15, a15);
    const std::uint8_t a60 = mul(a30, a30);
    const std::uint8_t a63 = mul(a60, a3);
    const std::uint8_t a126 = mul(a63, a63);
    const std::uint8_t a127 = mul(a126, a);
    return mul(a127, a127);  // a^254
}

namespace kernels {

// Secret: dst and src contents. Public: c, n. dst may equal src (each word is read
// before it is written).
void mul_add_portable(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                      std::uint8_t c) noexcept {
    // SWAR: eight lanes per 64-bit word. For each set bit of the public c we add the
    // current multiple; xtime doubles every lane with masks (no secret branches).
    constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t x = 0;
        std::uint64_t acc = 0;
        std::memcpy(&x, src + i, 8);
        std::memcpy(&acc, dst + i, 8);
        for (unsigned bit = 0; bit < 8; ++bit) {
            if (((static_cast<unsigned>(c) >> bit) & 1u) != 0) {  // c is public
                acc ^= x;
            }
            const std::uint64_t high = (x & kHigh) >> 7;
            x = ((x & kLow7) << 1) ^ (high * 0x1BULL);
        }
        std::memcpy(dst + i, &acc, 8);
    }
    for (; i < n; ++i) {
        dst[i] = static_cast<std::uint8_t>(dst[i] ^ mul(c, src[i]));
    }
}

}  // namespace kernels
}  // namespace smk::gf256
