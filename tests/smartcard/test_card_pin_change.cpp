// Holder-chosen PINs end to end (issue 14 item 3): `smk card change-pin` as a
// subprocess against private pcscd + smk-cardsim stacks. The new user PIN works
// for `card verify` and the factory one no longer does; a new admin PIN works for
// `card keygen`; a PIN breaking the rules, two prompt entries that differ, the
// last try and a blocked PIN are refused with nothing sent (the card's own log
// shows no CHANGE REFERENCE DATA); a wrong current PIN shows the tries left; and
// no PIN is left verified once smk has gone.

#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "smartcard/card_cli_support.hpp"
#include "support/pcsc_stack.hpp"

namespace {

using smk_test::contains;
using smk_test::PcscStack;
using smk_test::pin_file;
using smk_test::run_smk;
using smk_test::RunResult;
using smk_test::sent_since;
using smk_test::user_tries;

bool sent_any(const std::vector<std::string>& sent, const std::string& prefix) {
    for (const auto& header : sent) {
        if (header.rfind(prefix, 0) == 0) {
            return true;
        }
    }
    return false;
}

unsigned admin_tries(const PcscStack& stack, int card) {
    const RunResult list = run_smk({"card", "list", "--json"});
    REQUIRE(list.exit_code == 0);
    for (const auto& entry : nlohmann::json::parse(list.out)) {
        if (entry.at("reader") == stack.reader(card)) {
            return entry.at("pin_tries").at("admin").get<unsigned>();
        }
    }
    FAIL("card " << card << " not in 'smk card list'");
    return 0;
}

std::vector<std::string> change_pin(const PcscStack& stack, int card, const std::string& current,
                                    const std::string& next) {
    return {"card",       "change-pin", "--reader",       stack.reader(card),
            "--pin-file", current,      "--new-pin-file", next};
}

}  // namespace

TEST_CASE("card change-pin e2e: the holder's new user PIN works and the factory PIN no longer") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string factory = pin_file(stack, "factory", "123456");
    const std::string mine = pin_file(stack, "mine", "804913");
    REQUIRE(run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", factory,
                     split.share_file('A', 1)})
                .exit_code == 0);

    const std::size_t logged = stack.card_log(0).size();
    const RunResult changed = run_smk(change_pin(stack, 0, factory, mine));
    INFO("change-pin stderr: " << changed.err);
    REQUIRE(changed.exit_code == 0);
    CHECK(contains(changed.out, "changed the user PIN (PW1) of card " + stack.serial(0)));
    CHECK(contains(changed.out, "the card takes the new PIN (3 tries left)"));
    CHECK_FALSE(contains(changed.out + changed.err, "804913"));
    CHECK_FALSE(contains(changed.out + changed.err, "123456"));
    // The change, its check with the new PIN, and both references forgotten
    // (each VERIFY FF followed by the status query that shows it took).
    CHECK(sent_since(stack, 0, logged) ==
          std::vector<std::string>{"00 A4 04 00", "00 CA 00 4F", "00 CA 00 C0", "00 CA 7F 66",
                                   "00 CA 00 C4", "00 24 00 81", "00 20 00 82", "00 CA 00 C4",
                                   "00 20 FF 81", "00 20 00 81", "00 20 FF 82", "00 20 00 82"});
    // Another program gets no share without a PIN once smk has gone.
    CHECK(stack.share_do_closed(0));

    const RunResult verify_new = run_smk(
        {"card", "verify", "--reader", stack.reader(0), "--pin-file", mine, "--expect-index", "1"});
    INFO("verify stderr: " << verify_new.err);
    CHECK(verify_new.exit_code == 0);
    const RunResult verify_old =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", factory});
    CHECK(verify_old.exit_code == 5);
    CHECK(contains(verify_old.err, "wrong user PIN for card " + stack.serial(0)));
    CHECK(contains(verify_old.err, "2 tries left"));
    CHECK(user_tries(stack, 0) == 2);
    CHECK(stack.share_do_closed(0));

    // The JSON form, changing it back to another holder PIN.
    const std::string other = pin_file(stack, "other", "271828");
    const RunResult json = run_smk({"card", "change-pin", "--reader", stack.reader(0), "--pin-file",
                                    mine, "--new-pin-file", other, "--json"});
    REQUIRE(json.exit_code == 0);
    const auto report = nlohmann::json::parse(json.out);
    CHECK(report.at("card") == stack.serial(0));
    CHECK(report.at("pin") == "user");
    CHECK(report.at("changed") == true);
    CHECK(report.at("tries") == 3);
    CHECK(run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", other}).exit_code ==
          0);
}

TEST_CASE("card change-pin e2e: a new admin PIN works for keygen and the factory one no longer") {
    PcscStack stack(1);
    const std::string factory = pin_file(stack, "factory-admin", "12345678");
    const std::string custodian = pin_file(stack, "custodian", "90210853");
    const std::size_t logged = stack.card_log(0).size();
    const RunResult changed = run_smk({"card", "change-pin", "--admin", "--reader", stack.reader(0),
                                       "--pin-file", factory, "--new-pin-file", custodian});
    INFO("change-pin stderr: " << changed.err);
    REQUIRE(changed.exit_code == 0);
    CHECK(contains(changed.out, "changed the admin PIN (PW3) of card " + stack.serial(0)));
    // Reference 83 only: changed, checked with the new PIN, forgotten.
    CHECK(sent_since(stack, 0, logged) ==
          std::vector<std::string>{"00 A4 04 00", "00 CA 00 4F", "00 CA 00 C0", "00 CA 7F 66",
                                   "00 CA 00 C4", "00 24 00 83", "00 20 00 83", "00 CA 00 C4",
                                   "00 20 FF 83", "00 20 00 83"});
    CHECK(user_tries(stack, 0) == 3);

    const std::string pem_old = stack.dir() / "old.pem";
    const RunResult with_factory =
        run_smk({"card", "keygen", "--reader", stack.reader(0), "--admin-pin-file", factory,
                 "--public-key-out", pem_old});
    CHECK(with_factory.exit_code == 5);
    CHECK(contains(with_factory.err, "wrong admin PIN for card " + stack.serial(0)));
    CHECK(admin_tries(stack, 0) == 2);

    const std::string pem = stack.dir() / "card.pem";
    const RunResult with_custodian =
        run_smk({"card", "keygen", "--reader", stack.reader(0), "--admin-pin-file", custodian,
                 "--public-key-out", pem});
    INFO("keygen stderr: " << with_custodian.err);
    CHECK(with_custodian.exit_code == 0);
    CHECK(admin_tries(stack, 0) == 3);
}

TEST_CASE("card change-pin e2e: a new PIN breaking a rule is refused with nothing sent") {
    PcscStack stack(1);
    const std::string factory = pin_file(stack, "factory", "123456");
    const std::string factory_admin = pin_file(stack, "factory-admin", "12345678");
    struct Case {
        bool admin;
        std::string pin;
        std::string reason;
    };
    for (const Case& bad :
         std::vector<Case>{{false, "111111", "is one character repeated"},
                           {false, "123456", "is a factory default PIN"},
                           {false, "654321", "is a straight run"},
                           {false, "qwerty", "is a run of neighbouring keys on a keyboard row"},
                           {false, "121212", "is a group of characters repeated"},
                           {false, "112233", "has fewer than 4 different characters"},
                           {false, "80491", "has 5 characters; a user PIN (PW1) needs 6 to 127"},
                           {true, "8049135", "has 7 characters; an admin PIN (PW3) needs 8 to 127"},
                           {true, "12345678", "is a factory default PIN"},
                           {true, "11223344", "is one of the most common PINs"}}) {
        const std::string file = pin_file(stack, "bad", bad.pin);
        std::vector<std::string> args =
            change_pin(stack, 0, bad.admin ? factory_admin : factory, file);
        if (bad.admin) {
            args.emplace_back("--admin");
        }
        const std::size_t logged = stack.card_log(0).size();
        const RunResult refused = run_smk(args);
        INFO(bad.pin << " stderr: " << refused.err);
        CHECK(refused.exit_code == 3);
        CHECK(contains(refused.err,
                       "the new " + std::string(bad.admin ? "admin PIN (PW3)" : "user PIN (PW1)") +
                           " from " + file + " " + bad.reason));
        CHECK(contains(refused.err, "nothing was sent to the card"));
        CHECK_FALSE(contains(refused.err, bad.pin));
        CHECK(refused.out.empty());
        const auto sent = sent_since(stack, 0, logged);
        CHECK_FALSE(sent_any(sent, "00 24"));
        CHECK_FALSE(sent_any(sent, "00 20"));
    }
    CHECK(user_tries(stack, 0) == 3);
    CHECK(admin_tries(stack, 0) == 3);
    // The factory PINs still work: nothing changed.
    const std::string probe = pin_file(stack, "probe", "804913");
    CHECK(run_smk(change_pin(stack, 0, factory, probe)).exit_code == 0);
}

TEST_CASE("card change-pin e2e: a wrong current PIN exits 5 with the tries and changes nothing") {
    PcscStack stack(1);
    const std::string wrong = pin_file(stack, "wrong", "271828");
    const std::string next = pin_file(stack, "next", "804913");
    const std::size_t logged = stack.card_log(0).size();
    const RunResult refused = run_smk(change_pin(stack, 0, wrong, next));
    INFO("stderr: " << refused.err);
    CHECK(refused.exit_code == 5);
    CHECK(contains(refused.err, "wrong user PIN for card " + stack.serial(0) + " in \"" +
                                    stack.reader(0) +
                                    "\": 2 tries left; the PIN "
                                    "was not changed"));
    CHECK_FALSE(contains(refused.err, "271828"));
    const auto sent = sent_since(stack, 0, logged);
    // One CHANGE REFERENCE DATA, never retried, no check of the new PIN.
    CHECK(std::count(sent.begin(), sent.end(), "00 24 00 81") == 1);
    // The only VERIFY 82 are the status queries after each VERIFY FF 82.
    CHECK(std::count(sent.begin(), sent.end(), "00 20 00 82") ==
          std::count(sent.begin(), sent.end(), "00 20 FF 82"));
    CHECK(user_tries(stack, 0) == 2);
    CHECK(stack.share_do_closed(0));
    // The factory PIN is still the card's PIN (and a right PIN resets the counter).
    const std::string factory = pin_file(stack, "factory", "123456");
    const RunResult listed =
        run_smk({"card", "list", "--reader", stack.reader(0), "--pin-file", factory});
    CHECK(listed.exit_code == 0);
    CHECK(user_tries(stack, 0) == 3);
}

TEST_CASE("card change-pin e2e: the last try needs --last-try and a blocked PIN exits 8") {
    PcscStack stack(1);
    const std::string wrong = pin_file(stack, "wrong", "271828");
    const std::string factory = pin_file(stack, "factory", "123456");
    const std::string next = pin_file(stack, "next", "804913");
    CHECK(run_smk(change_pin(stack, 0, wrong, next)).exit_code == 5);
    CHECK(run_smk(change_pin(stack, 0, wrong, next)).exit_code == 5);
    REQUIRE(user_tries(stack, 0) == 1);

    std::size_t logged = stack.card_log(0).size();
    const RunResult last = run_smk(change_pin(stack, 0, factory, next));
    CHECK(last.exit_code == 7);
    CHECK(contains(last.err, "only 1 user PIN try is left on card " + stack.serial(0)));
    CHECK(contains(last.err, "--last-try"));
    CHECK_FALSE(sent_any(sent_since(stack, 0, logged), "00 24"));
    CHECK(user_tries(stack, 0) == 1);

    // With --last-try a wrong PIN now blocks it, and then nothing is sent at all.
    std::vector<std::string> args = change_pin(stack, 0, wrong, next);
    args.emplace_back("--last-try");
    const RunResult blocking = run_smk(args);
    CHECK(blocking.exit_code == 5);
    CHECK(contains(blocking.err, "the PIN is now blocked (0 tries left)"));
    logged = stack.card_log(0).size();
    args = change_pin(stack, 0, factory, next);
    args.emplace_back("--last-try");
    const RunResult blocked = run_smk(args);
    CHECK(blocked.exit_code == 8);
    CHECK(contains(blocked.err, "the user PIN (PW1) of card " + stack.serial(0) + " in \"" +
                                    stack.reader(0) + "\" is blocked (0 tries left)"));
    CHECK_FALSE(sent_any(sent_since(stack, 0, logged), "00 24"));
}

TEST_CASE("card change-pin e2e: the new PIN is typed twice at a no-echo prompt") {
    PcscStack stack(1);
    const std::string factory = pin_file(stack, "factory", "123456");
    const std::vector<std::string> prompted = {"card",          "change-pin", "--reader",
                                               stack.reader(0), "--pin-file", factory};

    SUBCASE("two entries that differ: refused, nothing sent") {
        const std::size_t logged = stack.card_log(0).size();
        const auto r =
            smk_test::run_smk_pty(prompted,
                                  {{"New user PIN (PW1) of card " + stack.serial(0), "804913\n"},
                                   {"New user PIN (PW1) again: ", "804931\n"}},
                                  false);
        INFO("tty: " << r.tty << "\nstderr: " << r.err);
        CHECK(r.exit_code == 3);
        CHECK(contains(r.err, "the two entries of the new PIN differ; nothing was sent"));
        CHECK_FALSE(contains(r.tty + r.err, "804913"));
        CHECK_FALSE(contains(r.tty + r.err, "804931"));
        CHECK(r.echo_at_exit);
        const auto sent = sent_since(stack, 0, logged);
        CHECK_FALSE(sent_any(sent, "00 24"));
        CHECK_FALSE(sent_any(sent, "00 20"));
        CHECK(user_tries(stack, 0) == 3);
    }
    SUBCASE("a first entry breaking a rule: refused before the second is asked") {
        const auto r = smk_test::run_smk_pty(
            prompted, {{"New user PIN (PW1) of card " + stack.serial(0), "111111\n"}}, false);
        INFO("tty: " << r.tty << "\nstderr: " << r.err);
        CHECK(r.exit_code == 3);
        CHECK(contains(r.err,
                       "the new user PIN (PW1) from the terminal is one character "
                       "repeated"));
        CHECK_FALSE(contains(r.tty, "again"));
        CHECK_FALSE(contains(r.tty + r.err, "111111"));
        CHECK(user_tries(stack, 0) == 3);
    }
    SUBCASE("current and new PIN typed, the same twice: changed") {
        const auto r = smk_test::run_smk_pty(
            {"card", "change-pin", "--reader", stack.reader(0)},
            {{"Current user PIN (PW1) of card " + stack.serial(0), "123456\n"},
             {"New user PIN (PW1) of card " + stack.serial(0), "804913\n"},
             {"New user PIN (PW1) again: ", "804913\n"}},
            false);
        INFO("tty: " << r.tty << "\nstderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "changed the user PIN (PW1) of card " + stack.serial(0)));
        CHECK_FALSE(contains(r.tty + r.out + r.err, "804913"));
        CHECK_FALSE(contains(r.tty + r.out + r.err, "123456"));
        CHECK(r.echo_at_exit);
        const std::string mine = pin_file(stack, "mine", "804913");
        CHECK(
            run_smk({"card", "list", "--reader", stack.reader(0), "--pin-file", mine}).exit_code ==
            0);
        CHECK(stack.share_do_closed(0));
    }
}

TEST_CASE("card change-pin: usage - one descriptor for both PINs and no PKCS#11 tokens") {
    const RunResult same =
        run_smk({"card", "change-pin", "--reader", "any", "--pin-fd", "0", "--new-pin-fd", "0"});
    CHECK(same.exit_code == 2);
    CHECK(contains(same.err, "--pin-fd and --new-pin-fd name the same descriptor"));
    const RunResult token = run_smk({"card", "change-pin", "--pkcs11-module",
                                     "/usr/lib/softhsm/libsofthsm2.so", "--token", "t"});
    CHECK(token.exit_code == 2);
    const RunResult help = run_smk({"card", "change-pin", "--help"});
    CHECK(help.exit_code == 0);
    for (const char* part : {"--admin", "--new-pin-file", "--new-pin-fd", "--last-try",
                             "typed twice", "pkcs11-tool --change-pin", "no --pkcs11-module"}) {
        CHECK_MESSAGE(contains(help.out, part), part);
    }
    const RunResult group = run_smk({"card", "--help"});
    CHECK(contains(group.out, "change-pin"));
}
