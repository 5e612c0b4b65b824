// The rules for a new PIN (smk/card.hpp "PINs a holder chooses"): each rule
// refuses what it should and says so without quoting the PIN, good PINs pass,
// the factory PIN test; and CHANGE REFERENCE DATA over canned answers: which
// APDUs go to the card, which do not, and what the card forgets at the end.

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "canned_card.hpp"
#include "fake_transport.hpp"
#include "openpgp.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"

namespace {

using smk::card::PinKind;
using smk_test::category_of;
using smk_test::FakeTransport;
using smk_test::has;
using smk_test::kAid;
using smk_test::kCaps;
using smk_test::kSelect;
using smk_test::pin;
using smk_test::pw_status;
using smk_test::script;

std::string hex(const std::string& text) {
    return smk_test::hex_of({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

// The problem new_pin_problem finds, or "" when there is none.
std::string problem(PinKind kind, const std::string& text,
                    std::size_t max_length = smk::card::kMaxPinLength) {
    const auto found = smk::card::new_pin_problem(kind, pin(text), max_length);
    return found ? *found : std::string();
}

struct Refusal {
    PinKind kind;
    std::string pin;
    std::string reason;  // a part of the problem's words
};

}  // namespace

TEST_CASE("pin rules: PINs a careful holder picks are accepted") {
    for (const char* good : {"804913", "271828", "zq7-Lp", "Tr0ub4dor&3", "x9 y8 z7",
                             "correct horse battery staple", "4711-0815", "19750412"}) {
        INFO(good);
        CHECK(problem(PinKind::user, good).empty());
    }
    for (const char* good : {"90210853", "k9#mW2!x", "Tr0ub4dor&3", "19750412", "31415926535"}) {
        INFO(good);
        CHECK(problem(PinKind::admin, good).empty());
    }
    // 127 characters, the longest a card may take (C4's length bytes have 7 bits).
    std::string longest;
    for (int i = 0; longest.size() < 127; ++i) {
        longest += static_cast<char>('!' + (i * 7) % 90);
    }
    CHECK(problem(PinKind::user, longest).empty());
    CHECK(problem(PinKind::admin, longest).empty());
}

TEST_CASE("pin rules: each rule refuses and the words never quote the PIN") {
    const std::vector<Refusal> refusals = {
        // Length: 6 (user) or 8 (admin) to 127, or the card's maximum.
        {PinKind::user, "80491", "has 5 characters; a user PIN (PW1) needs 6 to 127"},
        {PinKind::admin, "9f3k2m7", "has 7 characters; an admin PIN (PW3) needs 8 to 127"},
        {PinKind::user, std::string(128, 'x'), "has 128 characters"},
        // Only printable ASCII, and no space at either end.
        {PinKind::user, "80491\x01", "not printable ASCII"},
        {PinKind::user, "80491\xC3\xA9", "not printable ASCII"},
        {PinKind::user, "80491\x7F", "not printable ASCII"},
        {PinKind::user, " 804913", "begins or ends with a space"},
        {PinKind::user, "804913 ", "begins or ends with a space"},
        // The factory PINs of OpenPGP cards, under either kind.
        {PinKind::user, "123456", "factory default"},
        {PinKind::user, "12345678", "factory default"},
        {PinKind::admin, "12345678", "factory default"},
        // One character repeated.
        {PinKind::user, "000000", "one character repeated"},
        {PinKind::user, "777777", "one character repeated"},
        {PinKind::admin, "aaaaaaaa", "one character repeated"},
        // Straight runs up or down, letters in any case, the digit row going on 9 -> 0.
        {PinKind::user, "234567", "straight run"},
        {PinKind::user, "987654", "straight run"},
        {PinKind::user, "654321", "straight run"},
        {PinKind::user, "567890", "straight run"},
        {PinKind::user, "098765", "straight run"},
        {PinKind::user, "abcdef", "straight run"},
        {PinKind::user, "FEDCBA", "straight run"},
        {PinKind::user, "123456789", "straight run"},
        {PinKind::admin, "34567890", "straight run"},
        {PinKind::admin, "hijklmno", "straight run"},
        // Keyboard rows, forwards or backwards, QWERTY, QWERTZ and AZERTY.
        {PinKind::user, "qwerty", "keyboard row"},
        {PinKind::user, "QWERTY", "keyboard row"},
        {PinKind::user, "ytrewq", "keyboard row"},
        {PinKind::user, "asdfgh", "keyboard row"},
        {PinKind::user, "zxcvbn", "keyboard row"},
        {PinKind::user, "azerty", "keyboard row"},
        {PinKind::user, "yxcvbn", "keyboard row"},
        {PinKind::admin, "qwertzui", "keyboard row"},
        {PinKind::admin, "poiuytre", "keyboard row"},
        // The short list of common PINs.
        {PinKind::user, "147258", "most common PINs"},
        {PinKind::user, "159753", "most common PINs"},
        {PinKind::user, "1q2w3e4r", "most common PINs"},
        {PinKind::admin, "PassW0rd", "most common PINs"},
        {PinKind::admin, "iloveyou", "most common PINs"},
        {PinKind::admin, "11223344", "most common PINs"},
        // A group repeated.
        {PinKind::user, "121212", "group of characters repeated"},
        {PinKind::user, "123123", "group of characters repeated"},
        {PinKind::user, "abcabc", "group of characters repeated"},
        {PinKind::user, "1231231", "group of characters repeated"},
        {PinKind::admin, "12341234", "group of characters repeated"},
        {PinKind::admin, "x9x9x9x9", "group of characters repeated"},
        // Too few different characters: 4 for a user PIN, 5 for an admin PIN.
        {PinKind::user, "112233", "fewer than 4 different characters"},
        {PinKind::user, "123321", "fewer than 4 different characters"},
        {PinKind::user, "909088", "fewer than 4 different characters"},
        {PinKind::admin, "12213443", "fewer than 5 different characters"},
        {PinKind::admin, "80088018", "fewer than 5 different characters"},
    };
    for (const Refusal& refusal : refusals) {
        INFO((refusal.kind == PinKind::admin ? "admin " : "user ") << refusal.pin);
        const std::string found = problem(refusal.kind, refusal.pin);
        CHECK(has(found, refusal.reason));
        CHECK_FALSE(has(found, refusal.pin));
    }
}

TEST_CASE("pin rules: the card's maximum length counts and four different characters pass") {
    CHECK(has(problem(PinKind::user, "8049137", 6),
              "has 7 characters; a user PIN (PW1) "
              "needs 6 to 6"));
    CHECK(problem(PinKind::user, "804913", 6).empty());
    CHECK(has(problem(PinKind::admin, "902108537", 8), "needs 8 to 8"));
    // A card announcing more than 127 is held to 127.
    CHECK(has(problem(PinKind::user, std::string(128, 'x'), 255), "needs 6 to 127"));
    // Exactly the minimum of different characters is enough.
    CHECK(problem(PinKind::user, "1122334").empty());
    CHECK(problem(PinKind::admin, "11223345").empty());
    CHECK(smk::card::min_distinct_pin_characters(PinKind::user) == 4);
    CHECK(smk::card::min_distinct_pin_characters(PinKind::admin) == 5);
}

TEST_CASE("pin rules: check_new_pin names the source and says nothing was sent") {
    std::string message;
    CHECK(category_of([] { smk::card::check_new_pin(PinKind::user, pin("111111"), "pin.txt"); },
                      message) == smk::ErrorCategory::invalid_input);
    CHECK(has(message, "the new user PIN (PW1) from pin.txt is one character repeated"));
    CHECK(has(message, "nothing was sent to the card"));
    CHECK(has(message, "6 to 127 printable ASCII characters, at least 4 of them different"));
    CHECK_FALSE(has(message, "111111"));
    smk::card::check_new_pin(PinKind::admin, pin("90210853"), "the terminal");
}

TEST_CASE("pin rules: is_factory_pin knows the factory PIN of each kind") {
    CHECK(smk::card::is_factory_pin(PinKind::user, pin("123456")));
    CHECK(smk::card::is_factory_pin(PinKind::admin, pin("12345678")));
    CHECK_FALSE(smk::card::is_factory_pin(PinKind::user, pin("12345678")));
    CHECK_FALSE(smk::card::is_factory_pin(PinKind::admin, pin("123456")));
    CHECK_FALSE(smk::card::is_factory_pin(PinKind::user, pin("123457")));
    CHECK_FALSE(smk::card::is_factory_pin(PinKind::user, pin("1234567")));
    CHECK_FALSE(smk::card::is_factory_pin(PinKind::admin, pin("")));
}

// --- CHANGE REFERENCE DATA over canned answers ------------------------------------

namespace {

std::string lc(std::size_t n) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    return {kDigits[n >> 4], kDigits[n & 0x0F]};
}

// 00 24 00 P2 Lc old||new.
std::string change_apdu(const std::string& p2, const std::string& old_pin,
                        const std::string& new_pin) {
    return "002400" + p2 + lc(old_pin.size() + new_pin.size()) + hex(old_pin) + hex(new_pin);
}

std::string verify_apdu(const std::string& p2, const std::string& value) {
    return "002000" + p2 + lc(value.size()) + hex(value);
}

}  // namespace

TEST_CASE("openpgp change pin: PW1 goes to 81 and is checked in mode 82 and both are forgotten") {
    FakeTransport card(script({kSelect,
                               kAid,
                               kCaps,
                               pw_status("030003"),
                               {change_apdu("81", "123456", "804913"), "9000"},
                               {verify_apdu("82", "804913"), "9000"},
                               {"0020FF81", "9000"},
                               {"00200081", "63C3"},
                               {"0020FF82", "9000"},
                               {"00200082", "63C3"}}));
    smk::card::OpenPgpApp app(card, {}, "R");
    app.change_pin(PinKind::user, pin("123456"), pin("804913"), false);
    CHECK(app.pin_sent());
    CHECK(app.forget_verified_pins() == smk::card::OpenPgpApp::Forgotten::confirmed);
    CHECK(card.all_used());
}

TEST_CASE("openpgp change pin: PW3 goes to 83 and only 83 is forgotten") {
    FakeTransport card(script({kSelect,
                               kAid,
                               kCaps,
                               pw_status("030003"),
                               {change_apdu("83", "12345678", "90210853"), "9000"},
                               {verify_apdu("83", "90210853"), "9000"},
                               {"0020FF83", "9000"},
                               {"00200083", "63C3"}}));
    smk::card::OpenPgpApp app(card, {}, "R");
    app.change_pin(PinKind::admin, pin("12345678"), pin("90210853"), false);
    CHECK(app.forget_verified_pins() == smk::card::OpenPgpApp::Forgotten::confirmed);
    CHECK(card.all_used());
}

TEST_CASE("openpgp change pin: refusals before the card sees a PIN") {
    std::string message;
    SUBCASE("a new PIN breaking a rule") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(
            category_of([&] { app.change_pin(PinKind::user, pin("123456"), pin("654321"), false); },
                        message) == smk::ErrorCategory::invalid_input);
        CHECK(has(message,
                  "the new user PIN (PW1) for card 0005:0000001A in \"R\" is a "
                  "straight run"));
        CHECK(has(message, "nothing was sent to the card"));
        CHECK_FALSE(app.pin_sent());
        CHECK(card.all_used());
    }
    SUBCASE("a new PIN longer than the card's maximum (C4)") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003", "087F7F")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(app.max_pin_length(PinKind::user) == 8);
        CHECK(category_of(
                  [&] { app.change_pin(PinKind::user, pin("123456"), pin("804913572"), false); },
                  message) == smk::ErrorCategory::invalid_input);
        CHECK(has(message, "has 9 characters; a user PIN (PW1) needs 6 to 8"));
        CHECK_FALSE(app.pin_sent());
    }
    SUBCASE("the new PIN is the current one") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(
            category_of([&] { app.change_pin(PinKind::user, pin("804913"), pin("804913"), false); },
                        message) == smk::ErrorCategory::invalid_input);
        CHECK(has(message, "is the current one"));
        CHECK_FALSE(app.pin_sent());
    }
    SUBCASE("a current admin PIN too short to be right") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(category_of(
                  [&] { app.change_pin(PinKind::admin, pin("1234567"), pin("90210853"), false); },
                  message) == smk::ErrorCategory::invalid_input);
        CHECK(has(message, "the current admin PIN given has 7 characters"));
        CHECK_FALSE(app.pin_sent());
    }
    SUBCASE("the last try of the current PIN") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("010003")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(
            category_of([&] { app.change_pin(PinKind::user, pin("123456"), pin("804913"), false); },
                        message) == smk::ErrorCategory::refused);
        CHECK(has(message, "only 1 user PIN try is left"));
        CHECK(has(message, "--last-try"));
        CHECK_FALSE(app.pin_sent());
    }
    SUBCASE("a blocked admin PIN") {
        FakeTransport card(script({kSelect, kAid, kCaps, pw_status("030000")}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(category_of(
                  [&] { app.change_pin(PinKind::admin, pin("12345678"), pin("90210853"), true); },
                  message) == smk::ErrorCategory::device);
        CHECK(has(message, "the admin PIN (PW3) of card 0005:0000001A in \"R\" is blocked"));
        CHECK_FALSE(app.pin_sent());
    }
}

TEST_CASE("openpgp change pin: a wrong current PIN shows the tries and is not retried") {
    FakeTransport card(script({kSelect,
                               kAid,
                               kCaps,
                               pw_status("030003"),
                               {change_apdu("81", "111222", "804913"), "63C2"},
                               {"0020FF81", "9000"},
                               {"00200081", "63C3"},
                               {"0020FF82", "9000"},
                               {"00200082", "63C3"}}));
    smk::card::OpenPgpApp app(card, {}, "R");
    std::string message;
    CHECK(category_of([&] { app.change_pin(PinKind::user, pin("111222"), pin("804913"), false); },
                      message) == smk::ErrorCategory::verification);
    CHECK(has(message,
              "wrong user PIN for card 0005:0000001A in \"R\": 2 tries left; the PIN "
              "was not changed"));
    CHECK(app.forget_verified_pins() == smk::card::OpenPgpApp::Forgotten::confirmed);
    CHECK(card.all_used());
}

TEST_CASE("openpgp change pin: the card refusing the new PIN or not taking it is caught") {
    std::string message;
    SUBCASE("6A80 to the change: no check sent") {
        FakeTransport card(script({kSelect,
                                   kAid,
                                   kCaps,
                                   pw_status("030003"),
                                   {change_apdu("81", "123456", "804913"), "6A80"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(
            category_of([&] { app.change_pin(PinKind::user, pin("123456"), pin("804913"), false); },
                        message) == smk::ErrorCategory::device);
        CHECK(has(message, "refused the new user PIN (PW1)"));
        CHECK(card.all_used());
    }
    SUBCASE("9000 to the change but the new PIN does not verify") {
        FakeTransport card(script({kSelect,
                                   kAid,
                                   kCaps,
                                   pw_status("030003"),
                                   {change_apdu("83", "12345678", "90210853"), "9000"},
                                   {verify_apdu("83", "90210853"), "63C2"}}));
        smk::card::OpenPgpApp app(card, {}, "R");
        CHECK(category_of(
                  [&] { app.change_pin(PinKind::admin, pin("12345678"), pin("90210853"), false); },
                  message) == smk::ErrorCategory::verification);
        CHECK(has(message, "does not take the new one"));
        CHECK(has(message, "do not issue this card"));
        CHECK(card.all_used());
    }
}
