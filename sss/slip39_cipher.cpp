// SLIP-0039 "Encryption of the master secret": a Feistel network of 4 rounds,
// round i computing F = PBKDF2-HMAC-SHA256(password = i || passphrase,
// salt = salt || R, iterations = (10000 << e) / 4, length = |R|), then
// (L, R) <- (R, L xor F); the output is R || L. Decryption runs the rounds
// in reverse order. Every buffer that holds the secret, the passphrase or a
// round output is a Secret; OpenSSL cleanses its own HMAC state on free.

#include "slip39_cipher.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <string>
#include <utility>

#include "smk/error.hpp"

namespace smk::slip39::cipher {
namespace {

constexpr unsigned kRounds = 4;
constexpr unsigned kBaseIterations = 10000;
constexpr unsigned kMaxIterationExponent = 15;
constexpr std::array<std::uint8_t, 6> kSaltPrefix = {'s', 'h', 'a', 'm', 'i', 'r'};

// salt || r, with salt = "shamir" || identifier unless extendable.
[[nodiscard]] Secret round_salt(std::uint16_t identifier, bool extendable,
                                std::span<const std::uint8_t> r) {
    const std::size_t prefix = extendable ? 0 : kSaltPrefix.size() + 2;
    Secret salt(prefix + r.size());
    if (!extendable) {
        std::memcpy(salt.data(), kSaltPrefix.data(), kSaltPrefix.size());
        salt.data()[kSaltPrefix.size()] = static_cast<std::uint8_t>(identifier >> 8);
        salt.data()[kSaltPrefix.size() + 1] = static_cast<std::uint8_t>(identifier & 0xFF);
    }
    std::memcpy(salt.data() + prefix, r.data(), r.size());
    return salt;
}

// L ^= F(round, R), F being PBKDF2 as described above.
void feistel_round(unsigned round, std::span<const std::uint8_t> passphrase,
                   unsigned iteration_exponent, std::uint16_t identifier, bool extendable,
                   std::span<std::uint8_t> left, std::span<const std::uint8_t> right) {
    Secret password(1 + passphrase.size());
    password.data()[0] = static_cast<std::uint8_t>(round);
    if (!passphrase.empty()) {
        std::memcpy(password.data() + 1, passphrase.data(), passphrase.size());
    }
    const Secret salt = round_salt(identifier, extendable, right);
    Secret f(right.size());
    const auto iterations = static_cast<int>((kBaseIterations << iteration_exponent) / kRounds);
    if (password.size() > INT_MAX || salt.size() > INT_MAX || f.size() > INT_MAX ||
        PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.data()),
                          static_cast<int>(password.size()), salt.data(),
                          static_cast<int>(salt.size()), iterations, EVP_sha256(),
                          static_cast<int>(f.size()), f.data()) != 1) {
        throw Error(ErrorCategory::internal, "PBKDF2-HMAC-SHA256 failed in the SLIP-39 cipher");
    }
    for (std::size_t i = 0; i < left.size(); ++i) {
        left[i] = static_cast<std::uint8_t>(left[i] ^ f.data()[i]);
    }
}

[[nodiscard]] Secret run(std::span<const std::uint8_t> input,
                         std::span<const std::uint8_t> passphrase, unsigned iteration_exponent,
                         std::uint16_t identifier, bool extendable, bool forward) {
    if (input.empty() || input.size() % 2 != 0) {
        throw Error(ErrorCategory::invalid_input,
                    "the SLIP-39 cipher needs a secret of an even number of bytes, got " +
                        std::to_string(input.size()));
    }
    if (iteration_exponent > kMaxIterationExponent) {
        throw Error(ErrorCategory::invalid_input, "iteration exponent " +
                                                      std::to_string(iteration_exponent) +
                                                      " is out of range; use 0 to 15");
    }
    const std::size_t half = input.size() / 2;
    Secret left = Secret::copy_of(input.first(half));
    Secret right = Secret::copy_of(input.subspan(half));
    for (unsigned i = 0; i < kRounds; ++i) {
        const unsigned round = forward ? i : kRounds - 1 - i;
        feistel_round(round, passphrase, iteration_exponent, identifier, extendable, left.bytes(),
                      right.bytes());
        std::swap(left, right);  // (L, R) <- (R, L xor F)
    }
    Secret out(input.size());
    std::memcpy(out.data(), right.data(), half);
    std::memcpy(out.data() + half, left.data(), half);
    return out;
}

}  // namespace

Secret encrypt(std::span<const std::uint8_t> master_secret,
               std::span<const std::uint8_t> passphrase, unsigned iteration_exponent,
               std::uint16_t identifier, bool extendable) {
    return run(master_secret, passphrase, iteration_exponent, identifier, extendable, true);
}

Secret decrypt(std::span<const std::uint8_t> encrypted_master_secret,
               std::span<const std::uint8_t> passphrase, unsigned iteration_exponent,
               std::uint16_t identifier, bool extendable) {
    return run(encrypted_master_secret, passphrase, iteration_exponent, identifier, extendable,
               false);
}

}  // namespace smk::slip39::cipher

namespace smk::slip39 {

const char* passphrase_problem(std::span<const std::uint8_t> passphrase) noexcept {
    if (passphrase.empty()) {
        return "is empty";
    }
    unsigned bad = 0;
    for (const std::uint8_t c : passphrase) {
        // (c - 32) underflows for c < 32 and 126 - c for c > 126: bit 8 set either way.
        bad |= ((static_cast<unsigned>(c) - 32U) | (126U - static_cast<unsigned>(c))) >> 8U;
    }
    if (bad != 0) {
        return "has a character that is not printable ASCII; SLIP-39 passphrases may use only "
               "ASCII 32..126";
    }
    return nullptr;
}

}  // namespace smk::slip39
