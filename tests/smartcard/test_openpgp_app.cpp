// The OpenPGP application over canned answers: opening (SELECT, AID, C0, C4),
// "not an OpenPGP card", private DO capacity, and the PIN rules (tries left,
// last try, blocked) — checking which APDUs are sent and which are not.

#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "canned_card.hpp"
#include "fake_transport.hpp"
#include "openpgp.hpp"
#include "smk/error.hpp"

namespace {

using smk_test::FakeTransport;
using smk_test::script;

using smk_test::category_of;
using smk_test::has;
using smk_test::kAid;
using smk_test::kCaps;
using smk_test::kSelect;
using smk_test::pin;
using smk_test::pw_status;

}  // namespace

TEST_CASE("openpgp: opening reads the serial, the private DO size and the PIN tries") {
    FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003")}));
    smk::card::OpenPgpApp app(card, {}, "Virtual PCD 00 00");
    CHECK(app.serial() == "0005:0000001A");
    CHECK(app.label() == "card 0005:0000001A in \"Virtual PCD 00 00\"");
    CHECK(app.private_do_capacity() == 255);
    CHECK(card.all_used());
}

TEST_CASE("openpgp: C0 read from the application related data (6E) when not directly") {
    FakeTransport card(script({kSelect,
                               kAid,
                               {"00CA00C000", "6A88"},
                               {"00CA006E00",
                                "6E1A"
                                "4F10D27600012401030400050000001A0000"
                                "7306"
                                "C00408000040"
                                "9000"},
                               pw_status("030003")}));
    // C0 with fewer than 8 bytes is not enough to read the size: refused as unusable.
    std::string message;
    CHECK(category_of([&] { smk::card::OpenPgpApp app(card, {}, "R"); }, message) ==
          smk::ErrorCategory::device);
    CHECK(has(message, "Extended Capabilities"));

    FakeTransport card2(script({kSelect,
                                kAid,
                                {"00CA00C000", "6A88"},
                                {"00CA006E00",
                                 "6E1E"
                                 "4F10D27600012401030400050000001A0000"
                                 "730A"
                                 "C008"
                                 "0800000000000040"
                                 "9000"},
                                pw_status("030003")}));
    smk::card::OpenPgpApp app(card2, {}, "R");
    CHECK(app.private_do_capacity() == 64);
}

TEST_CASE("openpgp: a card without private DOs has capacity 0") {
    FakeTransport card(script({kSelect,
                               kAid,
                               {"00CA00C000",
                                "75000BFE080000FF0000"
                                "9000"},
                               pw_status("030003")}));
    smk::card::OpenPgpApp app(card, {}, "R");
    CHECK(app.private_do_capacity() == 0);
}

TEST_CASE("openpgp: SELECT refused means not an OpenPGP card") {
    FakeTransport card(script({{"00A4040006D2760001240100", "6A82"}}));
    std::string message;
    CHECK(category_of([&] { smk::card::OpenPgpApp app(card, {}, "Virtual PCD 00 01"); }, message) ==
          smk::ErrorCategory::device);
    CHECK(has(message, "the card in \"Virtual PCD 00 01\" is not an OpenPGP card"));
    CHECK(has(message, "6A82"));
}

TEST_CASE("openpgp: the PIN rules") {
    SUBCASE("right PIN: one VERIFY in mode 82 and the tries read once") {
        FakeTransport card(script(
            {kSelect, kAid, kCaps, pw_status("030003"), {"00200082063132333435 36", "9000"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        app.verify_pw1(pin("123456"), false);
        CHECK(card.all_used());
    }
    SUBCASE("wrong PIN: the tries left are shown and nothing is retried") {
        FakeTransport card(script(
            {kSelect, kAid, kCaps, pw_status("030003"), {"00200082063635343332 31", "63C2"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw1(pin("654321"), false); }, message) ==
              smk::ErrorCategory::verification);
        CHECK(has(message, "wrong user PIN"));
        CHECK(has(message, "2 tries left"));
        CHECK(has(message, "does not retry"));
        CHECK(card.all_used());
    }
    SUBCASE("wrong PIN answered 6300 (no counter): the tries come from C4") {
        FakeTransport card(script({kSelect,
                                   kAid,
                                   kCaps,
                                   pw_status("030003"),
                                   {"00200082063635343332 31", "6300"},
                                   pw_status("010003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw1(pin("654321"), true); }, message) ==
              smk::ErrorCategory::verification);
        CHECK(has(message, "1 try left"));
        CHECK(card.all_used());
    }
    SUBCASE("one try left: refused without sending VERIFY unless allowed") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("010003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw1(pin("123456"), false); }, message) ==
              smk::ErrorCategory::refused);
        CHECK(has(message, "--last-try"));
        CHECK(card.all_used());
    }
    SUBCASE("blocked PIN: a device error telling how to unblock") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("000003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw1(pin("123456"), true); }, message) ==
              smk::ErrorCategory::device);
        CHECK(has(message, "blocked"));
        CHECK(has(message, "RESET RETRY COUNTER"));
        CHECK(card.all_used());
    }
    SUBCASE("a PIN of the wrong length is never sent") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw1(pin("12345"), false); }, message) ==
              smk::ErrorCategory::invalid_input);
        CHECK(has(message, "nothing was sent"));
        CHECK(card.all_used());
    }
}

TEST_CASE("openpgp: GET DATA of DO 0103 without the PIN names the cause") {
    FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003"), {"00CA010300", "6982"}}));
    smk::card::OpenPgpApp app(card, {}, "R");
    std::string message;
    CHECK(category_of([&] { (void)app.get_data(0x0103); }, message) == smk::ErrorCategory::device);
    CHECK(has(message, "6982 security status not satisfied (PIN not verified)"));
}

TEST_CASE("openpgp: forgetting PINs sends VERIFY FF only for a PIN that was sent") {
    using Forgotten = smk::card::OpenPgpApp::Forgotten;
    SUBCASE("no VERIFY sent: nothing to forget") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK_FALSE(app.pin_sent());
        CHECK(app.forget_verified_pins() == Forgotten::confirmed);
        CHECK(card.all_used());
    }
    SUBCASE("a wrong PIN was sent: its state is reset all the same") {
        FakeTransport card(script({kSelect,
                                   kAid,
                                   kCaps,
                                   pw_status("030003"),
                                   {"00200082063635343332 31", "63C2"},
                                   {"0020FF82", "9000"},
                                   {"00200082", "63C2"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw1(pin("654321"), false); }, message) ==
              smk::ErrorCategory::verification);
        CHECK(app.pin_sent());
        CHECK(app.forget_verified_pins() == Forgotten::confirmed);
        CHECK(card.all_used());
    }
    SUBCASE("a card that does not know P1=FF: not confirmed so the caller resets it") {
        FakeTransport card(script({kSelect,
                                   kAid,
                                   kCaps,
                                   pw_status("030003"),
                                   {"00200082063132333435 36", "9000"},
                                   {"0020FF82", "6A86"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        app.verify_pw1(pin("123456"), false);
        CHECK(app.forget_verified_pins() == Forgotten::refused);
        CHECK(card.all_used());
    }
    SUBCASE("a card that gives no valid answer: gone so not reset") {
        FakeTransport card(script({kSelect,
                                   kAid,
                                   kCaps,
                                   pw_status("030003"),
                                   {"00200082063132333435 36", "9000"},
                                   {"0020FF82", ""}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        app.verify_pw1(pin("123456"), false);
        CHECK(app.forget_verified_pins() == Forgotten::card_gone);
        CHECK(card.all_used());
    }
    SUBCASE("a card that answers 9000 but still reports the PIN verified: reset") {
        FakeTransport card(script({kSelect,
                                   kAid,
                                   kCaps,
                                   pw_status("030003"),
                                   {"00200082063132333435 36", "9000"},
                                   {"0020FF82", "9000"},
                                   {"00200082", "9000"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        app.verify_pw1(pin("123456"), false);
        CHECK(app.forget_verified_pins() == Forgotten::refused);
        CHECK(card.all_used());
    }
}
