#pragma once
// The raw share file format (docs/FORMAT.md "Raw shares"). Internal to sss/.
//
//   header  40 bytes
//     0   8  magic "SMKRAW01"
//     8   1  format version, 1
//     9   1  threshold t, 2..255
//    10   1  count n of shares made, t..255
//    11   1  x, 1..n
//    12   4  reserved, zero
//    16   8  split identifier, random, the same in every share of a split
//    24   8  secret length L in bytes, unsigned big-endian
//    32   8  header check: the first 8 bytes of SHA-256(bytes 0..31)
//   body    L + 64 bytes: the share (value at x) of P = R || file || tag, where
//           R is 32 random bytes and tag = HMAC-SHA256(key R,
//           "smk raw v1" || identifier || L as 8 bytes big-endian || file)
//   trailer 32 bytes: SHA-256(header || body)
//
// Share file size = L + 136. Byte i of every share is f_i(x) for a polynomial f_i
// of degree t-1 over GF(2^8)/0x11B with f_i(0) = P[i] and random other coefficients.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace smk::raw::format {

inline constexpr std::array<std::uint8_t, 8> kMagic{'S', 'M', 'K', 'R', 'A', 'W', '0', '1'};
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderBytes = 40;
inline constexpr std::size_t kHeaderCheckBytes = 8;
inline constexpr std::size_t kKeyBytes = 32;      // R
inline constexpr std::size_t kTagBytes = 32;      // HMAC-SHA256
inline constexpr std::size_t kTrailerBytes = 32;  // SHA-256
inline constexpr std::size_t kIdentifierBytes = 8;
inline constexpr std::string_view kTagLabel = "smk raw v1";
inline constexpr std::uint64_t kMaxSecretBytes = (std::uint64_t{1} << 62);

// Public: everything in a header.
struct Header {
    unsigned threshold = 0;
    unsigned count = 0;
    unsigned x = 0;
    std::array<std::uint8_t, kIdentifierBytes> identifier{};
    std::uint64_t secret_bytes = 0;
};

using HeaderBytes = std::array<std::uint8_t, kHeaderBytes>;

[[nodiscard]] HeaderBytes encode_header(const Header& header);
// Throws Error(invalid_input) naming `source` when the bytes are not a valid
// version-1 header: not a share file, other version, damaged (check fails), bad fields.
[[nodiscard]] Header decode_header(std::span<const std::uint8_t, kHeaderBytes> bytes,
                                   const std::string& source);

// The message authenticated by the tag, before the file: label || id || L.
[[nodiscard]] std::array<std::uint8_t, kTagLabel.size() + kIdentifierBytes + 8> tag_prefix(
    const std::array<std::uint8_t, kIdentifierBytes>& identifier, std::uint64_t secret_bytes);

[[nodiscard]] constexpr std::uint64_t payload_bytes(std::uint64_t secret_bytes) noexcept {
    return kKeyBytes + secret_bytes + kTagBytes;
}
[[nodiscard]] constexpr std::uint64_t share_file_bytes(std::uint64_t secret_bytes) noexcept {
    return kHeaderBytes + payload_bytes(secret_bytes) + kTrailerBytes;
}

// Bytes per streaming step when `buffers` chunk-sized secret buffers are live at
// once: 256 KiB, less for many buffers so that all of them stay within 4 MiB
// (mlock-able under the usual 8 MiB RLIMIT_MEMLOCK); a multiple of 4 KiB, at least 4 KiB.
[[nodiscard]] std::size_t chunk_bytes(std::size_t buffers) noexcept;

// "<secret name>.<x>-of-<count>.smkraw"
[[nodiscard]] std::string share_file_name(const std::string& secret_name, unsigned x,
                                          unsigned count);

}  // namespace smk::raw::format
