#pragma once
// The OpenPGP card application (spec 3.4) as far as smk needs it: SELECT, the
// AID (serial), Extended Capabilities (C0), PW status (C4), VERIFY PW1 and
// GET/PUT DATA. Works over any Transport, so tests can replay canned answers.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "apdu.hpp"
#include "smk/card.hpp"
#include "smk/secret.hpp"

namespace smk::card {

inline constexpr std::uint16_t kSharePrivateDo = 0x0103;  // read PW1, write PW1
inline constexpr std::size_t kMinPinLength = 6;           // PW1, spec 3.4 section 4.3

class OpenPgpApp final {
  public:
    // Selects the application and reads AID, C0 and C4. Error(device) if the
    // card is not an OpenPGP card or answers wrongly. `reader` names the card.
    OpenPgpApp(Transport& transport, std::span<const std::uint8_t> atr, std::string reader);

    // "card FFFF:0000001A in \"Virtual PCD 00 00\"".
    [[nodiscard]] const std::string& label() const noexcept { return m_label; }
    [[nodiscard]] const std::string& serial() const noexcept { return m_serial; }
    // Maximum length of special DOs when private DOs exist, else 0.
    [[nodiscard]] std::size_t private_do_capacity() const noexcept { return m_private_capacity; }
    [[nodiscard]] const CardCapabilities& capabilities() const noexcept { return m_caps; }

    // C4, read now.
    [[nodiscard]] PinTries read_tries();
    // The tries as last read, unless a VERIFY was sent since: inside the PC/SC
    // transaction nobody else can change them, so no second GET DATA C4 is needed.
    [[nodiscard]] PinTries known_tries();
    // One VERIFY of PW1 in mode 82, following the rules in smk/card.hpp.
    void verify_pw1(const Secret& pin, bool allow_last_try);
    // GET DATA of a DO; an absent DO (6A88) reads as empty.
    [[nodiscard]] Secret get_data(std::uint16_t tag);
    // PUT DATA of a DO (empty data deletes it).
    void put_data(std::uint16_t tag, std::span<const std::uint8_t> data);
    // VERIFY with P1=FF (spec 3.x) for every PIN reference a VERIFY was sent
    // for, whatever its answer: the card forgets the verification, so no other
    // program can use it after smk. Never throws.
    enum class Forgotten {
        confirmed,  // 9000 for each (or nothing was sent)
        refused,    // a card that answers but does not know P1=FF (2.x): reset it
        card_gone,  // no valid answer: the card lost its state with its power
    };
    [[nodiscard]] Forgotten forget_verified_pins() noexcept;
    // Whether a VERIFY was sent through this object (the caller then resets the card).
    [[nodiscard]] bool pin_sent() const noexcept { return m_pins_sent != 0; }

  private:
    [[nodiscard]] Response send(const Command& command);
    [[noreturn]] void fail(std::string_view doing, StatusWord sw) const;
    void read_extended_length_info();

    Transport& m_transport;
    CardCapabilities m_caps;
    std::string m_reader;
    std::string m_serial;
    std::string m_label;
    std::size_t m_private_capacity = 0;
    std::size_t m_pw1_max_length = 127;
    std::optional<PinTries> m_known_tries;
    unsigned m_pins_sent = 0;  // bit (P2 - 0x81) per PIN reference a VERIFY went to
};

}  // namespace smk::card
