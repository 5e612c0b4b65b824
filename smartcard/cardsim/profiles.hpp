#pragma once
// Card profiles: where the OpenPGP cards holders own answer differently from
// one another (ATR, historical bytes, AID version and manufacturer, Extended
// Capabilities C0, PW status C4, extended length information, who may read DO
// 0103), as data. Every value comes from a firmware source or a public
// capture; docs/CARDSIM.md names the source of each one and says where none
// was found and what stands in for it.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace smk::cardsim {

// Who may write DO 0101/0103 and read DO 0103 (spec 3.4: PW1, mode 82).
enum class PrivateDoAccess : std::uint8_t {
    pw1_mode_82,         // VERIFY 82 only (the spec, SmartPGP, opcard)
    pw1_mode_82_or_pw3,  // VERIFY 82 or VERIFY 83 (pico-openpgp: has_pw2 || has_pw3)
};

struct CardProfile {
    std::string_view name;  // --profile NAME
    std::string_view card;  // what it stands for, e.g. "YubiKey 5 (firmware 5.2.3 and later)"
    // The complete answer to reset, TCK included. Its historical bytes need
    // not equal DO 5F52: on most real cards the ATR comes from the platform
    // (USB CCID firmware, JavaCard OS) and 5F52 from the OpenPGP application.
    std::span<const std::uint8_t> atr;
    std::span<const std::uint8_t> historical_bytes;  // DO 5F52
    std::array<std::uint8_t, 2> version;             // AID bytes 7-8 (3.4: 03 04)
    std::uint16_t manufacturer;                      // AID bytes 9-10
    // C0 as the card announces it by default. In the 3.x layout bytes 7-8 are
    // the maximum length of special DOs (private DOs, login data, URL); in the
    // 2.x layout (Gnuk 1.2, AID version 2.0) they are the maximum command length.
    std::array<std::uint8_t, 10> extended_capabilities;
    bool c0_layout_v3;
    bool c0_alone;                // GET DATA C0 answers; false: only inside 6E (SmartPGP)
    bool pw1_valid_multiple;      // C4 byte 1 at the factory
    std::uint8_t max_pin_length;  // C4 bytes 2-4 (PW1, resetting code, PW3)
    std::uint8_t unset_rc_tries;  // C4 byte 6 while no resetting code is set
    std::span<const std::uint8_t> extended_length_info;  // 7F66 value; empty: none (6A88)
    bool extended_length_info_in_6e;   // 7F66 is part of the application related data
    bool extended_length_info_tagged;  // GET DATA 7F66 answers 7F 66 L V (SmartPGP)
    std::span<const std::uint8_t> general_feature_management;  // 7F74 value; empty: none
    PrivateDoAccess private_do_access;
    // C1-C3 at the factory (every profile's card comes with RSA 2048 in all
    // three slots and generates it): 01, modulus bits, exponent bits (0020, or
    // 0011 where the card announces the 17 bits of 65537), import format.
    std::array<std::uint8_t, 6> algorithm_attributes;
    // INTERNAL AUTHENTICATE also after VERIFY 83 (pico-openpgp: has_pw3 ||
    // has_pw2); false: VERIFY 82 only, as the spec says.
    bool internal_authenticate_with_pw3;
};

// Private DOs as C0 announces them: the flag (byte 1, 0x08) and, in the 3.x
// layout, their maximum length (bytes 7-8). 0 when the card has none.
[[nodiscard]] std::uint16_t announced_private_do_size(const CardProfile& profile) noexcept;

// The test card smk-cardsim always was (manufacturer FFFF): the default.
[[nodiscard]] const CardProfile& generic_profile() noexcept;
// All profiles, generic first.
[[nodiscard]] std::span<const CardProfile> all_profiles() noexcept;
// The profile called `name`, or nullptr.
[[nodiscard]] const CardProfile* find_profile(std::string_view name) noexcept;

}  // namespace smk::cardsim
