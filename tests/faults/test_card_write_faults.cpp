// Fault drill for `smk card write`, black box: a private pcscd + smk-cardsim stack
// (scripts/pcsc-env.sh), and pcscd killed right after the card has received the
// PUT DATA that writes the new share record. Afterwards, with a fresh pcscd and
// the same card, the card must hold the old record or the new one (never a
// half-written record that reads as good), and smk must have said what to do.
// (The emulator vanishing at the same moment is drilled in tests/smartcard
// "card killed right after PUT DATA".)

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "smartcard/pcsc_stack.hpp"

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

// `smk card write ... --pin-fd N` started with the PIN pipe still open: it opens
// the card and then waits for the PIN.
struct Pending {
    pid_t pid = -1;
    int pin_write = -1;
    std::string out_path;
    std::string err_path;
};

Pending start_card_write(const PcscStack& stack, std::vector<std::string> args) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    ::fcntl(pipe_fds[1], F_SETFD, FD_CLOEXEC);
    Pending p;
    p.out_path = stack.dir() / "drill.out";
    p.err_path = stack.dir() / "drill.err";
    args.push_back("--pin-fd");
    args.push_back(std::to_string(pipe_fds[0]));
    auto argv = smk_test::make_argv(args);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, p.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, p.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    REQUIRE(::posix_spawn(&p.pid, SMK_BINARY, &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[0]);
    p.pin_write = pipe_fds[1];
    return p;
}

RunResult wait_end(Pending& p) {
    if (p.pin_write >= 0) {
        ::close(p.pin_write);
    }
    int status = 0;
    REQUIRE(::waitpid(p.pid, &status, 0) == p.pid);
    return {smk_test::decode_status(status), smk_test::read_file(p.out_path),
            smk_test::read_file(p.err_path)};
}

std::string pcsc_env_script() {
    return std::string(SMK_SOURCE_DIR) + "/scripts/pcsc-env.sh";
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
    Pending write = start_card_write(stack, {"card", "write", "--reader", stack.reader(0),
                                             "--overwrite", split.share_file('B', 2)});
    REQUIRE(::write(write.pin_write, "123456\n", 7) == 7);
    ::close(write.pin_write);
    write.pin_write = -1;
    bool put_seen = false;
    for (int waited = 0; waited < 10000 && !put_seen; waited += 2) {
        put_seen = occurrences(stack.card_log(0), "00 DA 01 03") > puts_before;
        if (!put_seen) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    const int pcscd = std::stoi(stack.env("SMK_PCSC_PCSCD_PID"));
    ::kill(pcscd, SIGKILL);
    const RunResult cut = wait_end(write);
    INFO("write exit " << cut.exit_code << ", stderr: " << cut.err);
    REQUIRE(put_seen);

    // A fresh pcscd over the same card state (no --fresh: the card keeps its DOs).
    const std::string dir = stack.dir().path().string();
    REQUIRE(std::system((pcsc_env_script() + " stop " + dir + " >/dev/null 2>&1; " +
                         pcsc_env_script() + " start " + dir + " 1 --binary " SMK_CARDSIM_BINARY +
                         " >" + dir + "/restart.log 2>&1")
                            .c_str()) == 0);
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
