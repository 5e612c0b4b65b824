#pragma once
// Test support: a reproducible RandomSource, so that a split is the same byte for
// byte on every run (known-answer files, replayable failures). Test code only: it
// is not in smk's libraries and must never be used for a real key.

#include <array>
#include <cstdint>
#include <span>

#include "smk/random.hpp"

namespace smk_test {

// ChaCha20 keystream from a 32-byte seed (libsodium crypto_stream_chacha20_ietf),
// consumed in order: the n-th byte drawn is the n-th byte of the keystream.
class DeterministicRandom final : public smk::RandomSource {
  public:
    explicit DeterministicRandom(const std::array<std::uint8_t, 32>& seed) noexcept;
    ~DeterministicRandom() override;
    DeterministicRandom(const DeterministicRandom&) = delete;
    DeterministicRandom& operator=(const DeterministicRandom&) = delete;
    void fill(std::span<std::uint8_t> out) override;

  private:
    std::array<std::uint8_t, 32> m_seed;
    std::uint64_t m_offset = 0;
};

}  // namespace smk_test
