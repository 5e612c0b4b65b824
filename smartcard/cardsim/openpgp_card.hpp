#pragma once
// An OpenPGP card 3.4 application (the parts the smk share store and GnuPG's
// card status need): SELECT, GET DATA, PUT DATA, VERIFY, CHANGE REFERENCE
// DATA, RESET RETRY COUNTER, TERMINATE DF, ACTIVATE FILE, GET CHALLENGE,
// GET RESPONSE, command chaining, and the authentication key: GENERATE
// ASYMMETRIC KEY PAIR and INTERNAL AUTHENTICATE (RSA 2048, openpgp_keys.cpp).
// No PSO: those instructions answer 6D00. Every state change is saved before
// the answer.

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "apdu.hpp"
#include "card_state.hpp"
#include "profiles.hpp"

namespace smk::cardsim {

struct CardConfig {
    bool private_dos = true;              // C0 byte 1 bit 0x08
    std::uint16_t private_do_size = 255;  // C0 bytes 7-8, enforced by PUT DATA
    // VERIFY P1=FF resets a PIN's access status (3.x); false: it answers 6A86
    // and leaves the PIN verified, as a 2.x card that knows only P1=00 does
    // (--no-verify-reset). Hosts must then reset the card to end the session.
    bool verify_reset = true;
    // VERIFY reads no P1 (Gnuk before 1.2): P1=FF without data is taken as a
    // status query, answered 9000 while the PIN is verified, which a host could
    // mistake for "forgotten" (--verify-reset-ignored).
    bool verify_reset_ignored = false;
    // Everything else the card answers differently from other models (ATR,
    // AID, C0 layout, C4, 7F66, the 0103 rule); private_dos and
    // private_do_size override the profile's C0.
    const CardProfile* profile = &generic_profile();
};

// The configuration of a card as `profile` comes from the factory.
[[nodiscard]] CardConfig factory_config(const CardProfile& profile) noexcept;

// Sets (8..127 bytes) or clears (empty) the resetting code; returns the SW.
[[nodiscard]] std::uint16_t set_resetting_code(PinState& rc, std::span<const std::uint8_t> value);

class OpenPgpCard final {
  public:
    OpenPgpCard(CardConfig config, CardState state, std::filesystem::path state_file);

    // The answer to reset of the profile's card.
    [[nodiscard]] std::vector<std::uint8_t> atr() const;
    // Power on, power off or reset: PIN verification and pending chains are lost.
    void power_event() noexcept;
    // One command APDU in, the response APDU (data + SW1 SW2) out.
    [[nodiscard]] Secret process(std::span<const std::uint8_t> command);

  private:
    [[nodiscard]] Response dispatch(const CommandApdu& apdu);
    [[nodiscard]] Response select(const CommandApdu& apdu);
    [[nodiscard]] Response terminate_df(const CommandApdu& apdu);
    [[nodiscard]] Response activate_file(const CommandApdu& apdu);
    [[nodiscard]] Response get_challenge(const CommandApdu& apdu);
    // openpgp_keys.cpp
    [[nodiscard]] Response generate_key_pair(const CommandApdu& apdu);
    [[nodiscard]] Response internal_authenticate(const CommandApdu& apdu);
    [[nodiscard]] static bool is_key_object(std::uint16_t tag) noexcept;  // C7-C9, CE-D0
    [[nodiscard]] Response put_key_object(const CommandApdu& apdu);
    [[nodiscard]] std::vector<std::uint8_t> key_objects(std::uint16_t tag) const;  // C5, CD, DE
    // openpgp_pins.cpp
    [[nodiscard]] Response verify(const CommandApdu& apdu);
    [[nodiscard]] Response change_reference_data(const CommandApdu& apdu);
    [[nodiscard]] Response reset_retry_counter(const CommandApdu& apdu);
    // Compares a candidate against a PIN; counts down on mismatch and saves.
    [[nodiscard]] std::uint16_t check_pin(PinState& pin, std::span<const std::uint8_t> candidate);
    // openpgp_data.cpp
    [[nodiscard]] Response get_data(const CommandApdu& apdu);
    [[nodiscard]] Response put_data(const CommandApdu& apdu);
    [[nodiscard]] std::vector<std::uint8_t> application_related_data() const;
    [[nodiscard]] std::vector<std::uint8_t> simple_object(std::uint16_t tag, bool& found) const;
    [[nodiscard]] std::vector<std::uint8_t> aid() const;
    // PW1 (mode 82), or PW3 where the profile allows it, opens DO 0101/0103.
    [[nodiscard]] bool private_do_pw1_satisfied() const noexcept;

    void save();
    void clear_verification() noexcept;
    [[nodiscard]] Secret finish(Response response, std::size_t ne);

    CardConfig m_config;
    CardState m_state;
    std::filesystem::path m_state_file;
    bool m_pw1_cds = false;    // VERIFY 81 done
    bool m_pw1_other = false;  // VERIFY 82 done
    bool m_pw3 = false;        // VERIFY 83 done
    Secret m_chain;            // command chaining: data received so far
    std::uint8_t m_chain_ins = 0;
    Secret m_pending;  // GET RESPONSE: response bytes not yet sent
    std::size_t m_pending_offset = 0;
};

}  // namespace smk::cardsim
