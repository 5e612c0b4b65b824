#pragma once
// Small RAII wrappers over the primitives the raw share format uses. Internal to
// sss/. OpenSSL keeps HMAC state (derived from secret input) in its own heap
// memory and cleanses it when the context is freed. SHA-256 is core's
// (smk/sha256.hpp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "smk/secret.hpp"
#include "smk/sha256.hpp"

// OpenSSL's context types, without its headers here.
struct evp_mac_ctx_st;

namespace smk::raw {

// The SHA-256 of a share file (public).
using Digest = smk::Sha256;

// Streaming HMAC-SHA256. Key, input and tag are secret: the tag is written into
// a Secret and compared with constant_time_equal.
class HmacSha256 final {
  public:
    explicit HmacSha256(std::span<const std::uint8_t> key);
    ~HmacSha256();
    HmacSha256(const HmacSha256&) = delete;
    HmacSha256& operator=(const HmacSha256&) = delete;

    void update(std::span<const std::uint8_t> bytes);
    [[nodiscard]] Secret final();

  private:
    evp_mac_ctx_st* m_ctx = nullptr;
};

// The random polynomial coefficients of a split: ChaCha20 (RFC 8439) keystream
// under a 32-byte key drawn from the caller's RandomSource, with the 96-bit nonce
// step (64-bit little-endian) || index (32-bit little-endian) and the block
// counter from 0: coefficient `index` of streaming step `step` is always the same
// bytes for the same key, whichever thread draws it.
// A fresh 256-bit key expanded by ChaCha20 is as strong as the system CSPRNG,
// which is itself ChaCha20 expanding a 256-bit seed (Linux getrandom), and is
// several times faster than drawing every coefficient byte from it.
class CoefficientStream final {
  public:
    static constexpr std::size_t kKeyBytes = 32;

    explicit CoefficientStream(Secret key);
    // Overwrites `out` (secret; at most 256 GiB) with the keystream of (step, index).
    // Safe to call from several threads at once.
    void fill(std::span<std::uint8_t> out, std::uint64_t step, std::uint32_t index) const;

  private:
    Secret m_key;
};

}  // namespace smk::raw
