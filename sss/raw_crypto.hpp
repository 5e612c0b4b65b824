#pragma once
// Small RAII wrappers over the primitives the raw share format uses. Internal to
// sss/. OpenSSL keeps hash and HMAC state (derived from secret input) in its own
// heap memory and cleanses it when the context is freed.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "smk/secret.hpp"

// OpenSSL's context types, without its headers here.
struct evp_md_ctx_st;
struct evp_mac_ctx_st;

namespace smk::raw {

using Digest = std::array<std::uint8_t, 32>;

// Streaming SHA-256. Input may be secret; the digest of a share file is public.
class Sha256 final {
  public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&& other) noexcept;
    Sha256& operator=(Sha256&&) = delete;
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(std::span<const std::uint8_t> bytes);
    // Finishes; the object may not be updated afterwards.
    [[nodiscard]] Digest final();

    [[nodiscard]] static Digest of(std::span<const std::uint8_t> bytes);

  private:
    evp_md_ctx_st* m_ctx = nullptr;
};

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
