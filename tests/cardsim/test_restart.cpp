// Card removal and emulator restart (card 1 of the `pcsc` fixture): the state
// file keeps PINs, counters and DOs; verification does not survive.
#include <doctest/doctest.h>

#include "pcsc_helpers.hpp"

namespace {
constexpr int kCard = 1;
}

TEST_CASE("card state survives removal and an emulator restart - verification does not") {
    smk::test::PcscEnv env;
    const std::string script = smk::test::pcsc_env_script();
    const std::string dir = env.state_dir();
    {
        smk::test::CardConnection card(env.reader(kCard));
        smk::test::factory_reset(card);
        REQUIRE(card.sw("00 20 00 82 06 31 32 33 34 35 36") == 0x9000);
        REQUIRE(card.sw("00 DA 01 03 05 68 65 6C 6C 6F") == 0x9000);
        REQUIRE(card.sw("00 24 00 81 0C 31 32 33 34 35 36 36 35 34 33 32 31") == 0x9000);
        REQUIRE(card.sw("00 20 00 83 08 39 39 39 39 39 39 39 39") == 0x63C2);
    }
    const auto stop = smk::test::run(script + " card-stop '" + dir + "' 1");
    REQUIRE_MESSAGE(stop.status == 0, stop.output);
    const auto listed = smk::test::run("opensc-tool -l");
    CHECK_MESSAGE(
        smk::test::reader_line(listed.output, env.reader(kCard)).find(" No ") != std::string::npos,
        listed.output);
    const auto start = smk::test::run(script + " card-start '" + dir + "' 1");
    REQUIRE_MESSAGE(start.status == 0, start.output);

    smk::test::CardConnection card(env.reader(kCard));
    CHECK(card.sw("00 A4 04 00 06 D2 76 00 01 24 01") == 0x9000);
    CHECK(card.sw("00 CA 01 03 00") == 0x6982);          // verification was lost with the power
    CHECK(card.send("00 CA 00 C4 00").data.at(6) == 2);  // the PW3 counter was kept
    CHECK(card.sw("00 20 00 82 06 36 35 34 33 32 31") == 0x9000);  // the changed PIN was kept
    const auto back = card.send("00 CA 01 03 00");
    CHECK(back.sw == 0x9000);
    CHECK(back.data == smk::test::from_hex("68 65 6C 6C 6F"));
    CHECK(card.send("00 CA 00 4F 00").data ==
          smk::test::from_hex("D2 76 00 01 24 01 03 04 FF FF " + env.serial(kCard) + " 00 00"));
}
