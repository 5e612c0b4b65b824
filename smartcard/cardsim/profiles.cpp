// The profile table. docs/CARDSIM.md ("Card profiles") gives the source of
// every value (repository + file, or capture); the comments here say only what
// a value means where that is not obvious.
#include "profiles.hpp"

namespace smk::cardsim {
namespace {

// --- generic: smk-cardsim's own test card (unchanged since issue 4) ----------
constexpr std::array<std::uint8_t, 21> kGenericAtr = {0x3B, 0xDA, 0x18, 0xFF, 0x81, 0xB1, 0xFE,
                                                      0x75, 0x1F, 0x03, 0x00, 0x31, 0xC5, 0x73,
                                                      0xC0, 0x01, 0xC0, 0x00, 0x90, 0x00, 0x8C};
// Category 00, card service data 31 C5, card capabilities 73 C0 01 C0 (command
// chaining, extended Lc/Le), status 00 90 00.
constexpr std::array<std::uint8_t, 10> kGenericHistorical = {0x00, 0x31, 0xC5, 0x73, 0xC0,
                                                             0x01, 0xC0, 0x00, 0x90, 0x00};
constexpr std::array<std::uint8_t, 8> kGenericExtendedLength = {0x02, 0x02, 0x08, 0x00,
                                                                0x02, 0x02, 0x08, 0x00};
constexpr std::array<std::uint8_t, 3> kNoButton = {0x81, 0x01, 0x00};
constexpr std::array<std::uint8_t, 3> kButton = {0x81, 0x01, 0x20};

// --- yubikey5: USB CCID ATR; the rest from a 6E capture of a YubiKey 5 NFC ---
constexpr std::array<std::uint8_t, 23> kYubiKey5Atr = {
    0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0,
    0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40};
constexpr std::array<std::uint8_t, 8> kYubiKey5Historical = {0x00, 0x73, 0x00, 0x00,
                                                             0xE0, 0x05, 0x90, 0x00};
constexpr std::array<std::uint8_t, 8> kYubiKey5ExtendedLength = {0x02, 0x02, 0x0B, 0xFE,
                                                                 0x02, 0x02, 0x0B, 0xFE};

// --- nitrokey3: opcard-rs in the Nitrokey 3 firmware -------------------------
// The ATR of the firmware's CCID interface: category 80 and a compact-TLV
// "Nitrokey" (5D ...), no card capabilities.
constexpr std::array<std::uint8_t, 19> kNitrokey3Atr = {0x3B, 0x8F, 0x01, 0x80, 0x5D, 0x4E, 0x69,
                                                        0x74, 0x72, 0x6F, 0x6B, 0x65, 0x79, 0x00,
                                                        0x00, 0x00, 0x00, 0x00, 0x6A};
// opcard's default with the life-cycle byte set to 05 (operational).
constexpr std::array<std::uint8_t, 10> kNitrokey3Historical = {0x00, 0x31, 0xF5, 0x73, 0xC0,
                                                               0x01, 0x60, 0x05, 0x90, 0x00};
constexpr std::array<std::uint8_t, 8> kNitrokey3ExtendedLength = {0x02, 0x02, 0x1D, 0xB9,
                                                                  0x02, 0x02, 0x1D, 0xB9};

// --- smartpgp: the ANSSI applet on an NXP JCOP4 J3R180 -----------------------
// The ATR is the JavaCard platform's, not the applet's: no chaining, no
// extended length announced.
constexpr std::array<std::uint8_t, 15> kSmartPgpAtr = {
    0x3B, 0xD5, 0x18, 0xFF, 0x81, 0x91, 0xFE, 0x1F, 0xC3, 0x80, 0x73, 0xC8, 0x21, 0x10, 0x0A};
// Constants.HISTORICAL_BYTES: command chaining only ("not extended length by
// default as all readers do not support them").
constexpr std::array<std::uint8_t, 10> kSmartPgpHistorical = {0x00, 0xC1, 0xC5, 0x73, 0xC0,
                                                              0x01, 0x80, 0x05, 0x90, 0x00};
constexpr std::array<std::uint8_t, 8> kSmartPgpExtendedLength = {0x02, 0x02, 0x01, 0x00,
                                                                 0x02, 0x02, 0x01, 0x00};

// --- gnuk: Gnuk 1.2 (also what Nitrokey Start runs); no private DOs -----------
constexpr std::array<std::uint8_t, 21> kGnukAtr = {0x3B, 0xDA, 0x11, 0xFF, 0x81, 0xB1, 0xFE,
                                                   0x55, 0x1F, 0x03, 0x00, 0x31, 0x84, 0x73,
                                                   0x80, 0x01, 0x80, 0x00, 0x90, 0x00, 0xE4};
constexpr std::array<std::uint8_t, 10> kGnukHistorical = {0x00, 0x31, 0x84, 0x73, 0x80,
                                                          0x01, 0x80, 0x00, 0x90, 0x00};

// --- pico-openpgp-4.6: the first release with private DOs ---------------------
// atr_openpgp in src/openpgp/openpgp.c (a copy of the OpenPGP Card V3 ATR).
constexpr std::array<std::uint8_t, 21> kPicoAtr = {0x3B, 0xDA, 0x18, 0xFF, 0x81, 0xB1, 0xFE,
                                                   0x75, 0x1F, 0x03, 0x00, 0x31, 0xF5, 0x73,
                                                   0xC0, 0x01, 0x60, 0x00, 0x90, 0x00, 0x1C};
constexpr std::array<std::uint8_t, 10> kPicoHistorical = {0x00, 0x31, 0x84, 0x73, 0x80,
                                                          0x01, 0xC0, 0x05, 0x90, 0x00};
constexpr std::array<std::uint8_t, 8> kPicoExtendedLength = {0x02, 0x02, 0x07, 0xFF,
                                                             0x02, 0x02, 0x08, 0x00};

const std::array<CardProfile, 6> kProfiles = {{
    {
        "generic",
        "smk-cardsim's test card (manufacturer FFFF)",
        kGenericAtr,
        kGenericHistorical,
        {0x03, 0x04},
        0xFFFF,
        // GET CHALLENGE, PW status changeable, private DOs; 2048-byte challenge
        // and certificate; 255-byte special DOs.
        {0x58, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0xFF, 0x00, 0x00},
        true,
        true,
        false,
        0x7F,
        0,
        kGenericExtendedLength,
        true,
        false,
        kNoButton,
        PrivateDoAccess::pw1_mode_82,
        {0x01, 0x08, 0x00, 0x00, 0x20, 0x00},
        false,
    },
    {
        "yubikey5",
        "YubiKey 5 (firmware 5.2.3 and later, OpenPGP 3.4)",
        kYubiKey5Atr,
        kYubiKey5Historical,
        {0x03, 0x04},
        0x0006,  // Yubico
        // GET CHALLENGE, key import, PW status, private DOs, algorithm
        // attributes, KDF; challenge 0x0BFE, certificate 0x0800, special DOs 255.
        {0x7D, 0x00, 0x0B, 0xFE, 0x08, 0x00, 0x00, 0xFF, 0x00, 0x00},
        true,
        false,  // no source shows GET DATA C0 alone; GnuPG reads C0 from 6E
        true,
        0x7F,
        0,
        kYubiKey5ExtendedLength,
        true,
        false,
        kButton,
        PrivateDoAccess::pw1_mode_82,          // closed firmware: the spec's rule
        {0x01, 0x08, 0x00, 0x00, 0x11, 0x00},  // e announced as 17 bits (the 6E capture)
        false,
    },
    {
        "nitrokey3",
        "Nitrokey 3 (opcard 1.x)",
        kNitrokey3Atr,
        kNitrokey3Historical,
        {0x03, 0x04},
        0x000F,  // Nitrokey
        // Key import, PW status, private DOs, algorithm attributes, AES, KDF
        // (no GET CHALLENGE flag); 4096 for challenge, certificate and special
        // DOs; MSE supported.
        {0x3F, 0x00, 0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x00, 0x01},
        true,
        true,
        false,
        0x7F,
        0,
        kNitrokey3ExtendedLength,
        true,
        false,
        kButton,
        PrivateDoAccess::pw1_mode_82,          // other_verified_kek(): VERIFY 82 only
        {0x01, 0x08, 0x00, 0x00, 0x20, 0x00},  // RSA_2K_ATTRIBUTES, the default
        false,
    },
    {
        "smartpgp",
        "SmartPGP applet (ANSSI-FR) on an NXP JCOP4 J3R180",
        kSmartPgpAtr,
        kSmartPgpHistorical,
        {0x03, 0x04},
        0xAFAF,  // build.xml's placeholder manufacturer
        // Secure messaging, GET CHALLENGE, key import, PW status, private DOs,
        // algorithm attributes, AES, KDF; SM SCP11b; challenge 32, certificate
        // 0x0480, special DOs 255.
        {0xFF, 0x03, 0x00, 0x20, 0x04, 0x80, 0x00, 0xFF, 0x00, 0x00},
        true,
        false,  // processGetData has no case for C0: 6A88
        false,
        0x7F,
        0,  // a factory reset blocks the PUK
        kSmartPgpExtendedLength,
        false,
        true,
        {},
        PrivateDoAccess::pw1_mode_82,          // assertUserMode82()
        {0x01, 0x08, 0x00, 0x00, 0x11, 0x03},  // ALGORITHM_ATTRIBUTES_DEFAULT: CRT with modulus
        false,
    },
    {
        "gnuk",
        "Gnuk 1.2 (FSIJ Gnuk Token; Nitrokey Start runs the same): no private DOs",
        kGnukAtr,
        kGnukHistorical,
        {0x02, 0x00},
        0xF517,  // FSIJ
        // 2.x layout: GET CHALLENGE, key import, PW status, algorithm
        // attributes, no private DOs; challenge 32, no certificate DO, max
        // command 255, max response 256.
        {0x74, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0xFF, 0x01, 0x00},
        false,
        true,
        false,
        0x7F,
        3,  // C4 counts errors, not tries: 3 - 0 while no code is set
        {},
        false,
        false,
        {},
        PrivateDoAccess::pw1_mode_82,          // unused: no private DOs
        {0x01, 0x08, 0x00, 0x00, 0x20, 0x00},  // algorithm_attr_rsa2k, the default
        false,
    },
    {
        "pico-openpgp-4.6",
        "pico-openpgp 4.6 (Raspberry Pi Pico): the first release with private DOs",
        kPicoAtr,
        kPicoHistorical,
        {0x03, 0x04},
        0xFFFE,  // "unmanaged S/N range"; serial from the chip id
        // GET CHALLENGE, key import, PW status, private DOs, algorithm
        // attributes, AES, KDF; challenge 128, certificate 2048, private DOs
        // 2048; MSE supported.
        {0x7F, 0x00, 0x00, 0x80, 0x08, 0x00, 0x08, 0x00, 0x00, 0x01},
        true,
        true,
        true,
        0x7F,
        3,  // the factory PW status file holds 3 for the resetting code
        kPicoExtendedLength,
        true,
        false,
        kButton,
        PrivateDoAccess::pw1_mode_82_or_pw3,
        {0x01, 0x08, 0x00, 0x00, 0x20, 0x00},  // algorithm_attr_rsa2k, the default
        true,                                  // cmd_internal_aut: has_pw3 || has_pw2
    },
}};

constexpr std::uint8_t kPrivateDosFlag = 0x08;

}  // namespace

std::uint16_t announced_private_do_size(const CardProfile& profile) noexcept {
    const auto& c0 = profile.extended_capabilities;
    if ((c0[0] & kPrivateDosFlag) == 0 || !profile.c0_layout_v3) {
        return 0;
    }
    return static_cast<std::uint16_t>((c0[6] << 8) | c0[7]);
}

const CardProfile& generic_profile() noexcept {
    return kProfiles[0];
}

std::span<const CardProfile> all_profiles() noexcept {
    return kProfiles;
}

const CardProfile* find_profile(std::string_view name) noexcept {
    for (const auto& profile : kProfiles) {
        if (profile.name == name) {
            return &profile;
        }
    }
    return nullptr;
}

}  // namespace smk::cardsim
