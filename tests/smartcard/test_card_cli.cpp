// `smk card` end to end: the built smk as a subprocess against a private pcscd
// with smk-cardsim OpenPGP cards. Listing, the write -> read -> verify round
// trip, no silent overwrite, and the PIN rules (tries shown, no retry, last try,
// blocked).

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

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
using smk_test::user_tries;

}  // namespace

TEST_CASE("card e2e: list shows readers, serials, tries, and needs the PIN to show the share") {
    PcscStack stack(2, {{1, "--no-private-dos"}});
    const RunResult text = run_smk({"card", "list"});
    INFO("stderr: " << text.err);
    REQUIRE(text.exit_code == 0);
    CHECK(contains(text.out, "reader \"" + stack.reader(0) + "\": card " + stack.serial(0) +
                                 ", user PIN tries left 3"));
    CHECK(contains(text.out, "share: PIN needed to read"));
    CHECK(contains(text.out, "share: none possible (no private DOs"));

    const RunResult json_run = run_smk({"card", "list", "--json"});
    REQUIRE(json_run.exit_code == 0);
    const auto json = nlohmann::json::parse(json_run.out);
    REQUIRE(json.size() == 2);
    CHECK(json[0].at("card") == stack.serial(0));
    CHECK(json[0].at("card_present") == true);
    CHECK(json[0].at("private_do_bytes") == 255);
    CHECK(json[0].at("share").at("state") == "unknown");
    CHECK(json[1].at("private_do_bytes") == 0);
    CHECK(json[1].at("share").at("state") == "unsupported");
}

TEST_CASE("card e2e: write -> read -> verify round trip, and list with the PIN") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack, "pin", "123456");
    const std::string share = split.share_file('B', 3);

    const RunResult write =
        run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", pin, share});
    INFO("write stderr: " << write.err);
    REQUIRE(write.exit_code == 0);
    CHECK(contains(write.out, "wrote set B #3"));
    CHECK(contains(write.out, "card " + stack.serial(0)));
    CHECK(contains(write.out, "read it back: OK"));

    // To a new 0600 file, and to stdout with '-'.
    const std::string out = stack.dir() / "back.txt";
    const RunResult read =
        run_smk({"card", "read", "--reader", "0 00 00", "--pin-file", pin, "--out", out});
    INFO("read stderr: " << read.err);
    REQUIRE(read.exit_code == 0);
    CHECK(read.out.empty());
    CHECK(smk_test::read_file(out) == split.mnemonic('B', 3) + "\n");
    CHECK(smk_test::file_mode(out) == 0600U);
    const RunResult to_stdout =
        run_smk({"card", "read", "--reader", stack.reader(0), "--pin-file", pin, "--out", "-"});
    REQUIRE(to_stdout.exit_code == 0);
    CHECK(to_stdout.out == split.mnemonic('B', 3) + "\n");
    // An existing output file is never overwritten.
    const RunResult again =
        run_smk({"card", "read", "--reader", stack.reader(0), "--pin-file", pin, "--out", out});
    CHECK(again.exit_code == 7);

    const std::string id = std::to_string(split.identifier());
    const RunResult verify =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", pin,
                 "--expect-identifier", id, "--expect-set", "B", "--expect-index", "3", "--json"});
    INFO("verify stderr: " << verify.err);
    REQUIRE(verify.exit_code == 0);
    const auto json = nlohmann::json::parse(verify.out);
    CHECK(json.at("state") == "valid");
    CHECK(json.at("set") == "B");
    CHECK(json.at("index") == 3);
    CHECK(json.at("words") == 33);
    CHECK(json.at("expectations_met") == true);
    CHECK_FALSE(contains(verify.out, split.mnemonic('B', 3).substr(0, 20)));

    const RunResult wrong = run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file",
                                     pin, "--expect-set", "A", "--expect-index", "4"});
    CHECK(wrong.exit_code == 5);
    CHECK(contains(wrong.out, "NOT AS EXPECTED: set is B, expected A; index is 3, expected 4"));

    const RunResult list =
        run_smk({"card", "list", "--reader", stack.reader(0), "--pin-file", pin, "--json"});
    REQUIRE(list.exit_code == 0);
    const auto entries = nlohmann::json::parse(list.out);
    CHECK(entries[0].at("share").at("state") == "valid");
    CHECK(entries[0].at("share").at("identifier") == split.identifier());
    CHECK(entries[0].at("share").at("set") == "B");
}

TEST_CASE("card e2e: write refuses a card that holds data without --overwrite") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack, "pin", "123456");
    REQUIRE(run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", pin,
                     split.share_file('A', 1)})
                .exit_code == 0);
    const RunResult refused = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                                       pin, split.share_file('A', 2)});
    CHECK(refused.exit_code == 7);
    CHECK(contains(refused.err, "already holds a share record (set A #1"));
    CHECK(contains(refused.err, "--overwrite"));
    // Unchanged.
    const RunResult read =
        run_smk({"card", "read", "--reader", stack.reader(0), "--pin-file", pin, "--out", "-"});
    CHECK(read.out == split.mnemonic('A', 1) + "\n");
    // With --overwrite, from stdin.
    const RunResult replaced = run_smk(
        {"card", "write", "--reader", stack.reader(0), "--pin-file", pin, "--overwrite", "-"},
        split.mnemonic('A', 2) + "\n");
    INFO("stderr: " << replaced.err);
    CHECK(replaced.exit_code == 0);
    const RunResult after =
        run_smk({"card", "read", "--reader", stack.reader(0), "--pin-file", pin, "--out", "-"});
    CHECK(after.out == split.mnemonic('A', 2) + "\n");
}

TEST_CASE("card e2e: wrong PIN shows the tries left, never retries - last try - blocked") {
    PcscStack stack(1);
    const std::string good = pin_file(stack, "pin", "123456");
    const std::string bad = pin_file(stack, "bad", "654321");
    const std::string reader = stack.reader(0);
    CHECK(user_tries(stack, 0) == 3);

    const RunResult first = run_smk({"card", "verify", "--reader", reader, "--pin-file", bad});
    CHECK(first.exit_code == 5);
    CHECK(contains(first.err, "wrong user PIN for card " + stack.serial(0)));
    CHECK(contains(first.err, "2 tries left"));
    CHECK(user_tries(stack, 0) == 2);  // exactly one VERIFY was sent

    const RunResult second = run_smk({"card", "verify", "--reader", reader, "--pin-file", bad});
    CHECK(second.exit_code == 5);
    CHECK(contains(second.err, "1 try left"));
    CHECK(user_tries(stack, 0) == 1);

    // One try left: refused without --last-try, even with the right PIN; nothing sent.
    for (const auto& pin : {bad, good}) {
        const RunResult refused =
            run_smk({"card", "verify", "--reader", reader, "--pin-file", pin});
        CHECK(refused.exit_code == 7);
        CHECK(contains(refused.err, "only 1 user PIN try is left"));
        CHECK(contains(refused.err, "--last-try"));
        CHECK(user_tries(stack, 0) == 1);
    }

    const RunResult last =
        run_smk({"card", "verify", "--reader", reader, "--pin-file", bad, "--last-try"});
    CHECK(last.exit_code == 5);
    CHECK(contains(last.err, "blocked"));
    CHECK(user_tries(stack, 0) == 0);

    const std::string not_share = stack.dir() / "not-a-share.txt";
    smk_test::write_file(not_share, "hello world\n");
    const RunResult blocked =
        run_smk({"card", "write", "--reader", reader, "--pin-file", good, "--last-try", not_share});
    CHECK(blocked.exit_code == 3);  // the share is checked before the card is touched
    const RunResult blocked_read =
        run_smk({"card", "verify", "--reader", reader, "--pin-file", good, "--last-try"});
    CHECK(blocked_read.exit_code == 8);
    CHECK(contains(blocked_read.err, "is blocked"));
    CHECK(contains(blocked_read.err, "RESET RETRY COUNTER"));
}

TEST_CASE("card e2e: a PIN of the wrong length is not sent - PIN options are exclusive") {
    PcscStack stack(1);
    const std::string short_pin = pin_file(stack, "short", "12345");
    const RunResult result =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", short_pin});
    CHECK(result.exit_code == 3);
    CHECK(contains(result.err, "nothing was sent to the card"));
    CHECK(user_tries(stack, 0) == 3);
    const RunResult both = run_smk(
        {"card", "verify", "--reader", stack.reader(0), "--pin-file", short_pin, "--pin-fd", "0"});
    CHECK(both.exit_code == 2);
    const RunResult on_argv =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin", "123456"});
    CHECK(on_argv.exit_code == 2);
}
