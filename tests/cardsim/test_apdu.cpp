// APDU-level behaviour of smk-cardsim through the real pcscd + vpcd stack
// (card 0 of the `pcsc` fixture; each test starts from a factory reset).
#include <doctest/doctest.h>

#include "pcsc_helpers.hpp"

namespace {

constexpr int kCard = 0;
const std::string kSelect = "00 A4 04 00 06 D2 76 00 01 24 01";
const std::string kVerifyPw1Right = "00 20 00 82 06 31 32 33 34 35 36";
const std::string kVerifyPw1Wrong = "00 20 00 82 06 39 39 39 39 39 39";
const std::string kVerifyPw3Right = "00 20 00 83 08 31 32 33 34 35 36 37 38";

std::uint8_t pw1_tries(smk::test::CardConnection& card) {
    const auto r = card.send("00 CA 00 C4 00");
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data.size() == 7);
    return r.data[4];
}

}  // namespace

TEST_CASE("SELECT and GET DATA 4F/6E carry the AID with this card's serial") {
    smk::test::PcscEnv env;
    smk::test::CardConnection card(env.reader(kCard));
    smk::test::factory_reset(card);
    CHECK(card.sw(kSelect) == 0x9000);
    CHECK(card.sw("00 A4 04 00 10 D2 76 00 01 24 01 03 04 FF FF " + env.serial(kCard) + " 00 00") ==
          0x9000);
    CHECK(card.sw("00 A4 04 00 06 D2 76 00 01 24 02") == 0x6A82);
    const auto aid =
        smk::test::from_hex("D2 76 00 01 24 01 03 04 FF FF " + env.serial(kCard) + " 00 00");
    const auto r4f = card.send("00 CA 00 4F 00");
    CHECK(r4f.sw == 0x9000);
    CHECK(r4f.data == aid);
    const auto r6e = card.send("00 CA 00 6E 00");
    CHECK(r6e.sw == 0x9000);
    CHECK(smk::test::contains(r6e.data, smk::test::from_hex("4F 10")));
    CHECK(smk::test::contains(r6e.data, aid));
    // Extended capabilities: private DOs announced (0x08) with 255 bytes each.
    const auto c0 = card.send("00 CA 00 C0 00");
    REQUIRE(c0.data.size() == 10);
    CHECK((c0.data[0] & 0x08) != 0);
    CHECK(c0.data[6] == 0x00);
    CHECK(c0.data[7] == 0xFF);
}

TEST_CASE(
    "VERIFY counts down - blocks after three wrong PINs - RESET RETRY COUNTER by PW3 unblocks") {
    smk::test::PcscEnv env;
    smk::test::CardConnection card(env.reader(kCard));
    smk::test::factory_reset(card);
    CHECK(card.sw("00 20 00 82") == 0x63C3);  // status query, not verified yet
    CHECK(card.sw(kVerifyPw1Wrong) == 0x63C2);
    CHECK(card.sw(kVerifyPw1Wrong) == 0x63C1);
    CHECK(pw1_tries(card) == 1);
    CHECK(card.sw(kVerifyPw1Right) == 0x9000);
    CHECK(pw1_tries(card) == 3);
    CHECK(card.sw("00 20 00 82") == 0x9000);  // status query: verified
    CHECK(card.sw(kVerifyPw1Wrong) == 0x63C2);
    CHECK(card.sw(kVerifyPw1Wrong) == 0x63C1);
    CHECK(card.sw(kVerifyPw1Wrong) == 0x63C0);
    CHECK(card.sw(kVerifyPw1Right) == 0x6983);  // blocked: even the right PIN
    CHECK(card.sw("00 20 00 82") == 0x6983);
    CHECK(pw1_tries(card) == 0);
    CHECK(card.sw("00 2C 02 81 06 31 32 33 34 35 36") == 0x6982);  // without PW3
    CHECK(card.sw(kVerifyPw3Right) == 0x9000);
    CHECK(card.sw("00 2C 02 81 03 31 32 33") == 0x6A80);  // new PIN too short
    CHECK(card.sw("00 2C 02 81 06 31 32 33 34 35 36") == 0x9000);
    CHECK(pw1_tries(card) == 3);
    CHECK(card.sw(kVerifyPw1Right) == 0x9000);
}

TEST_CASE(
    "resetting code: set with PW3 - then RESET RETRY COUNTER with it - wrong code counts down") {
    smk::test::PcscEnv env;
    smk::test::CardConnection card(env.reader(kCard));
    smk::test::factory_reset(card);
    CHECK(card.sw("00 2C 00 81 0E 41 41 41 41 41 41 41 41 31 32 33 34 35 36") ==
          0x6982);                                                       // no RC set
    CHECK(card.sw("00 DA 00 D3 08 41 41 41 41 41 41 41 41") == 0x6982);  // needs PW3
    CHECK(card.sw(kVerifyPw3Right) == 0x9000);
    CHECK(card.sw("00 DA 00 D3 08 41 41 41 41 41 41 41 41") == 0x9000);
    CHECK(card.send("00 CA 00 C4 00").data.at(5) == 3);
    CHECK(card.sw("00 2C 00 81 0E 42 42 42 42 42 42 42 42 37 37 37 37 37 37") == 0x63C2);
    CHECK(card.sw("00 2C 00 81 0E 41 41 41 41 41 41 41 41 37 37 37 37 37 37") == 0x9000);
    CHECK(card.sw("00 20 00 82 06 37 37 37 37 37 37") == 0x9000);
    CHECK(card.sw(kVerifyPw1Right) == 0x63C2);
}

TEST_CASE("CHANGE REFERENCE DATA: old PIN checked and counted - new PIN length enforced") {
    smk::test::PcscEnv env;
    smk::test::CardConnection card(env.reader(kCard));
    smk::test::factory_reset(card);
    CHECK(card.sw("00 24 00 81 0C 39 39 39 39 39 39 36 35 34 33 32 31") == 0x63C2);
    CHECK(card.sw("00 24 00 81 09 31 32 33 34 35 36 36 35 34") == 0x6A80);
    CHECK(card.sw("00 24 00 81 0C 31 32 33 34 35 36 36 35 34 33 32 31") == 0x9000);
    CHECK(card.sw(kVerifyPw1Right) == 0x63C2);
    CHECK(card.sw("00 20 00 82 06 36 35 34 33 32 31") == 0x9000);
}

TEST_CASE(
    "private DO 0103: PUT and GET need PW1 (82) - round trip - too long refused - 0102/0104 need "
    "PW3") {
    smk::test::PcscEnv env;
    smk::test::CardConnection card(env.reader(kCard));
    smk::test::factory_reset(card);
    CHECK(card.sw("00 DA 01 03 03 41 42 43") == 0x6982);
    CHECK(card.sw("00 CA 01 03 00") == 0x6982);
    CHECK(card.sw("00 20 00 81 06 31 32 33 34 35 36") == 0x9000);  // PW1 for signing is not enough
    CHECK(card.sw("00 DA 01 03 03 41 42 43") == 0x6982);
    CHECK(card.sw(kVerifyPw1Right) == 0x9000);
    CHECK(card.sw("00 DA 01 03 03 41 42 43") == 0x9000);
    const auto back = card.send("00 CA 01 03 00");
    CHECK(back.sw == 0x9000);
    CHECK(back.data == smk::test::from_hex("41 42 43"));
    // 255 bytes fit, 256 (extended Lc) do not; the stored value is unchanged.
    std::vector<std::uint8_t> put = {0x00, 0xDA, 0x01, 0x03, 0xFF};
    put.insert(put.end(), 255, 0x5A);
    CHECK(card.transmit(put).sw == 0x9000);
    CHECK(card.send("00 CA 01 03 00").data.size() == 255);
    std::vector<std::uint8_t> too_long = {0x00, 0xDA, 0x01, 0x03, 0x00, 0x01, 0x00};
    too_long.insert(too_long.end(), 256, 0xA5);
    CHECK(card.transmit(too_long).sw == 0x6700);
    CHECK(card.send("00 CA 01 03 00").data == std::vector<std::uint8_t>(255, 0x5A));
    // 0101 is readable by anyone; 0102 and 0104 need PW3.
    CHECK(card.sw("00 DA 01 01 01 11") == 0x9000);
    CHECK(card.sw("00 DA 01 02 01 22") == 0x6982);
    CHECK(card.sw("00 CA 01 04 00") == 0x6982);
    CHECK(card.sw(kVerifyPw3Right) == 0x9000);
    CHECK(card.sw("00 DA 01 02 01 22") == 0x9000);
    CHECK(card.sw("00 DA 01 04 01 44") == 0x9000);
    CHECK(card.send("00 CA 01 04 00").data == smk::test::from_hex("44"));
    // Power cycle (reset) forgets verification.
}

TEST_CASE(
    "unsupported instructions - data objects - classes and malformed APDUs get their status "
    "words") {
    smk::test::PcscEnv env;
    smk::test::CardConnection card(env.reader(kCard));
    smk::test::factory_reset(card);
    CHECK(card.sw("00 47 81 00 02 B6 00 00") == 0x6A88);  // read mode: no public key stored
    CHECK(card.sw("00 47 80 00 02 B6 00 00") == 0x6A81);  // generation: authentication slot only
    CHECK(card.sw("00 2A 9E 9A 01 00 00") == 0x6D00);     // PSO
    CHECK(card.sw("00 CA 01 05 00") == 0x6A88);
    CHECK(card.sw("00 CA 00 F9 00") == 0x6A88);
    // A key fingerprint needs PW3 (test_card_keys.cpp writes one).
    CHECK(card.sw("00 DA 00 C7 14 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00") ==
          0x6982);
    CHECK(card.sw("80 CA 00 6E 00") == 0x6E00);
    CHECK(card.sw("00 CA 00 6E 05 01") == 0x6700);  // Lc says 5, one byte follows
    CHECK(card.sw("00 20 00 84 06 31 32 33 34 35 36") == 0x6A86);
    CHECK(card.sw("00 E6 00 00") == 0x6982);  // TERMINATE DF without PW3
    const auto challenge = card.send("00 84 00 00 10");
    CHECK(challenge.sw == 0x9000);
    CHECK(challenge.data.size() == 16);
}

TEST_CASE("command chaining and GET RESPONSE carry data longer than one short APDU") {
    smk::test::PcscEnv env;
    smk::test::CardConnection card(env.reader(kCard));
    smk::test::factory_reset(card);
    REQUIRE(card.sw(kVerifyPw1Right) == 0x9000);
    std::vector<std::uint8_t> first = {0x10, 0xDA, 0x01, 0x01, 0x80};
    first.insert(first.end(), 128, 0x01);
    std::vector<std::uint8_t> last = {0x00, 0xDA, 0x01, 0x01, 0x7F};
    last.insert(last.end(), 127, 0x02);
    CHECK(card.transmit(first).sw == 0x9000);
    CHECK(card.transmit(last).sw == 0x9000);
    const auto head = card.send("00 CA 01 01 10");  // Le 16: the rest comes with GET RESPONSE
    CHECK(head.sw == 0x61EF);
    CHECK(head.data.size() == 16);
    const auto rest = card.send("00 C0 00 00 EF");
    CHECK(rest.sw == 0x9000);
    CHECK(rest.data.size() == 239);
    CHECK(rest.data.back() == 0x02);
}
