#pragma once
// Key check value: the first 3 bytes of AES-256-ECB(key, 16 zero bytes), the
// check HSMs and key ceremonies record next to a key. Public by design.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace smk {

using Kcv = std::array<std::uint8_t, 3>;

// key must be 16, 24 or 32 bytes (AES-128/192/256); otherwise Error(invalid_input).
[[nodiscard]] Kcv key_check_value(std::span<const std::uint8_t> key);

// Lower-case hex, 6 characters.
[[nodiscard]] std::string kcv_hex(const Kcv& kcv);

// "1a2b3c" (upper case too) -> Kcv. Error(usage) naming `what` ("--expect-kcv",
// "the plan's KCV") unless `text` is exactly 6 hex digits.
[[nodiscard]] Kcv parse_kcv(std::string_view text, std::string_view what);
// The same parse without the error, for validators that report in their own words.
[[nodiscard]] std::optional<Kcv> try_parse_kcv(std::string_view text);

}  // namespace smk
