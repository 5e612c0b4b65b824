#pragma once
// The PGP word list (Juola and Zimmermann): two words per byte value, one for
// bytes at even positions and one for bytes at odd positions, so that a swapped,
// doubled or dropped word is noticed when a digest is read aloud.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace smk::media {

// The word for `byte` at position `position` (0-based) in the sequence.
[[nodiscard]] std::string_view pgp_word(std::uint8_t byte, std::size_t position) noexcept;

}  // namespace smk::media
