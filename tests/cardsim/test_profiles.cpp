// The card profile table (smartcard/cardsim/profiles.*) and what a card of each
// profile answers, in process (no PC/SC): well-formed ATRs, historical bytes,
// the AID, C0 and its private DO size, C4 at the factory, 7F66, and who may
// read DO 0103. The values themselves are checked against their sources in
// docs/CARDSIM.md; here they must at least be self-consistent.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "openpgp_card.hpp"
#include "profiles.hpp"
#include "support/temp_dir.hpp"

namespace {

using smk::cardsim::CardProfile;
using smk::cardsim::OpenPgpCard;
using smk_test::TempDir;

struct Answer {
    std::vector<std::uint8_t> data;
    std::uint16_t sw = 0;
};

Answer send(OpenPgpCard& card, std::vector<std::uint8_t> apdu) {
    const smk::Secret r = card.process(apdu);
    const auto bytes = r.bytes();
    Answer a;
    a.data.assign(bytes.begin(), bytes.end() - 2);
    a.sw = static_cast<std::uint16_t>((bytes[bytes.size() - 2] << 8) | bytes[bytes.size() - 1]);
    return a;
}

Answer get_data(OpenPgpCard& card, std::uint16_t tag) {
    return send(card, {0x00, 0xCA, static_cast<std::uint8_t>(tag >> 8),
                       static_cast<std::uint8_t>(tag & 0xFF), 0x00});
}

std::uint16_t verify(OpenPgpCard& card, std::uint8_t reference, const std::string& pin) {
    std::vector<std::uint8_t> apdu = {0x00, 0x20, 0x00, reference,
                                      static_cast<std::uint8_t>(pin.size())};
    apdu.insert(apdu.end(), pin.begin(), pin.end());
    return send(card, apdu).sw;
}

// The historical bytes of an ATR (ISO 7816-3: T0, then TA/TB/TC/TD chains),
// or nullopt when the ATR is malformed.
std::optional<std::vector<std::uint8_t>> atr_historical(std::span<const std::uint8_t> atr) {
    if (atr.size() < 2 || atr[0] != 0x3B) {
        return std::nullopt;
    }
    const std::size_t count = atr[1] & 0x0F;
    std::size_t pos = 2;
    unsigned indicator = atr[1] >> 4;
    while (true) {
        pos += static_cast<std::size_t>((indicator & 1U) + ((indicator >> 1) & 1U) +
                                        ((indicator >> 2) & 1U));
        if ((indicator & 0x08U) == 0) {
            break;
        }
        if (pos >= atr.size()) {
            return std::nullopt;
        }
        indicator = atr[pos] >> 4;
        ++pos;
    }
    // T=1 is offered by every profile, so a TCK follows the historical bytes.
    if (pos + count + 1 != atr.size()) {
        return std::nullopt;
    }
    return std::vector<std::uint8_t>(atr.begin() + static_cast<std::ptrdiff_t>(pos),
                                     atr.begin() + static_cast<std::ptrdiff_t>(pos + count));
}

// Compact-TLV historical bytes (category 00 with three status bytes at the
// end, or 80): every object's length fits.
bool compact_tlv_well_formed(std::span<const std::uint8_t> h) {
    if (h.empty() || (h[0] != 0x00 && h[0] != 0x80)) {
        return false;
    }
    const std::size_t end = h[0] == 0x00 ? h.size() - 3 : h.size();
    std::size_t i = 1;
    while (i < end) {
        i += 1 + (h[i] & 0x0FU);
    }
    return i == end;
}

// The value of a simple tag inside BER-TLV data (one level of nesting in 6E/73
// is enough here).
std::optional<std::vector<std::uint8_t>> find(std::span<const std::uint8_t> data, unsigned tag) {
    std::size_t pos = 0;
    while (pos < data.size()) {
        const std::uint8_t first = data[pos];
        unsigned found = data[pos++];
        if ((found & 0x1F) == 0x1F) {
            found = (found << 8) | data[pos++];
        }
        std::size_t length = data[pos++];
        if (length == 0x81) {
            length = data[pos++];
        } else if (length == 0x82) {
            length = (static_cast<std::size_t>(data[pos]) << 8) | data[pos + 1];
            pos += 2;
        }
        const auto value = data.subspan(pos, length);
        if (found == tag) {
            return std::vector<std::uint8_t>(value.begin(), value.end());
        }
        if ((first & 0x20) != 0) {  // constructed
            if (auto inner = find(value, tag)) {
                return inner;
            }
        }
        pos += length;
    }
    return std::nullopt;
}

OpenPgpCard card_of(const CardProfile& profile, const TempDir& dir) {
    auto state = smk::cardsim::CardState::factory({0x5A, 0xC0, 0x00, 0x01});
    state.pw1_valid_multiple = profile.pw1_valid_multiple;
    return OpenPgpCard(smk::cardsim::factory_config(profile), std::move(state),
                       dir.path() / (std::string(profile.name) + ".state"));
}

}  // namespace

TEST_CASE("profiles: the names the issue asks for exist and generic is the default") {
    for (const char* name :
         {"generic", "yubikey5", "nitrokey3", "smartpgp", "gnuk", "pico-openpgp-4.6"}) {
        CHECK_MESSAGE(smk::cardsim::find_profile(name) != nullptr, name);
    }
    CHECK(smk::cardsim::find_profile("yubikey4") == nullptr);
    CHECK(&smk::cardsim::generic_profile() == smk::cardsim::find_profile("generic"));
    CHECK(smk::cardsim::all_profiles().front().name == "generic");
}

TEST_CASE("profiles: every ATR is well formed with its TCK - historical bytes are compact-TLV") {
    for (const CardProfile& profile : smk::cardsim::all_profiles()) {
        INFO("profile " << profile.name);
        const auto historical = atr_historical(profile.atr);
        REQUIRE(historical.has_value());
        std::uint8_t check = 0;
        for (std::size_t i = 1; i < profile.atr.size(); ++i) {
            check ^= profile.atr[i];
        }
        CHECK(check == 0);  // TCK: T0 .. TCK XOR to zero
        CHECK(compact_tlv_well_formed(*historical));
        CHECK(compact_tlv_well_formed(profile.historical_bytes));
        // 5F52 of an OpenPGP application ends with its status: life cycle, 90 00.
        const auto& h = profile.historical_bytes;
        CHECK(h[0] == 0x00);
        CHECK(h[h.size() - 2] == 0x90);
        CHECK(h[h.size() - 1] == 0x00);
    }
    // Where the ATR is the OpenPGP application's own, it repeats 5F52.
    for (const char* name : {"generic", "gnuk"}) {
        const CardProfile& profile = *smk::cardsim::find_profile(name);
        const auto historical = atr_historical(profile.atr);
        REQUIRE(historical.has_value());
        CHECK(std::equal(historical->begin(), historical->end(), profile.historical_bytes.begin(),
                         profile.historical_bytes.end()));
    }
}

TEST_CASE("profiles: C0 announces private DOs of the size the field notes give") {
    const std::vector<std::pair<std::string, std::uint16_t>> expected = {
        {"generic", 255},  {"yubikey5", 255}, {"nitrokey3", 4096},
        {"smartpgp", 255}, {"gnuk", 0},       {"pico-openpgp-4.6", 2048}};
    TempDir dir;
    for (const auto& [name, size] : expected) {
        INFO("profile " << name);
        const CardProfile& profile = *smk::cardsim::find_profile(name);
        CHECK(smk::cardsim::announced_private_do_size(profile) == size);
        OpenPgpCard card = card_of(profile, dir);
        // C0 as clients read it: inside 6E (GnuPG), or alone where the card allows.
        const Answer related = get_data(card, 0x006E);
        REQUIRE(related.sw == 0x9000);
        const auto c0 = find(related.data, 0xC0);
        REQUIRE(c0.has_value());
        REQUIRE(c0->size() == 10);
        CHECK(std::equal(c0->begin(), c0->end(), profile.extended_capabilities.begin()));
        const Answer alone = get_data(card, 0x00C0);
        CHECK(alone.sw == (profile.c0_alone ? 0x9000 : 0x6A88));
        const bool flag = ((*c0)[0] & 0x08) != 0;
        CHECK(flag == (size > 0));
        if (profile.c0_layout_v3) {
            CHECK((((*c0)[6] << 8) | (*c0)[7]) == size);
        }
        // No private DOs: 0101-0104 are unknown objects.
        CHECK((get_data(card, 0x0101).sw == 0x6A88) == (size == 0));
    }
}

TEST_CASE("profiles: AID and 5F52 carry the profile's version - manufacturer and history") {
    TempDir dir;
    for (const CardProfile& profile : smk::cardsim::all_profiles()) {
        INFO("profile " << profile.name);
        OpenPgpCard card = card_of(profile, dir);
        const Answer aid = get_data(card, 0x004F);
        REQUIRE(aid.sw == 0x9000);
        REQUIRE(aid.data.size() == 16);
        CHECK(aid.data[6] == profile.version[0]);
        CHECK(aid.data[7] == profile.version[1]);
        CHECK(((aid.data[8] << 8) | aid.data[9]) == profile.manufacturer);
        CHECK(aid.data[10] == 0x5A);
        const Answer historical = get_data(card, 0x5F52);
        CHECK(std::equal(historical.data.begin(), historical.data.end(),
                         profile.historical_bytes.begin(), profile.historical_bytes.end()));
        const auto atr = card.atr();
        CHECK(std::equal(atr.begin(), atr.end(), profile.atr.begin(), profile.atr.end()));
    }
}

TEST_CASE("profiles: C4 at the factory - counters - PIN lengths and the unset resetting code") {
    TempDir dir;
    const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> expected = {
        {"generic", {0x00, 0x7F, 0x7F, 0x7F, 0x03, 0x00, 0x03}},
        {"yubikey5", {0x01, 0x7F, 0x7F, 0x7F, 0x03, 0x00, 0x03}},
        {"nitrokey3", {0x00, 0x7F, 0x7F, 0x7F, 0x03, 0x00, 0x03}},
        {"smartpgp", {0x00, 0x7F, 0x7F, 0x7F, 0x03, 0x00, 0x03}},
        {"gnuk", {0x00, 0x7F, 0x7F, 0x7F, 0x03, 0x03, 0x03}},
        {"pico-openpgp-4.6", {0x01, 0x7F, 0x7F, 0x7F, 0x03, 0x03, 0x03}}};
    for (const auto& [name, c4] : expected) {
        INFO("profile " << name);
        OpenPgpCard card = card_of(*smk::cardsim::find_profile(name), dir);
        const Answer status = get_data(card, 0x00C4);
        REQUIRE(status.sw == 0x9000);
        CHECK(status.data == c4);
        // A set resetting code shows its own counter on every profile.
        REQUIRE(verify(card, 0x83, "12345678") == 0x9000);
        const std::string rc = "87654321";
        std::vector<std::uint8_t> put = {0x00, 0xDA, 0x00, 0xD3, 0x08};
        put.insert(put.end(), rc.begin(), rc.end());
        REQUIRE(send(card, put).sw == 0x9000);
        CHECK(get_data(card, 0x00C4).data[5] == 0x03);
    }
}

TEST_CASE("profiles: 7F66 where the card has it - tagged on SmartPGP - absent on Gnuk") {
    TempDir dir;
    for (const CardProfile& profile : smk::cardsim::all_profiles()) {
        INFO("profile " << profile.name);
        OpenPgpCard card = card_of(profile, dir);
        const Answer info = get_data(card, 0x7F66);
        const auto related = get_data(card, 0x006E);
        const auto in_6e = find(related.data, 0x7F66);
        if (profile.extended_length_info.empty()) {
            CHECK(info.sw == 0x6A88);
            CHECK_FALSE(in_6e.has_value());
            continue;
        }
        REQUIRE(info.sw == 0x9000);
        std::vector<std::uint8_t> value(profile.extended_length_info.begin(),
                                        profile.extended_length_info.end());
        if (profile.extended_length_info_tagged) {
            value.insert(value.begin(), {0x7F, 0x66, static_cast<std::uint8_t>(value.size())});
        }
        CHECK(info.data == value);
        CHECK(in_6e.has_value() == profile.extended_length_info_in_6e);
    }
}

TEST_CASE("profiles: DO 0103 opens with VERIFY 82 - never 81 alone - and PW3 only on pico") {
    TempDir dir;
    for (const CardProfile& profile : smk::cardsim::all_profiles()) {
        if (smk::cardsim::announced_private_do_size(profile) == 0) {
            continue;
        }
        INFO("profile " << profile.name);
        OpenPgpCard card = card_of(profile, dir);
        REQUIRE(verify(card, 0x81, "123456") == 0x9000);
        CHECK(get_data(card, 0x0103).sw == 0x6982);
        CHECK(send(card, {0x00, 0xDA, 0x01, 0x03, 0x01, 0x42}).sw == 0x6982);
        REQUIRE(verify(card, 0x83, "12345678") == 0x9000);
        const bool admin_opens =
            profile.private_do_access == smk::cardsim::PrivateDoAccess::pw1_mode_82_or_pw3;
        CHECK(admin_opens == (profile.name == "pico-openpgp-4.6"));
        CHECK(get_data(card, 0x0103).sw == (admin_opens ? 0x9000 : 0x6982));
        REQUIRE(verify(card, 0x82, "123456") == 0x9000);
        CHECK(send(card, {0x00, 0xDA, 0x01, 0x03, 0x01, 0x42}).sw == 0x9000);
        CHECK(get_data(card, 0x0103).data == std::vector<std::uint8_t>{0x42});
    }
}

TEST_CASE("profiles: nitrokey3 stores a 4096-byte DO 0103 in one extended APDU - not 4097") {
    TempDir dir;
    OpenPgpCard card = card_of(*smk::cardsim::find_profile("nitrokey3"), dir);
    REQUIRE(verify(card, 0x82, "123456") == 0x9000);
    const auto put_of = [](std::size_t n) {
        std::vector<std::uint8_t> apdu = {0x00,
                                          0xDA,
                                          0x01,
                                          0x03,
                                          0x00,
                                          static_cast<std::uint8_t>(n >> 8),
                                          static_cast<std::uint8_t>(n & 0xFF)};
        apdu.insert(apdu.end(), n, 0x5A);
        return apdu;
    };
    CHECK(send(card, put_of(4097)).sw == 0x6700);
    CHECK(send(card, put_of(4096)).sw == 0x9000);
    const Answer back = send(card, {0x00, 0xCA, 0x01, 0x03, 0x00, 0x00, 0x00});
    CHECK(back.sw == 0x9000);
    CHECK(back.data.size() == 4096);
}

TEST_CASE("profiles: C1-C3 say RSA 2048 as each card does - the authentication key on every card") {
    TempDir dir;
    const std::vector<std::uint8_t> generate = {0x00, 0x47, 0x80, 0x00, 0x00, 0x00,
                                                0x02, 0xA4, 0x00, 0x00, 0x00};
    std::vector<std::uint8_t> authenticate = {0x00, 0x88, 0x00, 0x00, 51};
    authenticate.insert(authenticate.end(), 51, 0x5A);
    authenticate.push_back(0x00);
    for (const CardProfile& profile : smk::cardsim::all_profiles()) {
        INFO("profile " << profile.name);
        OpenPgpCard card = card_of(profile, dir);
        const std::vector<std::uint8_t> attributes(profile.algorithm_attributes.begin(),
                                                   profile.algorithm_attributes.end());
        // RSA (01), 2048-bit modulus, a 17- or 32-bit exponent field, any import format.
        CHECK(attributes[0] == 0x01);
        CHECK(attributes[1] == 0x08);
        CHECK(attributes[2] == 0x00);
        CHECK((attributes[4] == 0x11 || attributes[4] == 0x20));
        for (const std::uint16_t tag : std::array<std::uint16_t, 3>{0x00C1, 0x00C2, 0x00C3}) {
            CHECK(get_data(card, tag).data == attributes);
            CHECK(find(get_data(card, 0x006E).data, tag) == attributes);
        }

        CHECK(send(card, generate).sw == 0x6982);  // PW3 first, on every card
        REQUIRE(verify(card, 0x83, "12345678") == 0x9000);
        const Answer key = send(card, generate);
        REQUIRE(key.sw == 0x9000);
        CHECK(key.data.size() > 256);  // 7F49 {81 (256 bytes) 82 (3 bytes)}
        // INTERNAL AUTHENTICATE after VERIFY 83 alone: only pico-openpgp signs.
        const bool admin_signs = profile.internal_authenticate_with_pw3;
        CHECK(admin_signs == (profile.name == "pico-openpgp-4.6"));
        CHECK(send(card, authenticate).sw == (admin_signs ? 0x9000 : 0x6982));
        REQUIRE(verify(card, 0x82, "123456") == 0x9000);
        const Answer signature = send(card, authenticate);
        CHECK(signature.sw == 0x9000);
        CHECK(signature.data.size() == 256);
    }
}
