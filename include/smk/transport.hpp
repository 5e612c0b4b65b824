#pragma once
// Sealed share transport (docs/FORMAT.md section 10): a holder who cannot come to
// the restoring facility encrypts their SLIP-39 share to the facility's ephemeral
// X25519 key with libsodium's crypto_box_seal; the facility opens it in guarded
// memory. The sealed plaintext binds the facility key's fingerprint, the share set
// identifier and a hash of the ceremony context, so a sealed share made for one
// facility key or ceremony is refused by another. Sealed shares and public keys
// travel as PGP words (one per byte, short enough to read aloud) under a header line.
//
// Errors (smk::Error) name the sealed share by the `source` the caller gives and
// never quote the share: invalid_input for text or bytes that are malformed
// (truncated, a word changed, a word out of place); verification for a sealed share
// that does not open with this key or binds another key, context or identifier.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smk/secret.hpp"
#include "smk/slip39.hpp"

namespace smk::transport {

inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kFingerprintBytes = 8;
inline constexpr std::size_t kContextHashBytes = 8;
// Sealed plaintext: magic "SMKT", version, fingerprint, identifier, context hash.
inline constexpr std::size_t kSealedHeaderBytes = 4 + 1 + kFingerprintBytes + 2 + kContextHashBytes;
// crypto_box_seal: the sender's ephemeral public key and the Poly1305 tag.
inline constexpr std::size_t kSealOverheadBytes = 32 + 16;
// The text forms end with a check: the first 2 bytes of SHA-256 of the bytes.
inline constexpr std::size_t kTextCheckBytes = 2;
inline constexpr std::size_t kMaxContextBytes = 200;

inline constexpr std::string_view kSealedShareHeader = "smk-sealed-share-v1";
inline constexpr std::string_view kFacilityKeyHeader = "smk-facility-key-v1";

using PublicKey = std::array<std::uint8_t, kPublicKeyBytes>;
using KeyFingerprint = std::array<std::uint8_t, kFingerprintBytes>;

// First 8 bytes of SHA-256 of the public key.
[[nodiscard]] KeyFingerprint key_fingerprint(const PublicKey& key);

// Sealed share size in bytes for a share of `word_count` SLIP-39 words (132 for
// the 33 words of a 256-bit SMK, 115 for 20 words); the text form has 2 more words.
[[nodiscard]] std::size_t sealed_size(std::size_t word_count) noexcept;
// Whether `bytes` is the size of a sealed share of some SLIP-39 share (of a
// secret of 16 to 64 bytes).
[[nodiscard]] bool is_sealed_size(std::size_t bytes) noexcept;

// The library's own way to the private key (transport/facility_key_access.hpp, an
// internal header: open_sealed and the tests of the docs' scripts use it).
struct FacilityKeyAccess;

// An ephemeral X25519 key pair (crypto_box_keypair) for one restore. The private
// key lives only in a Secret (guarded, zeroed when the FacilityKey goes) and is
// never written anywhere. Movable, not copyable.
class FacilityKey final {
  public:
    [[nodiscard]] static FacilityKey generate();

    [[nodiscard]] const PublicKey& public_key() const noexcept { return m_public; }
    [[nodiscard]] KeyFingerprint fingerprint() const { return key_fingerprint(m_public); }

  private:
    FacilityKey() = default;
    friend struct FacilityKeyAccess;

    PublicKey m_public{};
    Secret m_private;
};

// 1 to 200 bytes of UTF-8 without control characters; Error(usage) otherwise.
void check_context(std::string_view context);

// What the holder or the facility expects of a share.
struct Expectations {
    std::optional<std::uint16_t> identifier;
    std::optional<unsigned> group;  // 0 = set A
};

struct SealedShare {
    std::vector<std::uint8_t> bytes;  // crypto_box_seal output: public
    slip39::ShareInfo info;           // of the share sealed (public fields)
};

// Checks `mnemonic` (SLIP-39 checksum, then `expect`), builds its card share record
// (docs/FORMAT.md section 4) and seals it with the header to `to`. Error(invalid_input)
// for a share that does not decode, Error(verification) for one that is not the
// expected identifier or set, Error(usage) for a bad context.
[[nodiscard]] SealedShare seal_share(const Secret& mnemonic, std::string_view source,
                                     const PublicKey& to, std::string_view context,
                                     const Expectations& expect = {});

struct OpenedShare {
    slip39::ShareInfo info;
    Secret mnemonic;  // lower case, single spaces
};

// Opens `sealed` with `key` in guarded memory and checks the magic and version, the
// fingerprint (this key), the context hash, `expect`, the share record (its check and
// the SLIP-39 checksum) and that the header identifier is the share's.
[[nodiscard]] OpenedShare open_sealed(std::span<const std::uint8_t> sealed, const FacilityKey& key,
                                      std::string_view context, std::string_view source,
                                      const Expectations& expect = {});

// Text forms: the header line, then the PGP words of the bytes and of their check,
// 8 words a line, one LF after each line.
[[nodiscard]] std::string sealed_share_text(std::span<const std::uint8_t> sealed);
[[nodiscard]] std::string facility_key_text(const PublicKey& key);

// Strict readers of the text forms: the header line first (blank lines and ASCII
// whitespace between words ignored), words from the PGP word list in their
// even/odd positions, a length smk could have written and a check that matches.
// Error(invalid_input) naming `source` and the word or count at fault.
[[nodiscard]] std::vector<std::uint8_t> parse_sealed_share_text(std::string_view text,
                                                                std::string_view source);
// A facility key as words (smk-facility-key-v1) or as one line of 64 hex digits.
[[nodiscard]] PublicKey parse_facility_key_text(std::string_view text, std::string_view source);

}  // namespace smk::transport
