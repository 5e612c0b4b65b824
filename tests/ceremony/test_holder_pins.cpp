// Holder PINs in the ceremony (issue 14 item 3, docs/CEREMONY.md "Card PINs"):
// issuance puts each holder's own PIN and the custodian's admin PIN on the cards
// in place of the factory PINs; PINs chosen at a prompt are typed twice and
// checked against the rules before the SMK exists; "prepared" refuses a factory
// PIN before it is sent; "set-later" keeps the cards' PINs; restore and reissue
// ask each card's PIN of its holder. Real pcscd + emulated cards + SoftHSM2.

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "cli/run.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/error.hpp"

namespace {

namespace cer = smk::ceremony;
namespace fs = std::filesystem;

using smk_test::CeremonyRig;
using smk_test::run_smk;
using smk_test::RunResult;

// `smk card verify` of card i with the PIN in `pin_file`: exit 0, or 5 for a wrong PIN.
RunResult verify_card(CeremonyRig& rig, int card, const std::string& pin_file) {
    return run_smk(
        {"card", "verify", "--reader", rig.cards().reader(card), "--pin-file", pin_file, "--json"});
}

// How many VERIFY or CHANGE REFERENCE DATA commands card i has answered.
std::size_t pins_sent(CeremonyRig& rig, int card) {
    const std::string log = rig.cards().card_log(card);
    std::size_t n = 0;
    for (const std::string apdu : {"00 20 00 8", "00 24 00 8"}) {
        for (std::size_t at = log.find(apdu); at != std::string::npos;
             at = log.find(apdu, at + 1)) {
            // VERIFY without data (a status query) carries no PIN: "(4 bytes)".
            n += log.compare(at + apdu.size() + 1, 11, " (4 bytes) ") == 0 ? 0U : 1U;
        }
    }
    return n;
}

}  // namespace

TEST_CASE("holder pins: issue puts each holder's PIN and the custodian's admin PIN on the cards") {
    CeremonyRig rig;
    const std::string issued = rig.path("issued.toml");
    const RunResult issue =
        run_smk({"ceremony", "issue", rig.plan(), "--batch", "--plan-out", issued});
    INFO("issue stderr: " << issue.err);
    REQUIRE(issue.exit_code == 0);
    CHECK(smk_test::steps(rig.transcript(), "issue", "card-pins-set") == 14);
    const std::string transcript = smk_test::slurp(rig.transcript());
    for (int h = 1; h <= 7; ++h) {
        CHECK(transcript.find(CeremonyRig::holder_pin_value(h)) == std::string::npos);
    }
    CHECK(transcript.find(CeremonyRig::kCustodianAdminPin) == std::string::npos);
    CHECK(transcript.find("\"user_pin\":\"from holders[0].pin_file\"") != std::string::npos);

    // Holder 1's set A and set B cards answer to holder 1's PIN, and to neither the
    // factory PIN nor holder 2's.
    CHECK(verify_card(rig, 0, rig.holder_pin(1)).exit_code == 0);
    CHECK(verify_card(rig, 7, rig.holder_pin(1)).exit_code == 0);
    CHECK(verify_card(rig, 0, rig.factory_pin()).exit_code == 5);
    CHECK(verify_card(rig, 1, rig.holder_pin(1)).exit_code == 5);
    CHECK(verify_card(rig, 1, rig.holder_pin(2)).exit_code == 0);
    // The admin PIN is the custodian's: a key is generated with it, not with the factory one.
    smk_test::spit(rig.path("factory-admin.pin"), "12345678\n");
    CHECK(run_smk({"card", "keygen", "--reader", rig.cards().reader(2), "--admin-pin-file",
                   rig.path("factory-admin.pin"), "--overwrite-key", "--public-key-out",
                   rig.path("factory.pem")})
              .exit_code == 5);
    CHECK(run_smk({"card", "keygen", "--reader", rig.cards().reader(2), "--admin-pin-file",
                   rig.card_admin_pin(), "--overwrite-key", "--public-key-out",
                   rig.path("custodian.pem")})
              .exit_code == 0);

    // Restore reads each card with its holder's PIN.
    const RunResult restore =
        run_smk({"ceremony", "restore", issued, "--batch", "--facility", "AUCKLAND"});
    INFO("restore stderr: " << restore.err);
    CHECK(restore.exit_code == 0);
}

TEST_CASE("holder pins: a holder's PIN file that breaks the rules stops issue before anything") {
    CeremonyRig rig;
    smk_test::spit(rig.holder_pin(4), "111111\n");
    const RunResult check = run_smk({"ceremony", "check", rig.plan()});
    CHECK(check.exit_code == 3);
    CHECK(check.err.find("holders[3].pin_file " + rig.holder_pin(4)) != std::string::npos);
    CHECK(check.err.find("one character repeated") != std::string::npos);
    const RunResult issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    CHECK(issue.exit_code == 3);
    CHECK(issue.err.find("holders[3].pin_file") != std::string::npos);
    CHECK(issue.err.find("111111") == std::string::npos);
    CHECK_FALSE(fs::exists(rig.transcript()));  // before the first line
    CHECK(pins_sent(rig, 3) == 0);
    CHECK(rig.token_kcv("hsm-one").exit_code != 0);

    // The custodian's admin PIN too: the factory one may not be set.
    smk_test::spit(rig.holder_pin(4), CeremonyRig::holder_pin_value(4) + "\n");
    smk_test::spit(rig.card_admin_pin(), "12345678\n");
    const RunResult admin = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    CHECK(admin.exit_code == 3);
    CHECK(admin.err.find("[cards] admin_pin_file " + rig.card_admin_pin()) != std::string::npos);
    CHECK(admin.err.find("factory") != std::string::npos);
    CHECK_FALSE(fs::exists(rig.transcript()));
}

TEST_CASE("holder pins: prepared cards - a factory PIN is refused before it is sent") {
    CeremonyRig rig;
    // The cards are prepared: holder 1's file still holds the factory PIN.
    smk_test::spit(rig.plan(), smk_test::replaced(rig.plan_text(), "[cards]\n",
                                                  "[cards]\npins = \"prepared\"\n"));
    smk_test::spit(rig.holder_pin(1), "123456\n");
    const RunResult issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    CHECK(issue.exit_code == 7);
    CHECK(issue.err.find("holders[0].pin_file " + rig.holder_pin(1) + " is the factory user PIN") !=
          std::string::npos);
    CHECK(issue.err.find("smk card change-pin") != std::string::npos);
    CHECK_FALSE(fs::exists(rig.transcript()));
    CHECK(pins_sent(rig, 0) == 0);
    CHECK(pins_sent(rig, 7) == 0);

    // Prepared cards with their holders' PINs (set with smk card change-pin) are
    // issued as they are: their PINs are not changed again.
    smk_test::spit(rig.holder_pin(1), CeremonyRig::holder_pin_value(1) + "\n");
    for (int card = 0; card < 14; ++card) {
        const RunResult changed =
            run_smk({"card", "change-pin", "--reader", rig.cards().reader(card), "--pin-file",
                     rig.factory_pin(), "--new-pin-file", rig.pin_of_card(card)});
        REQUIRE_MESSAGE(changed.exit_code == 0, changed.err);
    }
    smk_test::spit(rig.path("factory-admin.pin"), "12345678\n");
    smk_test::spit(rig.plan(), smk_test::replaced(smk_test::slurp(rig.plan()), rig.card_admin_pin(),
                                                  rig.path("factory-admin.pin")));
    const RunResult factory_admin = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    CHECK(factory_admin.exit_code == 7);
    CHECK(factory_admin.err.find("is the factory admin PIN") != std::string::npos);
    for (int card = 0; card < 14; ++card) {
        const RunResult changed = run_smk(
            {"card", "change-pin", "--admin", "--reader", rig.cards().reader(card), "--pin-file",
             rig.path("factory-admin.pin"), "--new-pin-file", rig.card_admin_pin()});
        REQUIRE_MESSAGE(changed.exit_code == 0, changed.err);
    }
    smk_test::spit(rig.plan(),
                   smk_test::replaced(smk_test::slurp(rig.plan()), rig.path("factory-admin.pin"),
                                      rig.card_admin_pin()));
    const RunResult prepared = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << prepared.err);
    CHECK(prepared.exit_code == 0);
    CHECK(smk_test::steps(rig.transcript(), "issue", "card-pins-set") == 0);
    CHECK(smk_test::steps(rig.transcript(), "issue", "card-key-generated") == 14);
    CHECK(verify_card(rig, 4, rig.holder_pin(5)).exit_code == 0);
}

TEST_CASE("holder pins: set-later keeps the PINs the cards came with") {
    CeremonyRig rig;
    std::string text =
        smk_test::replaced(rig.plan_text(), "[cards]\n", "[cards]\npins = \"set-later\"\n");
    smk_test::spit(rig.path("factory-admin.pin"), "12345678\n");
    text = smk_test::replaced(text, rig.card_admin_pin(), rig.path("factory-admin.pin"));
    smk_test::spit(rig.plan(), text);
    for (int h = 1; h <= 7; ++h) {
        smk_test::spit(rig.holder_pin(h), "123456\n");  // each holder's file, the factory PIN
    }
    const RunResult check = run_smk({"ceremony", "check", rig.plan()});
    CHECK(check.exit_code == 0);
    CHECK(check.out.find("set by the holders after the ceremony") != std::string::npos);
    const RunResult issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    REQUIRE(issue.exit_code == 0);
    CHECK(smk_test::steps(rig.transcript(), "issue", "card-pins-set") == 0);
    CHECK(smk_test::slurp(rig.transcript()).find("\"card_pins\":\"set-later\"") !=
          std::string::npos);
    CHECK(verify_card(rig, 0, rig.factory_pin()).exit_code == 0);
}

TEST_CASE("holder pins: PINs typed at issuance - twice, checked, all before the SMK exists") {
    CeremonyRig rig;
    // Holders 2 and 6 and the custodian type their PINs; the others have files.
    std::string text = rig.plan_text();
    for (int h : {2, 6}) {
        text = smk_test::replaced(text, "pin_file = \"" + rig.holder_pin(h) + "\"\n", "");
    }
    text = smk_test::replaced(text, "admin_pin_file = \"" + rig.card_admin_pin() + "\"\n",
                              "admin_pin_custodian = \"Carol Admin\"\n");
    smk_test::spit(rig.plan(), text);

    std::vector<std::string> asked;
    cer::CeremonyOptions options;
    options.plan = rig.plan();
    options.card_mode = cer::CardMode::batch;
    options.plan_out = rig.path("issued.toml");
    std::string typed = "111111";  // refused by the rules at the first entry
    options.ask_new_pin = [&](std::string_view who,
                              const std::function<void(const smk::Secret&)>& check) {
        asked.emplace_back(who);
        // Each entry is checked before it would be typed again.
        smk::Secret pin = smk::Secret::copy_of(
            {reinterpret_cast<const std::uint8_t*>(typed.data()), typed.size()});
        check(pin);
        return pin;
    };
    smk_test::CapturedOutput refused;
    try {
        cer::issue(options, refused);
        FAIL("issue took a PIN the rules refuse");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        CHECK(std::string(e.what()).find("one character repeated") != std::string::npos);
        CHECK(std::string(e.what()).find("111111") == std::string::npos);
    }
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].find("holder 2 (Holder 2)") != std::string::npos);
    CHECK(smk_test::steps(rig.transcript(), "issue", "smk-generated") == 0);
    // The card still has its factory PIN (and nothing else: verify says it is empty).
    const RunResult untouched = verify_card(rig, 1, rig.factory_pin());
    CHECK(untouched.err.find("wrong user PIN") == std::string::npos);
    CHECK(untouched.out.find("\"state\": \"empty\"") != std::string::npos);

    // Good PINs: holder 2, holder 6, then the custodian, each once, before the SMK.
    asked.clear();
    std::size_t generated_when_asked = 99;
    options.ask_new_pin = [&](std::string_view who,
                              const std::function<void(const smk::Secret&)>& check) {
        asked.emplace_back(who);
        generated_when_asked = smk_test::steps(rig.transcript(), "issue", "smk-generated");
        const std::string value = asked.size() == 1   ? std::string("927153")
                                  : asked.size() == 2 ? std::string("602814")
                                                      : std::string("50618372");
        smk::Secret pin = smk::Secret::copy_of(
            {reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
        check(pin);
        return pin;
    };
    smk_test::CapturedOutput ok;
    cer::issue(options, ok);
    REQUIRE(asked.size() == 3);
    CHECK(asked[0].find("holder 2") != std::string::npos);
    CHECK(asked[1].find("holder 6") != std::string::npos);
    CHECK(asked[2].find("the custodian, Carol Admin") != std::string::npos);
    CHECK(generated_when_asked == 0);
    CHECK(smk_test::steps(rig.transcript(), "issue", "card-pins-set") == 14);
    smk_test::spit(rig.path("typed-2.pin"), "927153\n");
    smk_test::spit(rig.path("typed-6.pin"), "602814\n");
    CHECK(verify_card(rig, 1, rig.path("typed-2.pin")).exit_code == 0);
    CHECK(verify_card(rig, 12, rig.path("typed-6.pin")).exit_code == 0);
    CHECK(smk_test::slurp(rig.transcript()).find("chosen by the holder, typed twice") !=
          std::string::npos);
}

TEST_CASE("holder pins: a holder types their new PIN twice at a no-echo prompt on the terminal") {
    CeremonyRig rig;
    smk_test::spit(
        rig.plan(),
        smk_test::replaced(rig.plan_text(), "pin_file = \"" + rig.holder_pin(2) + "\"\n", ""));
    const std::string prompt = "New PIN, the user PIN of holder 2 (Holder 2)'s card(s)";
    const auto r =
        smk_test::run_smk_pty({"ceremony", "issue", rig.plan(), "--batch"},
                              {{prompt, "927153\n"}, {"The same PIN again: ", "927153\n"}}, false);
    INFO("tty: " << r.tty << "\nstderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.tty.find("927153") == std::string::npos);  // never echoed
    CHECK(r.err.find("927153") == std::string::npos);
    CHECK(r.echo_at_exit);
    smk_test::spit(rig.path("typed.pin"), "927153\n");
    CHECK(verify_card(rig, 1, rig.path("typed.pin")).exit_code == 0);
    CHECK(verify_card(rig, 8, rig.path("typed.pin")).exit_code == 0);  // both of holder 2's cards
}
