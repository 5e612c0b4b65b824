#pragma once
// The OpenPGP card application (spec 3.4) as far as smk needs it: SELECT, the
// AID (serial), Extended Capabilities (C0), PW status (C4), VERIFY and CHANGE
// REFERENCE DATA of PW1 and PW3, GET/PUT DATA, and the key commands of the
// authentication key (GENERATE ASYMMETRIC KEY PAIR, INTERNAL AUTHENTICATE;
// smartcard/attest.cpp). Works over any Transport, so tests can replay canned
// answers.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apdu.hpp"
#include "smk/card.hpp"
#include "smk/secret.hpp"

namespace smk::card {

inline constexpr std::uint16_t kSharePrivateDo = 0x0103;  // read PW1, write PW1
inline constexpr std::uint8_t kAuthKeyCrt = 0xA4;         // key slot 3: authentication

// The value of `tag` in BER-TLV data (one- to three-byte tags, lengths up to
// 82 xx xx), searching inside constructed objects such as 6E, 73 and 7F49;
// nullopt when absent or malformed.
[[nodiscard]] std::optional<std::span<const std::uint8_t>> find_tlv(
    std::span<const std::uint8_t> data, unsigned tag);

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
    // VERIFY with P1=FF (spec 3.x) for every PIN reference a VERIFY or a CHANGE
    // REFERENCE DATA was sent for, whatever its answer: the card forgets the verification, so no
    // other program can use it after smk. Never throws.
    enum class Forgotten {
        confirmed,  // 9000 for each, and the status query after it: not verified
        refused,    // a card that answers but did not forget (2.x, Gnuk < 1.2): reset it
        card_gone,  // no valid answer: the card lost its state with its power
    };
    [[nodiscard]] Forgotten forget_verified_pins() noexcept;
    // Whether a VERIFY or CHANGE REFERENCE DATA was sent through this object.
    [[nodiscard]] bool pin_sent() const noexcept { return m_pins_sent != 0; }

    // One VERIFY of PW3 (83), with the same rules as verify_pw1.
    void verify_pw3(const Secret& pin, bool allow_last_try);
    // The longest PIN of `kind` the card takes, from the last C4 read.
    [[nodiscard]] std::size_t max_pin_length(PinKind kind) const noexcept;
    // CHANGE REFERENCE DATA of PW1 (P2 81) or PW3 (83), then VERIFY of the new
    // PIN (PW1 in mode 82, PW3): ShareStore::change_pin in smk/card.hpp. The
    // references sent (81 and 82, or 83) count for forget_verified_pins.
    void change_pin(PinKind kind, const Secret& current, const Secret& next, bool allow_last_try);
    // True when the key slot of `crt` (B6, B8, A4) holds a key: a fingerprint in
    // C5, a status in the key information DE, or a public key in read mode.
    [[nodiscard]] bool key_present(std::uint8_t crt);
    // The algorithm attributes of a key slot (C1 signature, C2 decryption, C3
    // authentication), from the application related data (6E); empty if absent.
    [[nodiscard]] std::vector<std::uint8_t> algorithm_attributes(std::uint8_t tag);
    // GENERATE ASYMMETRIC KEY PAIR, read mode (P1 81): the 7F49 template, or
    // empty when the slot has no key.
    [[nodiscard]] std::vector<std::uint8_t> read_public_key(std::uint8_t crt);
    // GENERATE ASYMMETRIC KEY PAIR, P1 80 (PW3 verified): the new key's 7F49.
    [[nodiscard]] std::vector<std::uint8_t> generate_key(std::uint8_t crt);
    // INTERNAL AUTHENTICATE (PW1 82 verified): the card's signature of `data`.
    [[nodiscard]] std::vector<std::uint8_t> internal_authenticate(
        std::span<const std::uint8_t> data);

  private:
    [[nodiscard]] Response send(const Command& command);
    // Error(invalid_input), nothing sent, unless min_pin_length(kind) <= size <=
    // max_length; `which` ("", "current ") is put before the PIN's name.
    void check_length(PinKind kind, const Secret& pin, std::size_t max_length,
                      std::string_view which) const;
    // Error(device) when `tries` is 0, Error(refused) when 1 unless allowed.
    void refuse_tries(PinKind kind, unsigned tries, bool allow_last_try) const;
    // Error(verification) with the tries left for a wrong PIN (63Cx, 6300),
    // Error(device) for a blocked one (6983); `outcome` follows the facts
    // ("; the PIN was not changed"). Returns for any other answer.
    void refuse_wrong_pin(PinKind kind, StatusWord sw, std::string_view outcome);
    [[noreturn]] void fail(std::string_view doing, StatusWord sw) const;
    void read_extended_length_info();

    Transport& m_transport;
    CardCapabilities m_caps;
    std::string m_reader;
    std::string m_serial;
    std::string m_label;
    std::size_t m_private_capacity = 0;
    std::size_t m_pw1_max_length = 127;
    std::size_t m_pw3_max_length = 127;
    std::optional<PinTries> m_known_tries;
    unsigned m_pins_sent = 0;  // bit (P2 - 0x81) per PIN reference a PIN went to
};

}  // namespace smk::card
