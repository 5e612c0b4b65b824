#pragma once
// Key fingerprint: a longer public identifier of a key than the 3-byte KCV, for
// receipts and plans. HMAC-SHA256 keyed with the key over a fixed label, first
// 16 bytes: one-way, domain-separated from any other use of the key.

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace smk {

using Fingerprint = std::array<std::uint8_t, 16>;

inline constexpr const char* kFingerprintLabel = "smk key fingerprint v1";

[[nodiscard]] Fingerprint key_fingerprint(std::span<const std::uint8_t> key);
[[nodiscard]] std::string fingerprint_hex(const Fingerprint& fingerprint);

}  // namespace smk
