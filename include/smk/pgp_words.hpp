#pragma once
// The PGP word list (Juola and Zimmermann): two words per byte value, one for
// bytes at even positions and one for bytes at odd positions, so that a swapped,
// doubled or dropped word is noticed when a digest is read aloud.

// Public values only (digests, public keys, sealed shares): the lookups branch on
// the bytes.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smk {

// The word for `byte` at position `position` (0-based) in the sequence.
[[nodiscard]] std::string_view pgp_word(std::uint8_t byte, std::size_t position) noexcept;

// The even word for a byte at an even position (0, 2, ...), the odd word at an odd
// position, separated by single spaces. 00 01 -> "aardvark adviser".
[[nodiscard]] std::string pgp_words(std::span<const std::uint8_t> bytes);

// The words of `bytes`, eight a line, each line numbered ("   1- 8  w w ...\n" after
// `indent`) to keep one's place when reading aloud: four lines for a SHA-256.
[[nodiscard]] std::string pgp_words_block(std::span<const std::uint8_t> bytes,
                                          std::string_view indent);

// The words of `text`, split at ASCII whitespace (views into `text`).
[[nodiscard]] std::vector<std::string_view> split_words(std::string_view text);

// The bytes of `words`, the first at position 0, in either letter case.
// Error(invalid_input) naming the word at fault by position: not in the list, or a
// word of the other half (a word before it was left out or doubled).
[[nodiscard]] std::vector<std::uint8_t> bytes_of_pgp_words(std::span<const std::string_view> words);

}  // namespace smk
