#pragma once
// Hex encoding without data-dependent branches or tables (libsodium's
// sodium_bin2hex / sodium_hex2bin), safe for secret bytes.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "smk/secret.hpp"

namespace smk {

// Lower-case hex of public bytes.
[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);
// Lower-case hex of secret bytes, into secret memory.
[[nodiscard]] Secret to_hex_secret(std::span<const std::uint8_t> bytes);
// Decode hex (either case; surrounding ASCII whitespace ignored) into secret memory.
// Throws Error(invalid_input) naming `what` if the text is not an even number of hex digits,
// saying why: empty, a 0x prefix, digits split over lines (`xxd -p`) or by spaces, a
// character that is not a hex digit (by position, never quoted), an odd count.
[[nodiscard]] Secret from_hex_secret(std::string_view text, std::string_view what);

}  // namespace smk
