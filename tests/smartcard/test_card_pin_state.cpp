// No PIN session outlives smk (issue 14): after every `smk card` command that
// sent a PIN, another process on the same reader (scriptor, raw APDUs, no
// SELECT) gets 6982 for GET DATA 0103. And listing never spends a PIN try: a
// PIN goes only to the card named with --reader.

#include <doctest/doctest.h>

#include <filesystem>
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
using smk_test::user_tries;

}  // namespace

TEST_CASE("card pin state e2e: the probe sees an open PIN session when there is one") {
    // The control: VERIFY then GET DATA in one scriptor run reads the DO, so a
    // 6982 after smk means the card really forgot the PIN.
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack, "pin", "123456");
    REQUIRE(run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", pin,
                     split.share_file('A', 1)})
                .exit_code == 0);
    const std::string open =
        stack.scriptor(0, "00 20 00 82 06 31 32 33 34 35 36\n00 CA 01 03 00\n");
    INFO("scriptor: " << open);
    CHECK(contains(open, "90 00"));
    CHECK_FALSE(contains(open, "69 82"));
}

TEST_CASE(
    "card pin state e2e: after write read verify wipe and a refusal no PIN is left verified") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack, "pin", "123456");
    const std::string reader = stack.reader(0);

    const RunResult write =
        run_smk({"card", "write", "--reader", reader, "--pin-file", pin, split.share_file('A', 2)});
    INFO("write stderr: " << write.err);
    REQUIRE(write.exit_code == 0);
    CHECK(stack.share_do_closed(0));

    const RunResult read =
        run_smk({"card", "read", "--reader", reader, "--pin-file", pin, "--out", "-"});
    REQUIRE(read.exit_code == 0);
    CHECK(stack.share_do_closed(0));

    const RunResult verify = run_smk({"card", "verify", "--reader", reader, "--pin-file", pin});
    REQUIRE(verify.exit_code == 0);
    CHECK(stack.share_do_closed(0));

    // Failures after the PIN was verified clear it too: a write refused because
    // the card holds a share, and a verify whose expectations are not met.
    const RunResult refused =
        run_smk({"card", "write", "--reader", reader, "--pin-file", pin, split.share_file('A', 3)});
    CHECK(refused.exit_code == 7);
    CHECK(stack.share_do_closed(0));
    const RunResult unexpected =
        run_smk({"card", "verify", "--reader", reader, "--pin-file", pin, "--expect-index", "5"});
    CHECK(unexpected.exit_code == 5);
    CHECK(stack.share_do_closed(0));

    const RunResult list =
        run_smk({"card", "list", "--reader", reader, "--pin-file", pin, "--json"});
    REQUIRE(list.exit_code == 0);
    CHECK(stack.share_do_closed(0));

    const RunResult wipe =
        run_smk({"card", "wipe", "--reader", reader, "--pin-file", pin, "--yes"});
    REQUIRE(wipe.exit_code == 0);
    CHECK(stack.share_do_closed(0));
}

TEST_CASE(
    "card pin state e2e: a card that refuses VERIFY P1=FF is reset - no PIN is left verified") {
    // smk-cardsim --no-verify-reset answers VERIFY P1=FF with 6A86 and keeps the
    // PIN verified, as an OpenPGP 2.x card does: smk must disconnect with a reset.
    PcscStack stack(1, {{0, "--no-verify-reset"}});
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack, "pin", "123456");
    const std::string reader = stack.reader(0);
    // What the card saw from one smk run: the refused P1=FF, then the reset
    // pcscd passed on from smk's disconnect (taken before any probe connects).
    const auto check_reset_after_refusal = [&](const std::string& log) {
        INFO("card log of this smk run: " << log);
        const auto refused = log.find("00 20 FF 82 (0 bytes) -> 6A86");
        REQUIRE(refused != std::string::npos);
        CHECK(log.find("vpcd reset: PIN verification cleared", refused) != std::string::npos);
    };

    std::size_t from = stack.card_log(0).size();
    const RunResult write =
        run_smk({"card", "write", "--reader", reader, "--pin-file", pin, split.share_file('A', 1)});
    INFO("write stderr: " << write.err);
    REQUIRE(write.exit_code == 0);
    check_reset_after_refusal(stack.card_log(0).substr(from));
    CHECK(stack.share_do_closed(0));

    // The control, so this test can fail: on this card P1=FF leaves the PIN
    // verified (6A86) and the record still reads after it; only a reset can
    // explain the 6982 above. The PIN stays verified when scriptor exits.
    const std::string kept =
        stack.scriptor(0, "00 20 00 82 06 31 32 33 34 35 36\n00 20 FF 82\n00 CA 01 03 00\n");
    INFO("scriptor: " << kept);
    CHECK(contains(kept, "< 6A 86"));
    CHECK_FALSE(contains(kept, "69 82"));
    // The answer to GET DATA carries the record before its 90 00.
    const auto get = kept.find("> 00 CA 01 03 00");
    REQUIRE(get != std::string::npos);
    const auto answer = kept.find("< ", get);
    REQUIRE(answer != std::string::npos);
    CHECK(kept.compare(answer, 7, "< 90 00") != 0);
    CHECK(kept.find("90 00 : Normal", answer) != std::string::npos);

    from = stack.card_log(0).size();
    const RunResult read =
        run_smk({"card", "read", "--reader", reader, "--pin-file", pin, "--out", "-"});
    INFO("read stderr: " << read.err);
    REQUIRE(read.exit_code == 0);
    CHECK(read.out == split.mnemonic('A', 1) + "\n");
    check_reset_after_refusal(stack.card_log(0).substr(from));
    CHECK(stack.share_do_closed(0));
}

TEST_CASE("card pin state e2e: card list sends a PIN only to the card named with --reader") {
    PcscStack stack(2);
    const std::string bad = pin_file(stack, "bad", "654321");
    CHECK(user_tries(stack, 0) == 3);
    CHECK(user_tries(stack, 1) == 3);

    // No card named: refused before any card is touched.
    const RunResult unnamed = run_smk({"card", "list", "--pin-file", bad});
    CHECK(unnamed.exit_code == 2);
    CHECK(contains(unnamed.err, "a PIN goes only to the card you name: add --reader"));
    CHECK(unnamed.out.empty());
    CHECK(user_tries(stack, 0) == 3);
    CHECK(user_tries(stack, 1) == 3);

    // Named: one try from that card only; the counter shown is the one after the
    // try, the error on its own line, and the exit code says the PIN was wrong.
    const RunResult named =
        run_smk({"card", "list", "--reader", stack.reader(0), "--pin-file", bad});
    INFO("list out: " << named.out << "\nerr: " << named.err);
    CHECK(named.exit_code == 5);
    CHECK(contains(named.out, "card " + stack.serial(0) + ", user PIN tries left 2,"));
    CHECK(contains(named.out, "share not read:\n  wrong user PIN for card " + stack.serial(0)));
    CHECK_FALSE(contains(named.out, "user PIN tries left 3"));
    CHECK_FALSE(contains(named.out, stack.reader(1)));
    CHECK(user_tries(stack, 0) == 2);
    CHECK(user_tries(stack, 1) == 3);
}

TEST_CASE(
    "card pin state e2e: read and wipe on a card without private DOs name the PKCS#11 store") {
    PcscStack stack(1, {{0, "--no-private-dos"}});
    const std::string pin = pin_file(stack, "pin", "123456");
    for (const auto& command :
         {std::vector<std::string>{"card", "read", "--reader", stack.reader(0), "--pin-file", pin,
                                   "--out", "-"},
          std::vector<std::string>{"card", "verify", "--reader", stack.reader(0), "--pin-file",
                                   pin},
          std::vector<std::string>{"card", "wipe", "--reader", stack.reader(0), "--pin-file", pin,
                                   "--yes"}}) {
        const RunResult result = run_smk(command);
        INFO(command[1] << " stderr: " << result.err);
        CHECK(result.exit_code == 8);
        CHECK(contains(result.err, "card " + stack.serial(0)));
        CHECK(contains(result.err, "has no private-use data objects"));
        CHECK(contains(result.err, "--pkcs11-module SO --token LABEL"));
        CHECK_FALSE(contains(result.err, "DO 0103 is empty"));
        CHECK(result.out.empty());
    }
    CHECK(user_tries(stack, 0) == 3);  // refused before the PIN was sent
}

TEST_CASE("card pin state e2e: a write is these 11 APDUs and ends with VERIFY FF and its check") {
    // The APDU count docs/CARDSIM.md and bench/cards.sh give: a regression in
    // what smk sends (a second C4 read, a missing P1=FF) shows here.
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack, "pin", "123456");
    const std::size_t logged_before = stack.card_log(0).size();
    const RunResult write = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                                     pin, split.share_file('A', 4)});
    REQUIRE(write.exit_code == 0);
    CHECK(smk_test::sent_since(stack, 0, logged_before) ==
          std::vector<std::string>{"00 A4 04 00", "00 CA 00 4F", "00 CA 00 C0", "00 CA 7F 66",
                                   "00 CA 00 C4", "00 20 00 82", "00 CA 01 03", "00 DA 01 03",
                                   "00 CA 01 03", "00 20 FF 82", "00 20 00 82"});
}

TEST_CASE("card pin state e2e: a card that answers 9000 to VERIFY FF but keeps the PIN is reset") {
    // smk-cardsim --verify-reset-ignored reads no P1, as Gnuk before 1.2: VERIFY
    // FF without data is a status query, 9000 while the PIN is verified. smk asks
    // the status after P1=FF, sees it still verified, and resets the card.
    PcscStack stack(1, {{0, "--verify-reset-ignored"}});
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack, "pin", "123456");
    const std::size_t from = stack.card_log(0).size();
    const RunResult write = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                                     pin, split.share_file('A', 2)});
    INFO("write stderr: " << write.err);
    REQUIRE(write.exit_code == 0);
    const std::string log = stack.card_log(0).substr(from);
    INFO("card log: " << log);
    const auto forgot = log.find("00 20 FF 82 (0 bytes) -> 9000");
    REQUIRE(forgot != std::string::npos);
    const auto status = log.find("00 20 00 82 (0 bytes) -> 9000", forgot);
    REQUIRE(status != std::string::npos);
    CHECK(log.find("vpcd reset: PIN verification cleared", status) != std::string::npos);
    CHECK(stack.share_do_closed(0));
}
