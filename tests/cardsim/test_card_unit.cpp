// In-process tests of the emulator's parts (no PC/SC): APDU parsing, the state
// file and its errors, and the card options (--no-private-dos, --private-do-size).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "apdu.hpp"
#include "card_state.hpp"
#include "openpgp_card.hpp"
#include "smk/error.hpp"
#include "support/temp_dir.hpp"

namespace {

using smk_test::TempDir;

std::uint16_t sw_of(smk::cardsim::OpenPgpCard& card, std::vector<std::uint8_t> apdu) {
    const smk::Secret r = card.process(apdu);
    return static_cast<std::uint16_t>((r.data()[r.size() - 2] << 8) | r.data()[r.size() - 1]);
}

}  // namespace

TEST_CASE("parse_command: short and extended cases - inconsistent lengths rejected") {
    using smk::cardsim::parse_command;
    const std::vector<std::uint8_t> case4 = {0x00, 0xDA, 0x01, 0x03, 0x02, 0xAA, 0xBB, 0x00};
    const auto c4 = parse_command(case4);
    REQUIRE(c4.has_value());
    CHECK(c4->data.size() == 2);
    CHECK(c4->ne == 256);
    const std::vector<std::uint8_t> ext = {0x00, 0xCA, 0x01, 0x03, 0x00, 0x00, 0x00};
    REQUIRE(parse_command(ext).has_value());
    CHECK(parse_command(ext)->ne == 65536);
    CHECK_FALSE(parse_command(std::vector<std::uint8_t>{0x00, 0xCA, 0x00}).has_value());
    CHECK_FALSE(
        parse_command(std::vector<std::uint8_t>{0x00, 0xDA, 0x01, 0x03, 0x05, 0x01}).has_value());
    CHECK_FALSE(
        parse_command(std::vector<std::uint8_t>{0x00, 0xDA, 0x01, 0x03, 0x00, 0x00, 0x02, 0x01})
            .has_value());
}

TEST_CASE("state file: round trip keeps PINs - counters and DOs - written 0600") {
    TempDir dir;
    const auto file = dir.path() / "card.state";
    auto state = smk::cardsim::CardState::factory(smk::cardsim::parse_serial("0000A00B"));
    state.pw1.tries = 1;
    state.objects.emplace(0x0103, smk::Secret::copy_of(std::vector<std::uint8_t>{1, 2, 3}));
    smk::cardsim::save_state(file, state);
    CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::group_all) ==
          std::filesystem::perms::none);
    const auto loaded = smk::cardsim::load_state(file);
    REQUIRE(loaded.has_value());
    CHECK(loaded->serial == state.serial);
    CHECK(loaded->pw1.tries == 1);
    CHECK(loaded->pw1.value.text() == "123456");
    CHECK(loaded->rc.value.empty());
    REQUIRE(loaded->objects.count(0x0103) == 1);
    CHECK(loaded->objects.at(0x0103).size() == 3);
    CHECK_FALSE(smk::cardsim::load_state(dir.path() / "absent").has_value());
    // Only the state file remains: no temporary left behind.
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator{}) == 1);
}

TEST_CASE(
    "state file: a foreign - corrupt or unknown line is an error naming file and line - not the "
    "PIN") {
    TempDir dir;
    const auto file = dir.path() / "card.state";
    std::ofstream(file) << "something else\n";
    CHECK_THROWS_AS((void)smk::cardsim::load_state(file), smk::Error);
    std::ofstream(file) << "smk-cardsim-state 1\nserial 0000A00B\npin pw1 31323334353G 3\n";
    try {
        (void)smk::cardsim::load_state(file);
        FAIL("a corrupt PIN line was accepted");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        CHECK(std::string(e.what()).find("line 3") != std::string::npos);
        CHECK(std::string(e.what()).find("31323334353G") == std::string::npos);
    }
    std::ofstream(file) << "smk-cardsim-state 1\nflavour vanilla\n";
    CHECK_THROWS_AS((void)smk::cardsim::load_state(file), smk::Error);
    std::ofstream(file) << "smk-cardsim-state 1\npin pw1 313233343536 7\n";
    CHECK_THROWS_AS((void)smk::cardsim::load_state(file), smk::Error);
    CHECK_THROWS_AS((void)smk::cardsim::parse_serial("12345"), smk::Error);
    CHECK_THROWS_AS((void)smk::cardsim::parse_serial("1234567X"), smk::Error);
}

TEST_CASE("--no-private-dos and --private-do-size: C0 announces them - PUT/GET DATA enforce them") {
    TempDir dir;
    const auto serial = smk::cardsim::parse_serial("0000A00C");
    smk::cardsim::CardConfig none{false, 255};
    smk::cardsim::OpenPgpCard gnuk_like(none, smk::cardsim::CardState::factory(serial),
                                        dir.path() / "a.state");
    CHECK(sw_of(gnuk_like, {0x00, 0x20, 0x00, 0x82, 0x06, '1', '2', '3', '4', '5', '6'}) == 0x9000);
    CHECK(sw_of(gnuk_like, {0x00, 0xDA, 0x01, 0x03, 0x01, 0x01}) == 0x6A88);
    CHECK(sw_of(gnuk_like, {0x00, 0xCA, 0x01, 0x01, 0x00}) == 0x6A88);
    const smk::Secret c0 =
        gnuk_like.process(std::vector<std::uint8_t>{0x00, 0xCA, 0x00, 0xC0, 0x00});
    REQUIRE(c0.size() == 12);
    CHECK((c0.data()[0] & 0x08) == 0);

    smk::cardsim::CardConfig small{true, 16};
    smk::cardsim::OpenPgpCard tiny(small, smk::cardsim::CardState::factory(serial),
                                   dir.path() / "b.state");
    const smk::Secret c0b = tiny.process(std::vector<std::uint8_t>{0x00, 0xCA, 0x00, 0xC0, 0x00});
    CHECK(c0b.data()[6] == 0x00);
    CHECK(c0b.data()[7] == 0x10);
    CHECK(sw_of(tiny, {0x00, 0x20, 0x00, 0x82, 0x06, '1', '2', '3', '4', '5', '6'}) == 0x9000);
    std::vector<std::uint8_t> put = {0x00, 0xDA, 0x01, 0x03, 0x11};
    put.insert(put.end(), 17, 0x33);
    CHECK(sw_of(tiny, put) == 0x6700);
    put[4] = 0x10;
    put.pop_back();
    CHECK(sw_of(tiny, put) == 0x9000);
    tiny.power_event();  // power off: PW1 must be verified again
    CHECK(sw_of(tiny, {0x00, 0xCA, 0x01, 0x03, 0x00}) == 0x6982);
}

TEST_CASE(
    "--no-verify-reset: VERIFY P1=FF answers 6A86 and the PIN stays verified until power off") {
    TempDir dir;
    const auto serial = smk::cardsim::parse_serial("0000A00D");
    const std::vector<std::uint8_t> verify82 = {0x00, 0x20, 0x00, 0x82, 0x06, '1',
                                                '2',  '3',  '4',  '5',  '6'};
    const std::vector<std::uint8_t> get0103 = {0x00, 0xCA, 0x01, 0x03, 0x00};

    smk::cardsim::CardConfig v2;
    v2.verify_reset = false;
    smk::cardsim::OpenPgpCard old_card(v2, smk::cardsim::CardState::factory(serial),
                                       dir.path() / "v2.state");
    REQUIRE(sw_of(old_card, verify82) == 0x9000);
    CHECK(sw_of(old_card, {0x00, 0x20, 0xFF, 0x82}) == 0x6A86);
    CHECK(sw_of(old_card, {0x00, 0x20, 0xFF, 0x83}) == 0x6A86);
    CHECK(sw_of(old_card, get0103) == 0x9000);                   // still open
    CHECK(sw_of(old_card, {0x00, 0x20, 0x00, 0x82}) == 0x9000);  // status: verified
    old_card.power_event();                                      // a reset is what closes it
    CHECK(sw_of(old_card, get0103) == 0x6982);

    // The default (3.x): P1=FF closes the PIN at once.
    smk::cardsim::OpenPgpCard new_card({}, smk::cardsim::CardState::factory(serial),
                                       dir.path() / "v3.state");
    REQUIRE(sw_of(new_card, verify82) == 0x9000);
    CHECK(sw_of(new_card, {0x00, 0x20, 0xFF, 0x82}) == 0x9000);
    CHECK(sw_of(new_card, get0103) == 0x6982);
}
