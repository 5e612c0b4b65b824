#pragma once
// The persistent state of one emulated OpenPGP card: serial, PINs with their
// retry counters, the data objects written with PUT DATA, and the life-cycle
// state. It is what a real card keeps in EEPROM, so it survives removal,
// reinsertion and emulator restarts. PINs and object contents are Secrets.
//
// File format (text, mode 0600, replaced atomically after every change):
//   smk-cardsim-state 1
//   serial 0000ABCD
//   terminated 0|1
//   pw1-valid-multiple 0|1
//   pin pw1 <hex> <tries>
//   pin pw3 <hex> <tries>
//   pin rc <hex or -> <tries>
//   do <tag hex4> <value hex or ->
//   key <CRT hex2: B6|B8|A4> <private key, DER hex>   (GENERATE ASYMMETRIC KEY PAIR)
// Unknown lines are errors: a state file is never half-understood.

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>

#include "smk/secret.hpp"

namespace smk::cardsim {

inline constexpr std::uint8_t kMaxTries = 3;

struct PinState {
    Secret value;  // empty for the resetting code when not set
    std::uint8_t tries = kMaxTries;
};

struct CardState {
    std::array<std::uint8_t, 4> serial{};
    bool terminated = false;
    bool pw1_valid_multiple = false;  // C4 byte 1: PW1 (81) valid for several PSO:CDS
    PinState pw1;
    PinState pw3;
    PinState rc;
    std::map<std::uint16_t, Secret> objects;  // 0101-0104, 5B, 5E, 5F2D, 5F35, 5F50
    // Private keys generated on the card, by key slot (CRT tag B6, B8, A4), as
    // OpenSSL DER; they never leave the card except in this file (openpgp_keys.cpp).
    std::map<std::uint8_t, Secret> keys;

    // Factory state (default PINs 123456 / 12345678, no resetting code, no DOs)
    // with the given serial.
    [[nodiscard]] static CardState factory(const std::array<std::uint8_t, 4>& serial);
};

// Parses a serial given as 8 hex digits. Throws Error(usage) otherwise.
[[nodiscard]] std::array<std::uint8_t, 4> parse_serial(std::string_view hex8);

// Loads a state file; nullopt if it does not exist. Throws Error(invalid_input)
// naming the file and line if it is malformed.
[[nodiscard]] std::optional<CardState> load_state(const std::filesystem::path& file);

// Writes the state: temporary file in the same directory (O_EXCL, 0600),
// fsync, rename over the old state, fsync the directory. Throws Error(io).
void save_state(const std::filesystem::path& file, const CardState& state);

}  // namespace smk::cardsim
