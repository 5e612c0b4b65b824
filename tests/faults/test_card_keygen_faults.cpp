// Fault drills for `smk card keygen`: a signal before the admin PIN is tried
// changes nothing on the card; a signal once the card has generated the key
// (while it holds the PUT DATA of the key's fingerprint, smk-cardsim
// --put-data-delay-ms) lets smk finish: fingerprint and time written, public key
// saved, exit 130 with a message saying so. Never a key on the card whose
// public key was lost.

#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <string>

#include "cli/run.hpp"
#include "drill.hpp"
#include "support/pcsc_stack.hpp"

namespace {

using faults::contains;
using faults::lines_with;
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;

}  // namespace

TEST_CASE("SIGINT while smk card keygen waits for the admin PIN - nothing changed - exit 130") {
    PcscStack stack(1);
    const std::string pem = stack.dir() / "card.pem";
    smk_test::Command command =
        smk_test::smk_command({"card", "keygen", "--reader", stack.reader(0), "--public-key-out",
                               pem, "--admin-pin-fd", "3"});
    command.pipe_fd = 3;
    faults::Child keygen(command);
    const bool waiting =
        faults::wait_for([&] { return faults::blocked_on_pipe_read(keygen.pid()); });
    keygen.signal(SIGINT);
    const bool handled =
        faults::wait_for([&] { return faults::signal_handled(keygen.pid(), SIGINT); });
    const bool survived = keygen.running();
    if (survived) {
        keygen.write_pipe("12345678\n");
    }
    const faults::Outcome o = keygen.wait();
    INFO("exit " << o.code << ", stderr: " << o.err);
    REQUIRE_MESSAGE(waiting, "smk never blocked reading its admin PIN from the pipe");
    REQUIRE(handled);
    CHECK(survived);
    CHECK(o.exited);
    CHECK(o.code == 130);
    CHECK(contains(o.err, "SIGINT received"));
    CHECK(contains(o.err, "nothing was changed on card " + stack.serial(0)));
    CHECK_FALSE(std::filesystem::exists(pem));
    CHECK(lines_with(stack.card_log(0), "00 20 00 83", "->") == 0);
    const RunResult none =
        run_smk({"card", "public-key", "--reader", stack.reader(0), "--out", "-"});
    CHECK(none.exit_code == 5);  // no key on the card
}

TEST_CASE("SIGTERM once the card generated the key - smk saves its public key - exit 130") {
    PcscStack stack(1, {{0, "--put-data-delay-ms 1500"}});
    const std::string pem = stack.dir() / "card.pem";
    const std::string admin = stack.dir() / "admin";
    smk_test::write_file(admin, "12345678\n");
    faults::Child keygen = faults::spawn_smk({"card", "keygen", "--reader", stack.reader(0),
                                              "--admin-pin-file", admin, "--public-key-out", pem});
    const bool held = faults::wait_for(
        [&] { return lines_with(stack.card_log(0), "00 DA 00 C9", "PUT DATA held") > 0; });
    keygen.signal(SIGTERM);
    const faults::Outcome o = keygen.wait();
    INFO("exit " << o.code << ", stderr: " << o.err);
    REQUIRE_MESSAGE(held, "the card never received the PUT DATA of the key's fingerprint");
    CHECK(o.exited);
    CHECK(o.code == 130);
    CHECK(contains(o.err, "SIGTERM received"));
    CHECK(contains(o.err, "already been generated on card " + stack.serial(0)));
    REQUIRE(std::filesystem::exists(pem));
    // The file holds the key the card has, and the card attests with it.
    const std::string again = stack.dir() / "again.pem";
    const RunResult shown =
        run_smk({"card", "public-key", "--reader", stack.reader(0), "--out", again});
    REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
    CHECK(smk_test::read_file(again) == smk_test::read_file(pem));
    CHECK(lines_with(stack.card_log(0), "00 DA 00 D0", "->") == 1);  // the time written too
}
