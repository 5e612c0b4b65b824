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
// Public text only (it branches on every character): decodes exactly 2 * out.size()
// hex digits, either case, into `out`; false (out unspecified) for anything else.
// For check values and digests people read, never for keys.
[[nodiscard]] bool decode_public_hex(std::string_view text, std::span<std::uint8_t> out) noexcept;
// Standard base64 (RFC 4648, padded, one line) of public bytes, as `openssl base64
// -d -A` reads it back (libsodium's sodium_bin2base64).
[[nodiscard]] std::string to_base64(std::span<const std::uint8_t> bytes);
// Lower-case hex of secret bytes, into secret memory.
[[nodiscard]] Secret to_hex_secret(std::span<const std::uint8_t> bytes);
// Decode hex (either case; surrounding ASCII whitespace ignored) into secret memory.
// Throws Error(invalid_input) naming `what` if the text is not an even number of hex digits,
// saying why: empty, a 0x prefix, digits split over lines (`xxd -p`) or by spaces, a
// character that is not a hex digit (by position, never quoted), an odd count.
[[nodiscard]] Secret from_hex_secret(std::string_view text, std::string_view what);

}  // namespace smk
