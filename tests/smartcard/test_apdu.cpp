// APDU building, status words, ATR capabilities and the exchange rules
// (61xx GET RESPONSE, 6Cxx resend, chaining, extended length, T=0), replayed
// against canned card answers.

#include <doctest/doctest.h>

#include <string>

#include "apdu.hpp"
#include "fake_transport.hpp"
#include "smk/error.hpp"

namespace {

using smk::card::Command;
using smk_test::Bytes;
using smk_test::FakeTransport;
using smk_test::hex_bytes;
using smk_test::hex_of;
using smk_test::script;

std::string built(const Command& command, std::size_t le, bool extended) {
    const smk::Secret apdu = smk::card::build_apdu(command, le, extended);
    return hex_of(apdu.bytes());
}

}  // namespace

TEST_CASE("apdu: status words have readable text") {
    CHECK(smk::card::StatusWord{0x6982}.text() ==
          "6982 security status not satisfied (PIN not verified)");
    CHECK(smk::card::StatusWord{0x63C2}.text() == "63C2 verification failed, 2 tries left");
    CHECK(smk::card::StatusWord{0x6A82}.text() == "6A82 file or application not found");
    CHECK(smk::card::StatusWord{0x6983}.text() ==
          "6983 authentication method blocked (PIN blocked)");
    CHECK(smk::card::StatusWord{0x9000}.ok());
    CHECK_FALSE(smk::card::StatusWord{0x6100}.ok());
    CHECK(smk::card::StatusWord{0x1234}.text() == "1234 unknown status");
}

TEST_CASE("apdu: short and extended command encodings (cases 1 to 4)") {
    const Bytes data = {0x01, 0x02, 0x03};
    CHECK(built({0x00, 0xDA, 0x01, 0x03, {}, false}, 0, false) == "00DA0103");
    CHECK(built({0x00, 0xCA, 0x00, 0x4F, {}, true}, 256, false) == "00CA004F00");
    CHECK(built({0x00, 0xCA, 0x00, 0x4F, {}, true}, 16, false) == "00CA004F10");
    CHECK(built({0x00, 0xDA, 0x01, 0x03, data, false}, 0, false) == "00DA010303010203");
    CHECK(built({0x00, 0xA4, 0x04, 0x00, data, true}, 256, false) == "00A404000301020300");
    // Extended form only where needed.
    CHECK(built({0x00, 0xCA, 0x00, 0x4F, {}, true}, 65536, true) == "00CA004F000000");
    CHECK(built({0x00, 0xCA, 0x00, 0x4F, {}, true}, 256, true) == "00CA004F00");
    const Bytes long_data(300, 0xAB);
    const std::string ext = built({0x00, 0xDA, 0x01, 0x03, long_data, false}, 0, true);
    CHECK(ext.substr(0, 14) == "00DA010300012C");
    CHECK(ext.size() == (7 + 300) * 2);
    CHECK(built({0x00, 0xDA, 0x01, 0x03, long_data, true}, 1000, true).substr(614) == "03E8");
    CHECK_THROWS_AS((void)built({0x00, 0xDA, 0x01, 0x03, long_data, false}, 0, false), smk::Error);
}

TEST_CASE("apdu: card capabilities from the ATR's historical bytes") {
    // Gnuk: card capabilities 73 80 01 80 -> command chaining, no extended length.
    const Bytes gnuk = hex_bytes("3BDA11FF81B1FE551F0300318473800180009000E4");
    const auto g = smk::card::capabilities_from_atr(gnuk);
    CHECK(g.chaining);
    CHECK_FALSE(g.extended_length);
    // OpenPGP card 2.x: 73 C0 01 40 -> extended length, no chaining.
    const Bytes v2 = hex_bytes("3BDA18FF81B1FE751F030031C573C001400090000C");
    const auto e = smk::card::capabilities_from_atr(v2);
    CHECK(e.extended_length);
    CHECK_FALSE(e.chaining);
    CHECK(e.max_command_data == 65535);
    // Not compact-TLV historical bytes, or none, or a truncated ATR: short APDUs only.
    for (const auto* atr : {"3BF81300008131FE15597562696B657934D4", "3B00", "3BDA11", ""}) {
        const auto caps = smk::card::capabilities_from_atr(hex_bytes(atr));
        CHECK_FALSE(caps.chaining);
        CHECK_FALSE(caps.extended_length);
    }
}

TEST_CASE("apdu: 61xx answers are followed with GET RESPONSE and the data joined") {
    FakeTransport card(script({{"00CA006E00", "0102036104"},
                               {"00C0000004", "040506076102"},
                               {"00C0000002", "08099000"}}));
    const auto response = smk::card::exchange(card, {}, {0x00, 0xCA, 0x00, 0x6E, {}, true});
    CHECK(response.sw.ok());
    CHECK(hex_of(response.data.bytes()) == "010203040506070809");
    CHECK(card.all_used());
}

TEST_CASE("apdu: 6Cxx answers are resent with the Le the card asks for") {
    FakeTransport card(script({{"00CA00C400", "6C07"},
                               {"00CA00C407",
                                "00202020030003"
                                "9000"}}));
    const auto response = smk::card::exchange(card, {}, {0x00, 0xCA, 0x00, 0xC4, {}, true});
    CHECK(response.sw.ok());
    CHECK(response.data.size() == 7);
    CHECK(card.all_used());
}

TEST_CASE("apdu: a card that never stops asking for GET RESPONSE is an error") {
    std::vector<smk_test::Exchange> endless = {{hex_bytes("00CA006E00"), hex_bytes("AA6101")}};
    for (int i = 0; i < 64; ++i) {
        endless.push_back({hex_bytes("00C0000001"), hex_bytes("AA6101")});
    }
    FakeTransport card(endless);
    CHECK_THROWS_WITH_AS((void)smk::card::exchange(card, {}, {0x00, 0xCA, 0x00, 0x6E, {}, true}),
                         doctest::Contains("GET RESPONSE"), smk::Error);
}

TEST_CASE("apdu: a response shorter than a status word is a device error") {
    FakeTransport card(script({{"00CA004F00", "90"}}));
    try {
        (void)smk::card::exchange(card, {}, {0x00, 0xCA, 0x00, 0x4F, {}, true});
        FAIL("no error");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::device);
        CHECK(std::string(e.what()).find("too short") != std::string::npos);
    }
}

TEST_CASE("apdu: long data is chained with CLA bit 0x10 when the card announces chaining") {
    const Bytes data(300, 0x5A);
    std::string first = "10DA0103FF";
    std::string last = "00DA01032D";
    for (int i = 0; i < 255; ++i) {
        first += "5A";
    }
    for (int i = 0; i < 45; ++i) {
        last += "5A";
    }
    smk::card::CardCapabilities caps;
    caps.chaining = true;
    SUBCASE("both parts accepted") {
        FakeTransport card(script({{first, "9000"}, {last, "9000"}}));
        const auto response =
            smk::card::exchange(card, caps, {0x00, 0xDA, 0x01, 0x03, data, false});
        CHECK(response.sw.ok());
        CHECK(card.all_used());
    }
    SUBCASE("a refused first part stops the chain and its status is returned") {
        FakeTransport card(script({{first, "6884"}}));
        const auto response =
            smk::card::exchange(card, caps, {0x00, 0xDA, 0x01, 0x03, data, false});
        CHECK(response.sw.value == 0x6884);
        CHECK(card.all_used());
    }
    SUBCASE("without chaining or extended length the command is refused before sending") {
        FakeTransport card({});
        CHECK_THROWS_WITH_AS(
            (void)smk::card::exchange(card, {}, {0x00, 0xDA, 0x01, 0x03, data, false}),
            doctest::Contains("neither command chaining nor extended length"), smk::Error);
    }
}

TEST_CASE("apdu: extended length sends one APDU when the card announces it") {
    const Bytes data(300, 0x11);
    std::string command = "00DA010300012C";
    for (int i = 0; i < 300; ++i) {
        command += "11";
    }
    smk::card::CardCapabilities caps;
    caps.extended_length = true;
    caps.max_command_data = 1024;
    caps.max_response_data = 1024;
    FakeTransport card(script({{command, "9000"}}));
    const auto response = smk::card::exchange(card, caps, {0x00, 0xDA, 0x01, 0x03, data, false});
    CHECK(response.sw.ok());
    CHECK(card.all_used());
}

TEST_CASE("apdu: T=0 case 4 goes without Le and the 61xx answer is followed") {
    const Bytes aid = {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01};
    FakeTransport card(script({{"00A4040006D27600012401", "6102"}, {"00C0000002", "AABB9000"}}),
                       true);
    const auto response = smk::card::exchange(card, {}, {0x00, 0xA4, 0x04, 0x00, aid, true});
    CHECK(response.sw.ok());
    CHECK(hex_of(response.data.bytes()) == "AABB");
    CHECK(card.all_used());
}
