#pragma once
// The card share record: one SLIP-39 share as it is stored on a smartcard
// (OpenPGP card private DO 0103). Versioned and self-describing, documented in
// docs/FORMAT.md section 4. The share itself is the big-endian integer of its
// 10-bit word indices, so any tool can recover the mnemonic from the bytes.
//
// A record holds a share, so it is secret: it is built and read in a Secret.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "smk/secret.hpp"
#include "smk/slip39.hpp"

namespace smk::card {

inline constexpr std::uint8_t kShareRecordVersion = 1;
inline constexpr std::size_t kShareRecordHeaderBytes = 15;
inline constexpr std::size_t kShareRecordCheckBytes = 4;

// Size in bytes of the record of a share of `word_count` words
// (61 for the 33 words of a 256-bit SMK, 44 for 20 words).
[[nodiscard]] constexpr std::size_t share_record_size(std::size_t word_count) noexcept {
    return kShareRecordHeaderBytes + (word_count * 10 + 7) / 8 + kShareRecordCheckBytes;
}

// Size in bytes of the record of a SLIP-39 share of a `secret_bytes` secret:
// its mnemonic has ceil(8 * secret_bytes / 10) value words and 7 more (20 words
// for 16 bytes, 33 for 32), so the size is known before the secret exists.
[[nodiscard]] constexpr std::size_t share_record_size_for_secret(
    std::size_t secret_bytes) noexcept {
    return share_record_size((secret_bytes * 8 + 9) / 10 + 7);
}

// The record of one mnemonic. The mnemonic is decoded first (slip39::decode,
// checksum included); errors name `source` and never quote the words.
[[nodiscard]] Secret encode_share_record(std::string_view mnemonic, std::string_view source);

struct DecodedShareRecord {
    slip39::ShareInfo info;  // public fields, as the decoded share states them
    unsigned word_count = 0;
    Secret mnemonic;  // lower case, single spaces
};

// Reads a record back. Error(invalid_input) naming `source` for: too short,
// bad magic (not an smk record), unknown version, failed record check
// (half-written or garbled), word count that does not fit the length, non-zero
// padding, a SLIP-39 checksum failure, or header fields the share contradicts.
[[nodiscard]] DecodedShareRecord decode_share_record(std::span<const std::uint8_t> record,
                                                     std::string_view source);

// What a share store holds (DO 0103 of a card, the smk data object of a token).
enum class StoredState { empty, valid, garbage };

struct StoredShare {
    StoredState state = StoredState::empty;
    std::size_t bytes = 0;                     // length of the DO content
    std::optional<DecodedShareRecord> record;  // when valid
    std::string problem;                       // when garbage: why it is not a valid record
};

}  // namespace smk::card
