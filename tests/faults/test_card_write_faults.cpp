// Fault drill for `smk card write`, black box: a private pcscd + smk-cardsim stack
// (scripts/pcsc-env.sh), and pcscd killed right after the card has received the
// PUT DATA that writes the new share record. Afterwards, with a fresh pcscd and
// the same card, the card must hold the old record or the new one (never a
// half-written record that reads as good), and smk must have said what to do.
// (The emulator vanishing at the same moment is drilled in tests/smartcard
// "card killed right after PUT DATA".)

#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
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

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t found = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++found;
    }
    return found;
}

// scripts/pcsc-env.sh ARGS... on the stack's dir, its output in files there (the
// daemons it starts keep them open).
smk_test::ProcessResult pcsc_env(const std::string& dir, std::vector<std::string> args) {
    args.insert(args.begin(), {std::string(SMK_SOURCE_DIR) + "/scripts/pcsc-env.sh"});
    smk_test::Command command(std::move(args));
    command.capture_dir = dir;
    return smk_test::run_process(command);
}

}  // namespace

TEST_CASE(
    "pcscd killed during smk card write - the card holds the old or the new record, smk says what "
    "to do") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    REQUIRE(run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file", pin,
                     split.share_file('B', 1)})
                .exit_code == 0);
    const std::size_t puts_before = occurrences(stack.card_log(0), "00 DA 01 03");
    // `smk card write ... --pin-fd 3` with the PIN pipe still open: it opens the
    // card and then waits for the PIN, which comes at once.
    smk_test::Child write = smk_test::start_smk_pin_pipe(
        {"card", "write", "--reader", stack.reader(0), "--overwrite", split.share_file('B', 2)});
    write.write_pipe("123456\n");
    bool put_seen = false;
    for (int waited = 0; waited < 10000 && !put_seen; waited += 2) {
        put_seen = occurrences(stack.card_log(0), "00 DA 01 03") > puts_before;
        if (!put_seen) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    const int pcscd = std::stoi(stack.env("SMK_PCSC_PCSCD_PID"));
    ::kill(pcscd, SIGKILL);
    const RunResult cut = smk_test::as_run_result(write.wait());
    INFO("write exit " << cut.exit_code << ", stderr: " << cut.err);
    REQUIRE(put_seen);

    // A fresh pcscd over the same card state (no --fresh: the card keeps its DOs).
    const std::string dir = stack.dir().path().string();
    (void)pcsc_env(dir, {"stop", dir});
    const smk_test::ProcessResult restart =
        pcsc_env(dir, {"start", dir, "1", "--binary", SMK_CARDSIM_BINARY});
    REQUIRE_MESSAGE(restart.shell_status() == 0, restart.out << restart.err);
    const RunResult verify =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", pin, "--json"});
    INFO("verify stderr: " << verify.err);
    REQUIRE(verify.exit_code == 0);  // a valid record: the old one or the new one
    const auto json = nlohmann::json::parse(verify.out);
    CHECK(json.at("state") == "valid");
    if (cut.exit_code == 0) {
        MESSAGE("the write and its read-back completed before pcscd died");
        CHECK(json.at("index") == 2);
    } else {
        CHECK(cut.exit_code == 8);                    // device
        CHECK(contains(cut.err, "smk card verify"));  // what to do next
        CHECK((json.at("index") == 1 || json.at("index") == 2));
    }
}
