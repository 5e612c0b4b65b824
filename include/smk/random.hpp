#pragma once
// Randomness. Production code uses system_random() (libsodium randombytes_buf).
// Tests and known-answer files inject a DeterministicRandom so that a split is
// reproducible byte for byte; it must never be used for a real key.

#include <array>
#include <cstdint>
#include <span>

namespace smk {

class RandomSource {
  public:
    virtual ~RandomSource() = default;
    virtual void fill(std::span<std::uint8_t> out) = 0;
};

// The process-wide source backed by libsodium.
[[nodiscard]] RandomSource& system_random();

// ChaCha20 keystream from a 32-byte seed (libsodium crypto_stream_chacha20_ietf),
// consumed in order: the n-th byte drawn is the n-th byte of the keystream.
class DeterministicRandom final : public RandomSource {
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

}  // namespace smk
