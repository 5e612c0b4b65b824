// `smk card` end to end when things go wrong: pcscd absent, no such reader, an
// empty reader, cards without (or with too small) private DOs, a bad share file,
// the card pulled in the middle of a write, and wiping.

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "support/pcsc_stack.hpp"

namespace {

using smk_test::contains;
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;

std::string pin_file(const PcscStack& stack) {
    const std::string path = stack.dir() / "pin";
    smk_test::write_file(path, "123456\n");
    return path;
}

// smk with the PIN on an inherited pipe (--pin-fd, cli/run.hpp): it blocks
// reading the PIN after it has opened the card, until the test writes it.
RunResult finish(smk_test::Child& pending, const std::string& pin) {
    if (!pin.empty()) {
        pending.write_pipe(pin);
    }
    pending.close_pipe();
    return smk_test::as_run_result(pending.wait());
}

bool wait_for_log(const PcscStack& stack, int card, const std::string& needle, std::size_t count,
                  int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 5) {
        const std::string log = stack.card_log(card);
        std::size_t found = 0;
        for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
            ++found;
        }
        if (found >= count) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t found = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++found;
    }
    return found;
}

}  // namespace

TEST_CASE("card e2e: pcscd not running gives a clear device error") {
    smk_test::TempDir dir;
    ::setenv("PCSCLITE_CSOCK_NAME", (dir / "no-such.comm").c_str(), 1);
    const RunResult list = run_smk({"card", "list"});
    const RunResult verify =
        run_smk({"card", "verify", "--reader", "x", "--pin-file", "/dev/null"});
    ::unsetenv("PCSCLITE_CSOCK_NAME");
    CHECK(list.exit_code == 8);
    CHECK(contains(list.err, "pcscd is not running; start it (pcscd) and try again"));
    CHECK(verify.exit_code == 8);
    CHECK(contains(verify.err, "pcscd is not running"));
}

TEST_CASE("card e2e: unknown reader, ambiguous reader, empty reader") {
    PcscStack stack(2);
    const std::string pin = pin_file(stack);
    const RunResult unknown = run_smk({"card", "verify", "--reader", "nowhere", "--pin-file", pin});
    CHECK(unknown.exit_code == 8);
    CHECK(contains(unknown.err, "no reader matches \"nowhere\""));
    CHECK(contains(unknown.err, stack.reader(0)));
    const RunResult ambiguous =
        run_smk({"card", "verify", "--reader", "cardsim", "--pin-file", pin});
    CHECK(ambiguous.exit_code == 2);
    CHECK(contains(ambiguous.err, "matches 2 readers"));

    stack.card_stop(1);
    // pcscd notices a vanished virtual card on its next presence poll: wait for it
    // (bounded), as an operator waits for the reader light to go out.
    for (int i = 0; i < 50; ++i) {
        if (contains(run_smk({"card", "list"}).out,
                     "reader \"" + stack.reader(1) + "\": no card")) {
            break;
        }
        ::usleep(100 * 1000);
    }
    const RunResult empty =
        run_smk({"card", "verify", "--reader", stack.reader(1), "--pin-file", pin});
    CHECK(empty.exit_code == 8);
    CHECK_MESSAGE(contains(empty.err, "there is no card in reader \"" + stack.reader(1) + "\""),
                  empty.err);
    const RunResult list = run_smk({"card", "list"});
    CHECK(list.exit_code == 0);
    CHECK(contains(list.out, "reader \"" + stack.reader(1) + "\": no card"));
}

TEST_CASE("card e2e: no private DOs, or too small, points at the PKCS#11 store") {
    PcscStack stack(
        3, {{0, "--no-private-dos"}, {1, "--private-do-size 60"}, {2, "--private-do-size 64"}});
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack);
    const std::string share = split.share_file('A', 4);
    const RunResult none =
        run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", pin, share});
    CHECK(none.exit_code == 8);
    CHECK(contains(none.err, "has no private-use data objects"));
    CHECK(contains(none.err, "--pkcs11-module SO --token LABEL"));
    CHECK(contains(none.err, "smk card write --pkcs11-module"));
    const RunResult small =
        run_smk({"card", "write", "--reader", stack.reader(1), "--pin-file", pin, share});
    CHECK(small.exit_code == 8);
    CHECK(contains(small.err, "at most 60 bytes"));
    CHECK(contains(small.err, "needs 61"));
    CHECK(contains(small.err, "PKCS#11"));
    // 64 bytes hold the 61-byte record of a 33-word share.
    const RunResult fits =
        run_smk({"card", "write", "--reader", stack.reader(2), "--pin-file", pin, share});
    INFO("stderr: " << fits.err);
    CHECK(fits.exit_code == 0);
}

TEST_CASE("card e2e: a bad share file is refused before the card is touched") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    std::string words = split.mnemonic('A', 1);
    words = words.substr(0, words.rfind(' ') + 1) +
            (words.substr(words.rfind(' ') + 1) == "academic" ? "acid" : "academic");
    const std::string bad = stack.dir() / "bad-share.txt";
    smk_test::write_file(bad, words + "\n");
    const std::size_t apdus_before = occurrences(stack.card_log(0), "->");
    const RunResult result =
        run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", pin_file(stack), bad});
    CHECK(result.exit_code == 3);
    CHECK(contains(result.err, "bad-share.txt"));
    CHECK(contains(result.err, "checksum"));
    CHECK(occurrences(stack.card_log(0), "->") == apdus_before);
}

TEST_CASE("card e2e: card removed before the write keeps the old record, and verify says so") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack);
    REQUIRE(run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", pin,
                     split.share_file('A', 1)})
                .exit_code == 0);
    const std::size_t c4_before = occurrences(stack.card_log(0), "00 CA 00 C4");
    smk_test::Child pending = smk_test::start_smk_pin_pipe(
        {"card", "write", "--reader", stack.reader(0), "--overwrite", split.share_file('A', 2)});
    // smk has opened the card (it read C4) and now waits for the PIN: pull the card.
    REQUIRE(wait_for_log(stack, 0, "00 CA 00 C4", c4_before + 1, 10000));
    stack.card_stop(0);
    const RunResult cut = finish(pending, "123456\n");
    CHECK(cut.exit_code == 8);
    INFO("stderr: " << cut.err);
    CHECK((contains(cut.err, "card was removed") || contains(cut.err, "failed (card removed") ||
           contains(cut.err, "does not answer")));
    stack.card_start(0);
    const RunResult verify = run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file",
                                      pin, "--expect-set", "A", "--expect-index", "1"});
    INFO("verify stderr: " << verify.err);
    CHECK(verify.exit_code == 0);
    CHECK(contains(verify.out, "VALID share record: set A #1"));
}

TEST_CASE("card e2e: card killed right after PUT DATA: smk says what to check, verify tells") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack);
    REQUIRE(run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", pin,
                     split.share_file('B', 1)})
                .exit_code == 0);
    const std::size_t puts_before = occurrences(stack.card_log(0), "00 DA 01 03");
    smk_test::Child pending = smk_test::start_smk_pin_pipe(
        {"card", "write", "--reader", stack.reader(0), "--overwrite", split.share_file('B', 2)});
    pending.write_pipe("123456\n");  // then closed: smk reads the PIN up to end of file
    const bool put_seen = wait_for_log(stack, 0, "00 DA 01 03", puts_before + 1, 10000);
    ::kill(stack.card_pid(0), SIGKILL);
    const RunResult cut = finish(pending, "");
    REQUIRE(put_seen);
    stack.card_start(0);
    const RunResult verify =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", pin, "--json"});
    INFO("write stderr: " << cut.err << "\nverify stderr: " << verify.err);
    REQUIRE(verify.exit_code == 0);  // the old record or the new one, never garbage
    const auto json = nlohmann::json::parse(verify.out);
    CHECK(json.at("state") == "valid");
    if (cut.exit_code == 0) {
        // smk finished its read-back before the card died: it must hold the new share.
        MESSAGE("the write completed before the card was killed");
        CHECK(json.at("index") == 2);
    } else {
        MESSAGE("the card was killed during the write; verify found index " << json.at("index"));
        CHECK(cut.exit_code == 8);
        CHECK(contains(cut.err, "may or may not have happened"));
        CHECK(contains(cut.err, "smk card verify"));
        CHECK((json.at("index") == 1 || json.at("index") == 2));
    }
}

TEST_CASE("card e2e: wipe needs --yes or a terminal, then the card reads back empty") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack);
    REQUIRE(run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", pin,
                     split.share_file('A', 5)})
                .exit_code == 0);
    const RunResult no_tty =
        run_smk({"card", "wipe", "--reader", stack.reader(0), "--pin-file", pin});
    CHECK(no_tty.exit_code == 2);
    CHECK(contains(no_tty.err, "--yes"));
    const auto declined =
        smk_test::run_smk_pty({"card", "wipe", "--reader", stack.reader(0), "--pin-file", pin},
                              {{"Type 'wipe' to confirm: ", "no\n"}}, false);
    CHECK(declined.exit_code == 7);
    const RunResult still =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", pin});
    CHECK(still.exit_code == 0);

    const auto confirmed =
        smk_test::run_smk_pty({"card", "wipe", "--reader", stack.reader(0), "--pin-file", pin},
                              {{"Type 'wipe' to confirm: ", "wipe\n"}}, false);
    INFO("stderr: " << confirmed.err);
    CHECK(confirmed.exit_code == 0);
    CHECK(contains(confirmed.out, "reads back empty"));
    const RunResult empty =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", pin, "--json"});
    CHECK(empty.exit_code == 5);
    CHECK(nlohmann::json::parse(empty.out).at("state") == "empty");
    CHECK(contains(empty.err, "DO 0103 is empty"));
    CHECK(run_smk({"card", "wipe", "--reader", stack.reader(0), "--pin-file", pin, "--yes"})
              .exit_code == 0);
}
