#pragma once
// The SLIP-0039 mnemonic format: words <-> WordIndices <-> Share. Internal to
// sss/; the public face is slip39::decode() and slip39::encode().
//
// Layout (10 bits per word): identifier (15 bits) | extendable (1) | iteration
// exponent (4) | group index (4) | group threshold - 1 (4) | group count - 1 (4) |
// member index (4) | member threshold - 1 (4) | share value, zero-padded at the
// top to a whole number of words | RS1024 checksum (3 words).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "slip39_rs1024.hpp"
#include "smk/slip39.hpp"

namespace smk::slip39 {

inline constexpr std::size_t kRadixBits = 10;
inline constexpr std::size_t kWordCount = 1024;
inline constexpr std::size_t kMaxWordLength = 8;
inline constexpr std::size_t kIdExpWords = 2;
inline constexpr std::size_t kShareParamWords = 2;
inline constexpr std::size_t kMetadataWords =
    kIdExpWords + kShareParamWords + rs1024::kChecksumWords;
inline constexpr std::size_t kMinMnemonicWords = kMetadataWords + 13;  // 13 words hold 128 bits

struct WordLookup {
    std::uint16_t index = 0;  // secret
    bool found = false;
};

// The most characters parse_words reads: longer than any share this tool makes
// (a 33-word share is about 250), short enough that its word-by-word scan of the
// whole text stays fast on hostile input.
inline constexpr std::size_t kMaxMnemonicChars = 8192;

// The index of `word` (any ASCII letter case) in the word list, by a full
// constant-time scan (slip39_wordlist.cpp). The word's length is treated as public.
[[nodiscard]] WordLookup lookup_word(std::string_view word) noexcept;

// The index of the word whose lower-case letters, packed little-endian and zero
// padded, are `packed`: a scan of all 1024 entries without early exit.
[[nodiscard]] WordLookup lookup_packed(std::uint64_t packed) noexcept;

// The word at `index`, packed as above, by a scan of all 1024 entries: the list is
// never indexed by a secret.
[[nodiscard]] std::uint64_t packed_word(std::uint16_t index) noexcept;

// The words of a mnemonic, in constant time in its letters (only its length, the
// number of words and whether all were found are public). Errors name `source`:
// empty or over-long text, a word not in the list (by position).
[[nodiscard]] WordIndices parse_words(std::string_view mnemonic, std::string_view source);

// A share from its words: length, checksum (locating a single wrong word), padding
// and parameter checks. Errors (invalid_input) name `source`.
[[nodiscard]] Share share_from_words(const WordIndices& words, std::string_view source);

// The words of a share, checksum included. Throws Error(invalid_input) for fields
// out of range.
[[nodiscard]] WordIndices share_to_words(const Share& share);

// Lower-case words separated by single spaces, in constant time in the words (the
// text's total length is public: whoever sees the text sees it).
[[nodiscard]] Secret words_to_text(const WordIndices& words);

// How messages name one share: share "shares.txt line 3".
[[nodiscard]] std::string share_label(std::string_view source);

}  // namespace smk::slip39
