// Fault drills: SIGINT and SIGTERM while smk writes a share to an OpenPGP card,
// black box, on a private pcscd + smk-cardsim stack (scripts/pcsc-env.sh).
// smk runs the write in an InterruptScope (smk/interrupt.hpp): the signal is
// noted, the APDU in flight completes, and smk stops at the next safe point with
// exit code 130 and a message that says what the card holds and what to do.
// Two windows are hit on purpose:
// - before the write: smk waits for its PIN on a pipe (--pin-fd) that the drill
//   writes only after the signal; nothing may be written, the PIN not even tried;
// - during the write: the card holds its PUT DATA for 1.5 s (smk-cardsim
//   --put-data-delay-ms, docs/CARDSIM.md) and the signal comes meanwhile; smk
//   must finish the write, read it back, and say so.
// Afterwards `smk card verify` must find the old record or the new complete one.
// smk split --to-cards is drilled the same way: a signal while the first card
// is being written stops it before the second card, naming the card written.

#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "drill.hpp"
#include "support/pcsc_stack.hpp"

namespace {

using faults::contains;
using faults::lines_with;
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;

constexpr const char* kSlowCard = "--put-data-delay-ms 1500";

// A PUT DATA of DO 0103 the card has answered ("... -> 9000 ...") / is holding.
std::size_t puts_done(const PcscStack& stack, int card) {
    return lines_with(stack.card_log(card), "00 DA 01 03", "->");
}
std::size_t puts_held(const PcscStack& stack, int card) {
    return lines_with(stack.card_log(card), "00 DA 01 03", "PUT DATA held");
}
std::size_t pin_verifies(const PcscStack& stack, int card) {
    return lines_with(stack.card_log(card), "00 20 00 82", "->");
}

nlohmann::json verify_json(const PcscStack& stack, int card, const std::string& pin,
                           int expected_exit) {
    const RunResult verify =
        run_smk({"card", "verify", "--reader", stack.reader(card), "--pin-file", pin, "--json"});
    INFO("verify exit " << verify.exit_code << ", stderr: " << verify.err);
    REQUIRE(verify.exit_code == expected_exit);
    return nlohmann::json::parse(verify.out);
}

std::string signal_name(int sig) {
    return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

// The card holds share B#1; smk card write --overwrite of B#2 waits for its PIN,
// gets `sig`, then the PIN: it must stop before touching the card.
void drill_signal_before_write(int sig, const PcscStack& stack, const smk_test::SplitRun& split,
                               const std::string& pin) {
    const std::size_t puts_before = puts_done(stack, 0);
    const std::size_t verifies_before = pin_verifies(stack, 0);
    faults::Child write = smk_test::start_smk_pin_pipe(
        {"card", "write", "--reader", stack.reader(0), "--overwrite", split.share_file('B', 2)});
    const bool waiting =
        faults::wait_for([&] { return faults::blocked_on_pipe_read(write.pid()); });
    write.signal(sig);
    const bool handled = faults::wait_for([&] { return faults::signal_handled(write.pid(), sig); });
    const bool survived_signal = write.running();
    if (survived_signal) {
        write.write_pipe("123456\n");
    }
    const faults::Outcome o = write.wait();
    INFO("exit: " << std::string(o.exited ? "code " : "signal ") << o.code
                  << "\nstderr: " << o.err);
    REQUIRE_MESSAGE(waiting, "smk never blocked reading its PIN from the pipe");
    REQUIRE_MESSAGE(handled, "smk neither ended nor went back to reading its PIN");
    CHECK_MESSAGE(survived_signal, "smk died of the signal instead of noting it");
    CHECK(o.exited);
    CHECK(o.code == 130);
    CHECK(contains(o.err, signal_name(sig) + " received"));
    CHECK(contains(o.err, "nothing was written to card"));
    CHECK(contains(o.err, "Run the same command again"));
    CHECK(o.out.empty());
    // The card saw neither the PIN nor a write.
    CHECK(pin_verifies(stack, 0) == verifies_before);
    CHECK(puts_done(stack, 0) == puts_before);
    const auto json = verify_json(stack, 0, pin, 0);
    CHECK(json.at("state") == "valid");
    CHECK(json.at("set") == "B");
    CHECK(json.at("index") == 1);  // the old record
}

// The card holds B#1 and answers PUT DATA only after 1.5 s; `sig` arrives while
// it holds the PUT DATA of B#2: smk must finish, read back, and say so.
void drill_signal_during_write(int sig, const PcscStack& stack, const smk_test::SplitRun& split,
                               const std::string& pin) {
    const std::size_t held_before = puts_held(stack, 0);
    const std::size_t puts_before = puts_done(stack, 0);
    faults::Child write = smk_test::start_smk_pin_pipe(
        {"card", "write", "--reader", stack.reader(0), "--overwrite", split.share_file('B', 2)});
    write.write_pipe("123456\n");
    const bool held = faults::wait_for([&] { return puts_held(stack, 0) > held_before; });
    const bool answered_before_signal = puts_done(stack, 0) > puts_before;
    write.signal(sig);
    const faults::Outcome o = write.wait();
    INFO("exit: " << std::string(o.exited ? "code " : "signal ") << o.code << "\nstdout: " << o.out
                  << "\nstderr: " << o.err);
    REQUIRE_MESSAGE(held, "the card never received the PUT DATA of the new record");
    REQUIRE_MESSAGE(!answered_before_signal, "the PUT DATA was answered before the signal");
    CHECK(o.exited);
    CHECK(o.code == 130);
    CHECK(contains(o.err, signal_name(sig) + " received"));
    CHECK(contains(o.err, "had already begun, so smk finished it and read it back: OK"));
    CHECK(contains(o.err, "smk card verify --reader"));  // what to do next
    CHECK(contains(o.out, "read it back: OK"));
    CHECK(puts_done(stack, 0) == puts_before + 1);
    CHECK(stack.share_do_closed(0));  // stopped by a signal, it still forgot the PIN
    const auto json = verify_json(stack, 0, pin, 0);
    CHECK(json.at("state") == "valid");
    CHECK(json.at("set") == "B");
    CHECK(json.at("index") == 2);  // the new record, complete
}

void drill_card_write(int sig) {
    PcscStack stack(1, {{0, kSlowCard}});
    const smk_test::SplitRun split;
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    const RunResult first = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                                     pin, split.share_file('B', 1)});
    INFO("first write stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    SUBCASE("before the write") {
        drill_signal_before_write(sig, stack, split, pin);
    }
    SUBCASE("during the write") {
        drill_signal_during_write(sig, stack, split, pin);
    }
}

// smk split --to-cards over two slow cards (a 2-of-2 set: holder 1 gets card 0,
// holder 2 card 1); `sig` arrives while card 0 holds its PUT DATA.
void drill_split_to_cards(int sig) {
    PcscStack stack(2, {{0, kSlowCard}, {1, kSlowCard}});
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    faults::Child split =
        faults::spawn_smk({"split", "--group", "2/2", "--to-cards", "--pin-file", pin});
    const bool held = faults::wait_for([&] { return puts_held(stack, 0) > 0; });
    split.signal(sig);
    const faults::Outcome o = split.wait();
    INFO("exit: " << std::string(o.exited ? "code " : "signal ") << o.code << "\nstdout: " << o.out
                  << "\nstderr: " << o.err);
    REQUIRE_MESSAGE(held, "card 0 never received a PUT DATA");
    CHECK(o.exited);
    CHECK(o.code == 130);
    CHECK(contains(o.err, signal_name(sig) + " received: stopped before the card of holder 2"));
    CHECK(contains(o.err, "NOT complete"));
    CHECK(contains(o.err, "card " + stack.serial(0) + ": set A #1"));  // which cards were written
    CHECK_FALSE(contains(o.err, "card " + stack.serial(1) + ":"));
    CHECK(contains(o.err, "smk split --to-cards --overwrite"));  // what to do next
    CHECK(lines_with(stack.card_log(1), "00 DA 01 03") == 0);    // card 1 never written
    const auto first = verify_json(stack, 0, pin, 0);
    CHECK(first.at("state") == "valid");
    CHECK(first.at("set") == "A");
    CHECK(first.at("index") == 1);
    const auto second = verify_json(stack, 1, pin, 5);  // verification: holds no share
    CHECK(second.at("state") == "empty");
}

// smk split --to-cards --interactive: after card 0 is written it asks for the
// card's removal and waits (--card-timeout 60). `sig` arrives during that wait:
// smk must stop then (its message says it stopped while waiting for the removal),
// not at the end of the wait.
void drill_split_waiting_for_removal(int sig) {
    PcscStack stack(2);
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    faults::Child split =
        faults::spawn_smk({"split", "--group", "2/2", "--to-cards", "--interactive",
                           "--card-timeout", "60", "--pin-file", pin});
    // The read-back of the record follows the PUT DATA; then smk asks for the removal.
    const bool written = faults::wait_for([&] { return puts_done(stack, 0) > 0; });
    const bool asked = faults::wait_for([&] { return split.stderr_has("Remove the card from"); },
                                        std::chrono::seconds(60));
    split.signal(sig);
    const faults::Outcome o = split.wait();
    INFO("exit: " << std::string(o.exited ? "code " : "signal ") << o.code
                  << "\nstderr: " << o.err);
    REQUIRE_MESSAGE(written, "card 0 was never written");
    REQUIRE_MESSAGE(asked, "smk never asked for the removal of card 0");
    CHECK(contains(o.err, "Remove the card from \"" + stack.reader(0) + "\""));
    CHECK(o.exited);
    CHECK(o.code == 130);
    CHECK(contains(o.err, signal_name(sig) + " received: stopped while waiting for the card in \"" +
                              stack.reader(0) + "\" to be removed"));
    CHECK(contains(o.err, "card " + stack.serial(0) + ": set A #1"));
    CHECK(contains(o.err, "NOT complete"));
    CHECK(lines_with(stack.card_log(1), "00 DA 01 03") == 0);
}

}  // namespace

TEST_CASE(
    "SIGINT during smk card write - exit 130, the card holds the old or the new complete record") {
    drill_card_write(SIGINT);
}

TEST_CASE(
    "SIGTERM during smk card write - exit 130, the card holds the old or the new complete record") {
    drill_card_write(SIGTERM);
}

TEST_CASE(
    "SIGINT during smk split --to-cards - stops before the next card, exit 130, names the card "
    "written") {
    drill_split_to_cards(SIGINT);
}

TEST_CASE(
    "SIGTERM during smk split --to-cards - stops before the next card, exit 130, names the card "
    "written") {
    drill_split_to_cards(SIGTERM);
}

TEST_CASE(
    "SIGTERM while smk split --to-cards --interactive waits for a card to be removed - stops at "
    "once, exit 130") {
    drill_split_waiting_for_removal(SIGTERM);
}
