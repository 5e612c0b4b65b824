#pragma once
// The SLIP-0039 passphrase encryption of the master secret: a 4-round Feistel
// network whose round function is PBKDF2-HMAC-SHA256. Internal to sss/.

#include <cstdint>
#include <span>

#include "smk/secret.hpp"

namespace smk::slip39::cipher {

// Encrypts master_secret (even length, secret) with passphrase (secret, any
// bytes; callers check it is printable ASCII). Each round runs
// (10000 << iteration_exponent) / 4 PBKDF2 iterations; the salt is "shamir" ||
// identifier (2 bytes big-endian) unless extendable, then it is empty.
// Throws Error(invalid_input) for an odd length, Error(internal) if PBKDF2 fails.
[[nodiscard]] Secret encrypt(std::span<const std::uint8_t> master_secret,
                             std::span<const std::uint8_t> passphrase, unsigned iteration_exponent,
                             std::uint16_t identifier, bool extendable);

// The inverse of encrypt() with the same parameters.
[[nodiscard]] Secret decrypt(std::span<const std::uint8_t> encrypted_master_secret,
                             std::span<const std::uint8_t> passphrase, unsigned iteration_exponent,
                             std::uint16_t identifier, bool extendable);

}  // namespace smk::slip39::cipher
