#pragma once
// Randomness. Production code uses system_random() (libsodium randombytes_buf).
// Tests inject their own RandomSource (tests/support/deterministic_random.hpp) so
// that a split is reproducible byte for byte.

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

}  // namespace smk
