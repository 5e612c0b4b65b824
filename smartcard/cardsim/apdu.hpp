#pragma once
// ISO 7816-4 command APDUs as the emulator receives them from vpcd, and the
// response type it sends back. Command data and response data may carry PINs
// or private-DO contents (shares), so both live in smk::Secret.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "smk/secret.hpp"

namespace smk::cardsim {

// Status words used by the emulator (ISO 7816-4 / OpenPGP card 3.4, 7.1).
namespace sw {
inline constexpr std::uint16_t ok = 0x9000;
inline constexpr std::uint16_t terminated_state = 0x6285;  // selected file in termination state
inline constexpr std::uint16_t wrong_length = 0x6700;
inline constexpr std::uint16_t security_not_satisfied = 0x6982;
inline constexpr std::uint16_t auth_blocked = 0x6983;
inline constexpr std::uint16_t conditions_not_satisfied = 0x6985;
inline constexpr std::uint16_t wrong_data = 0x6A80;
inline constexpr std::uint16_t not_found = 0x6A82;  // file or application not found
inline constexpr std::uint16_t incorrect_p1p2 = 0x6A86;
inline constexpr std::uint16_t data_not_found = 0x6A88;  // referenced data not found
inline constexpr std::uint16_t wrong_p1p2 = 0x6B00;
inline constexpr std::uint16_t ins_not_supported = 0x6D00;
inline constexpr std::uint16_t cla_not_supported = 0x6E00;
inline constexpr std::uint16_t retries_left_base = 0x63C0;  // | remaining tries
}  // namespace sw

// A parsed command APDU. `data` points into the buffer that was parsed and is
// valid only as long as that buffer.
struct CommandApdu {
    std::uint8_t cla = 0;
    std::uint8_t ins = 0;
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
    std::span<const std::uint8_t> data;
    std::size_t ne = 0;  // expected response length (Le decoded: 0 means none)
    bool extended = false;

    [[nodiscard]] std::uint16_t p1p2() const noexcept {
        return static_cast<std::uint16_t>((p1 << 8) | p2);
    }
};

// Parses short and extended APDUs (cases 1-4). nullopt if the encoding is
// inconsistent (the caller answers 6700).
[[nodiscard]] std::optional<CommandApdu> parse_command(
    std::span<const std::uint8_t> bytes) noexcept;

// A response: data (possibly secret) plus a status word.
struct Response {
    Secret data;
    std::uint16_t sw = sw::ok;
};

[[nodiscard]] Response status_only(std::uint16_t status);
[[nodiscard]] Response ok_with(std::span<const std::uint8_t> data);

// BER-TLV building for public data objects (6E, 65, 7A, ...).
void append_tlv(std::vector<std::uint8_t>& out, std::uint16_t tag,
                std::span<const std::uint8_t> value);

}  // namespace smk::cardsim
