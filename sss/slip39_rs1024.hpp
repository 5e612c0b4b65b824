#pragma once
// RS1024: the Reed-Solomon code over GF(1024) whose 3 check words end every
// SLIP-0039 mnemonic, and WordIndices, the secret buffer of 10-bit word indices
// a mnemonic is made of. Internal to sss/.

#include <cstddef>
#include <cstdint>

#include "smk/secret.hpp"

namespace smk::slip39 {

// The word indices of one mnemonic (each 0..1023), kept in secret memory as two
// bytes per word: a share's words are as secret as the share.
class WordIndices final {
  public:
    WordIndices() = default;
    explicit WordIndices(std::size_t count) : m_bytes(count * 2) {}

    [[nodiscard]] std::size_t size() const noexcept { return m_bytes.size() / 2; }
    [[nodiscard]] std::uint16_t get(std::size_t i) const noexcept {
        const std::uint8_t* p = m_bytes.data() + 2 * i;
        return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
    }
    void set(std::size_t i, std::uint16_t value) noexcept {
        std::uint8_t* p = m_bytes.data() + 2 * i;
        p[0] = static_cast<std::uint8_t>(value >> 8);
        p[1] = static_cast<std::uint8_t>(value & 0xFF);
    }

  private:
    Secret m_bytes;
};

namespace rs1024 {

inline constexpr std::size_t kChecksumWords = 3;

// The RS1024 remainder of customization string ("shamir", or "shamir_extendable"
// when extendable) followed by all words. Constant time in the word values.
[[nodiscard]] std::uint32_t polymod(const WordIndices& words, bool extendable) noexcept;

// True iff the last 3 words are the checksum of the others.
[[nodiscard]] bool verify(const WordIndices& words, bool extendable) noexcept;

// Overwrites the last 3 words with the checksum of the words before them.
// words.size() must be at least 3.
void append_checksum(WordIndices& words, bool extendable) noexcept;

}  // namespace rs1024
}  // namespace smk::slip39
