#pragma once
// SHA-256 (FIPS 180-4): the one implementation in smk, on OpenSSL EVP (SHA-NI where
// the CPU has it). Streaming and one-shot. The input may be secret (a share file,
// a key): OpenSSL keeps the state in its own memory and cleanses it when the
// context is freed. The digest is public.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's context, without its headers here

namespace smk {

using Sha256 = std::array<std::uint8_t, 32>;

// update() any number of times (any chunk sizes), then finish() once.
// Error(internal) if OpenSSL fails.
class Sha256Stream final {
  public:
    Sha256Stream();
    void update(std::span<const std::uint8_t> bytes);
    void update(std::string_view text);
    // The digest of everything given; the stream may not be updated afterwards.
    [[nodiscard]] Sha256 finish();

  private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const noexcept;
    };
    std::unique_ptr<evp_md_ctx_st, Free> m_ctx;
};

[[nodiscard]] Sha256 sha256_bytes(std::span<const std::uint8_t> bytes);
[[nodiscard]] Sha256 sha256_text(std::string_view text);
// Lower-case hex of sha256_text(text): what transcripts, plans and backup files record.
[[nodiscard]] std::string sha256_hex(std::string_view text);

// A SHA-256 as people copy it from paper or a terminal: 64 hex digits in either
// case (sha256sum), or the colon form of `openssl dgst -sha256 -c`. Returns the
// 64 lower-case hex digits, or nullopt for anything else.
[[nodiscard]] std::optional<std::string> sha256_hex_from_text(std::string_view text);

}  // namespace smk
