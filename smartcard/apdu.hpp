#pragma once
// ISO 7816-4 APDUs: building commands (short, extended, chained), status words
// with readable text, and an exchange that follows the card's answers
// (61xx GET RESPONSE, 6Cxx resend with the right Le). Internal to smk_smartcard.
//
// Command data and responses may be secret (PINs, share records), so every
// buffer that holds them is a Secret.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "smk/secret.hpp"

namespace smk::card {

// The two trailer bytes of a response.
struct StatusWord {
    std::uint16_t value = 0;

    [[nodiscard]] bool ok() const noexcept { return value == 0x9000; }
    [[nodiscard]] std::uint8_t sw1() const noexcept {
        return static_cast<std::uint8_t>(value >> 8);
    }
    [[nodiscard]] std::uint8_t sw2() const noexcept {
        return static_cast<std::uint8_t>(value & 0xFF);
    }
    // "6982 security status not satisfied (PIN not verified)".
    [[nodiscard]] std::string text() const;
};

// Readable meaning of a status word, without the hex, e.g. "wrong length".
[[nodiscard]] std::string status_meaning(std::uint16_t sw);

struct Command {
    std::uint8_t cla = 0x00;
    std::uint8_t ins = 0;
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
    std::span<const std::uint8_t> data;  // may be secret; never copied outside a Secret
    bool expect_response = false;        // case 2/4: ask for the response (Le = maximum)
};

// What the card can do with long commands, from the ATR's historical bytes
// (card capabilities, third software function table byte) or the application.
struct CardCapabilities {
    bool chaining = false;         // CLA bit 0x10 command chaining
    bool extended_length = false;  // extended Lc/Le
    std::size_t max_command_data = 255;
    std::size_t max_response_data = 256;
};

// Capabilities the ATR announces (historical bytes, compact-TLV tag 7 "card
// capabilities"). Unknown or absent: short APDUs only.
[[nodiscard]] CardCapabilities capabilities_from_atr(std::span<const std::uint8_t> atr);

// The bytes of one command APDU: short form when data <= 255 and Le <= 256,
// otherwise extended form (only if `extended`). `le` is 0 for no Le field,
// otherwise the number of bytes wanted (256 / 65536 = "as many as there are").
[[nodiscard]] Secret build_apdu(const Command& command, std::size_t le, bool extended);

// One exchange of raw bytes with the card (PC/SC, or canned answers in tests).
class Transport {
  public:
    virtual ~Transport() = default;
    // Sends a command APDU, returns the response APDU (data + SW1 SW2).
    [[nodiscard]] virtual Secret transmit(std::span<const std::uint8_t> apdu) = 0;
    // True for T=0: case 4 commands go without Le and the card answers 61xx.
    [[nodiscard]] virtual bool is_t0() const noexcept = 0;
};

struct Response {
    Secret data;
    StatusWord sw;
};

// Sends a command through `transport` using the card's capabilities: long data
// is chained (CLA | 0x10) or sent as one extended APDU; 61xx answers are
// followed with GET RESPONSE and 6Cxx answers are resent with Le = xx.
// Error(device) if the data is too long for what the card announces, or the
// card answers with something that is not an APDU response.
[[nodiscard]] Response exchange(Transport& transport, const CardCapabilities& caps,
                                const Command& command);

}  // namespace smk::card
