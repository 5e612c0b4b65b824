// The key commands of the OpenPGP application over canned answers: the admin
// PIN (PW3) rules, how an existing authentication key is recognised (C5, DE,
// read mode), and what a card without one answers — checking which APDUs are
// sent and which are not.

#include <doctest/doctest.h>
#include <fmt/core.h>

#include <functional>
#include <string>

#include "attest.hpp"
#include "canned_card.hpp"
#include "fake_transport.hpp"
#include "openpgp.hpp"
#include "smk/error.hpp"

namespace {

using smk_test::category_of;
using smk_test::FakeTransport;
using smk_test::has;
using smk_test::kAid;
using smk_test::kCaps;
using smk_test::kSelect;
using smk_test::pin;
using smk_test::pw_status;
using smk_test::script;
using smk_test::Step;

const Step kReadAuthKey = {"0047810002A40000", "6A88"};

// GET DATA 6E holding C5 (three fingerprints) and DE (key information).
Step related_data(const std::string& fingerprints, const std::string& key_info) {
    const std::string c5 = "C53C" + fingerprints;
    const std::string de = "DE06" + key_info;
    const std::size_t inner = (c5.size() + de.size()) / 2;  // < 0x7E: short lengths
    const std::string len = fmt::format("{:02X}", inner);
    const std::string outer = fmt::format("{:02X}", inner + 2);
    return {"00CA006E00", std::string("6E") + outer + "73" + len + c5 + de + "9000"};
}

}  // namespace

TEST_CASE("openpgp keys: the admin PIN rules") {
    SUBCASE("right admin PIN: one VERIFY in mode 83") {
        FakeTransport card(script(
            {kSelect, kAid, kCaps, pw_status("030003"), {"00200083083132333435363738", "9000"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        app.verify_pw3(pin("12345678"), false);
        CHECK(card.all_used());
    }
    SUBCASE("wrong admin PIN: the tries left are shown") {
        FakeTransport card(script(
            {kSelect, kAid, kCaps, pw_status("030003"), {"00200083083837363534333231", "63C2"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw3(pin("87654321"), false); }, message) ==
              smk::ErrorCategory::verification);
        CHECK(has(message, "wrong admin PIN for card 0005:0000001A"));
        CHECK(has(message, "2 tries left"));
        CHECK(card.all_used());
    }
    SUBCASE("one try left: refused with nothing sent unless allowed") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030001")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw3(pin("12345678"), false); }, message) ==
              smk::ErrorCategory::refused);
        CHECK(has(message, "only 1 admin PIN try is left"));
        CHECK(card.all_used());
    }
    SUBCASE("too short for an admin PIN: nothing sent") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw3(pin("1234567"), false); }, message) ==
              smk::ErrorCategory::invalid_input);
        CHECK(has(message, "nothing was sent to the card"));
        CHECK(card.all_used());
    }
    SUBCASE("blocked admin PIN") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030000")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        std::string message;
        CHECK(category_of([&] { app.verify_pw3(pin("12345678"), true); }, message) ==
              smk::ErrorCategory::device);
        CHECK(has(message, "blocked"));
        CHECK(card.all_used());
    }
    SUBCASE("after a VERIFY the counter is read again: C4 is never used stale") {
        // The user PIN was verified first; the card now reports 1 admin try.
        FakeTransport card(script({kSelect,
                                   kAid,
                                   kCaps,
                                   pw_status("030003"),
                                   {"0020008206313233343536", "9000"},
                                   pw_status("030001")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        app.verify_pw1(pin("123456"), false);
        std::string message;
        CHECK(category_of([&] { app.verify_pw3(pin("12345678"), false); }, message) ==
              smk::ErrorCategory::refused);
        CHECK(has(message, "only 1 admin PIN try is left"));
        CHECK(card.all_used());
    }
}

TEST_CASE("openpgp keys: an authentication key is recognised by C5 - DE or read mode") {
    const std::string zeros40(80, '0');
    const std::string fpr = "0102030405060708090A0B0C0D0E0F1011121314";
    SUBCASE("a fingerprint in C5 is enough") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003"),
                                   related_data(zeros40 + fpr, "010002000300")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(app.key_present(smk::card::kAuthKeyCrt));
        CHECK(card.all_used());
    }
    SUBCASE("key information DE says generated or imported") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003"),
                                   related_data(zeros40 + std::string(40, '0'), "010002000302")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(app.key_present(smk::card::kAuthKeyCrt));
        CHECK(card.all_used());
    }
    SUBCASE("nothing anywhere: no key - and the card cannot sign") {
        FakeTransport card(script({kSelect,
                                   kAid,
                                   kCaps,
                                   pw_status("030003"),
                                   related_data(zeros40 + std::string(40, '0'), "010002000300"),
                                   kReadAuthKey,
                                   {"008800000301020300", "6A88"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK_FALSE(app.key_present(smk::card::kAuthKeyCrt));
        std::string message;
        const std::vector<std::uint8_t> data = {1, 2, 3};
        CHECK(category_of([&] { (void)app.internal_authenticate(data); }, message) ==
              smk::ErrorCategory::device);
        CHECK(has(message, "card 0005:0000001A in \"R\" has no authentication key"));
        CHECK(card.all_used());
    }
}

TEST_CASE("openpgp keys: a key slot set to ECC is refused before the admin PIN") {
    // C3 = 16 (EdDSA) + the OID of Ed25519, as `gpg --card-edit` key-attr sets it.
    const std::string c3 = "C30A162B06010401DA470F01";
    const std::string inner = "73" + fmt::format("{:02X}", c3.size() / 2) + c3;
    FakeTransport card(
        script({kSelect,
                kAid,
                kCaps,
                pw_status("030003"),
                {"00CA006E00", "6E" + fmt::format("{:02X}", inner.size() / 2) + inner + "9000"}}));
    smk::card::OpenPgpApp app(card, {}, "R");
    std::string message;
    CHECK(
        category_of([&] { (void)smk::card::generate_auth_key(app, pin("12345678"), true, false); },
                    message) == smk::ErrorCategory::device);
    CHECK(message.find("not RSA 2048") != std::string::npos);
    CHECK(message.find("algorithm 16") != std::string::npos);
    CHECK(message.find("nothing was sent to the card") != std::string::npos);
    CHECK(card.all_used());  // no VERIFY 83, no GENERATE
}
