// RS1024 checksum (SLIP-0039 "Checksum"), a BCH-style polymod over GF(1024).
//
// Constant time: the word values are secret (they are the share), so the
// generator terms are selected with masks, never with a branch on a bit of the
// running remainder as the reference implementation does.

#include "slip39_rs1024.hpp"

#include <array>
#include <string_view>

namespace smk::slip39::rs1024 {
namespace {

constexpr std::array<std::uint32_t, 10> kGenerator = {
    0xE0E040,   0x1C1C080,  0x3838100,  0x7070200,  0xE0E0009,
    0x1C0C2412, 0x38086C24, 0x3090FC48, 0x21B1F890, 0x3F3F120,
};

constexpr std::string_view kCustomization = "shamir";
constexpr std::string_view kCustomizationExtendable = "shamir_extendable";

[[nodiscard]] std::uint32_t step(std::uint32_t chk, std::uint32_t value) noexcept {
    const std::uint32_t top = chk >> 20;
    chk = ((chk & 0xFFFFFu) << 10) ^ value;
    for (std::size_t i = 0; i < kGenerator.size(); ++i) {
        chk ^= kGenerator[i] & (0u - ((top >> i) & 1u));
    }
    return chk;
}

[[nodiscard]] std::uint32_t start(bool extendable) noexcept {
    // The customization string is public; only the words that follow are secret.
    const std::string_view custom = extendable ? kCustomizationExtendable : kCustomization;
    std::uint32_t chk = 1;
    for (const char c : custom) {
        chk = step(chk, static_cast<unsigned char>(c));
    }
    return chk;
}

}  // namespace

std::uint32_t polymod(const WordIndices& words, bool extendable) noexcept {
    std::uint32_t chk = start(extendable);
    for (std::size_t i = 0; i < words.size(); ++i) {
        chk = step(chk, words.get(i));
    }
    return chk;
}

bool verify(const WordIndices& words, bool extendable) noexcept {
    return polymod(words, extendable) == 1;
}

void append_checksum(WordIndices& words, bool extendable) noexcept {
    const std::size_t n = words.size();
    for (std::size_t i = n - kChecksumWords; i < n; ++i) {
        words.set(i, 0);
    }
    const std::uint32_t remainder = polymod(words, extendable) ^ 1u;
    for (std::size_t i = 0; i < kChecksumWords; ++i) {
        const auto shift = static_cast<unsigned>(10 * (kChecksumWords - 1 - i));
        words.set(n - kChecksumWords + i, static_cast<std::uint16_t>((remainder >> shift) & 1023u));
    }
}

}  // namespace smk::slip39::rs1024
