// Independent clients against smk-cardsim: pcsc-tools, OpenSC and GnuPG see
// the emulated cards of the `pcsc` fixture and read what the others wrote.
#include <doctest/doctest.h>

#include <cstdlib>

#include "pcsc_helpers.hpp"
#include "support/gnupg_home.hpp"

namespace {

constexpr int kCard = 0;

using smk_test::GnupgHome;  // tests/support/gnupg_home.hpp

}  // namespace

TEST_CASE("opensc-tool -l and pcsc_scan -r list the fixture's readers with cards in them") {
    smk::test::PcscEnv env;
    const auto listed = smk::test::run("opensc-tool -l");
    REQUIRE_MESSAGE(listed.status == 0, listed.output);
    const int cards = std::atoi(env.get("SMK_PCSC_CARDS").c_str());
    for (int i = 0; i < cards; ++i) {
        const std::string line = smk::test::reader_line(listed.output, env.reader(i));
        CHECK_MESSAGE(line.find(" Yes ") != std::string::npos, "card " << i << " missing:\n"
                                                                       << listed.output);
    }
    const auto scan = smk::test::run("timeout 10 pcsc_scan -r");
    CHECK_MESSAGE(scan.output.find(env.reader(0)) != std::string::npos, scan.output);
    CHECK_MESSAGE(scan.output.find(env.reader(1)) != std::string::npos, scan.output);
}

TEST_CASE(
    "gpg --card-status shows the emulated card: OpenPGP 3.4 - test card - its serial - PIN "
    "counters") {
    smk::test::PcscEnv env;
    {
        smk::test::CardConnection card(env.reader(kCard));
        smk::test::factory_reset(card);
    }
    GnupgHome home(env.reader(kCard));
    const auto status = smk::test::run(home.prefix() + "gpg --batch --card-status");
    REQUIRE_MESSAGE(status.status == 0, status.output);
    CHECK_MESSAGE(
        status.output.find("Serial number ....: " + env.serial(kCard)) != std::string::npos,
        status.output);
    CHECK(status.output.find("Version ..........: 3.4") != std::string::npos);
    CHECK(status.output.find("Manufacturer .....: test card") != std::string::npos);
    CHECK(status.output.find("PIN retry counter : 3 0 3") != std::string::npos);
}

TEST_CASE("openpgp-tool reads DO 0103 that a PUT DATA wrote - a wrong PIN makes it fail") {
    smk::test::PcscEnv env;
    {
        smk::test::CardConnection card(env.reader(kCard));
        smk::test::factory_reset(card);
        REQUIRE(card.sw("00 20 00 82 06 31 32 33 34 35 36") == 0x9000);
        REQUIRE(card.sw("00 DA 01 03 0B 73 68 61 72 65 2D 74 68 72 65 65") ==
                0x9000);  // "share-three"
    }
    const std::string tool = "openpgp-tool -r '" + env.reader(kCard) + "'";
    const auto read = smk::test::run(tool + " --verify CHV2 --pin 123456 --do 3");
    CHECK_MESSAGE(read.status == 0, read.output);
    CHECK_MESSAGE(read.output.find("share-three") != std::string::npos, read.output);
    const auto wrong = smk::test::run(tool + " --verify CHV2 --pin 999999 --do 3");
    CHECK_MESSAGE(wrong.output.find("share-three") == std::string::npos, wrong.output);
    smk::test::CardConnection card(env.reader(kCard));
    CHECK(card.send("00 CA 00 C4 00").data.at(4) == 2);  // the wrong PIN was counted
}

TEST_CASE("GnuPG writes PRIVATE-DO-2 (Admin PIN via pinentry) and GET DATA reads it back") {
    smk::test::PcscEnv env;
    {
        smk::test::CardConnection card(env.reader(kCard));
        smk::test::factory_reset(card);
    }
    {
        GnupgHome home(env.reader(kCard));
        const auto set = smk::test::run(
            home.prefix() +
            "gpg-connect-agent 'SCD SERIALNO' 'SCD SETATTR PRIVATE-DO-2 from%20gnupg' /bye");
        CHECK_MESSAGE(set.output.find("ERR") == std::string::npos, set.output);
        // GnuPG 2.2.40 verifies only PW1 (81) for PRIVATE-DO-3 on a card without
        // keys; the emulator, like the spec and SmartPGP, wants PW1 (82): the write
        // is refused. With a decryption key GnuPG sends 82 and the write works
        // (tests/smartcard/test_card_gnupg.cpp, docs/CARDSIM.md).
        const auto set3 = smk::test::run(
            home.prefix() + "gpg-connect-agent 'SCD SETATTR PRIVATE-DO-3 from%20gnupg' /bye");
        CHECK_MESSAGE(set3.output.find("ERR") != std::string::npos, set3.output);
    }
    smk::test::CardConnection card(env.reader(kCard));
    REQUIRE(card.sw("00 A4 04 00 06 D2 76 00 01 24 01") == 0x9000);
    const auto back = card.send("00 CA 01 02 00");
    CHECK(back.sw == 0x9000);
    CHECK(back.data == smk::test::from_hex("66 72 6F 6D 20 67 6E 75 70 67"));  // "from gnupg"
    CHECK(card.send("00 CA 01 03 00").sw == 0x6982);
}
