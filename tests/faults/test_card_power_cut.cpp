// Power cut drill for `smk card write`, black box (issue 16 item 5): a card
// holds the record of share B #1, and `smk card write --overwrite` of share B #2
// is cut at every command APDU it sends, both halves of a real cut
// (smk-cardsim --power-cut-before-apdu N: the Nth APDU is lost;
// --power-cut-after-apdu N: it is carried out, its answer lost). The card then
// leaves the reader and is inserted again over the same state file. At every
// point the card holds exactly the old record or exactly the new one (DO 0103
// byte for byte, from the state file), `smk card verify` accepts it and says
// which (with the new share's --expect-identifier/-set/-index: exit 0 for the
// new one, exit 5 "index is 1, expected 2" for the old), and smk's write never
// says OK while the card holds the old one. A torn record (truncated, or half
// old and half new) is refused by verify (tests/smartcard/test_share_record.cpp
// tries every byte-level tear).
// The points exercised are counted in a MESSAGE and in ./power-cut-points.

#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "crash_points.hpp"
#include "smartcard/card_cli_support.hpp"
#include "support/files.hpp"
#include "support/pcsc_stack.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace {

using smk_test::contains;
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;

constexpr const char* kShareDo = "do 0103 ";

// The lines of `text`.
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

// DO 0103 of a card state file, in hex ("" when the DO is empty).
std::string share_do(const std::filesystem::path& state) {
    for (const auto& line : lines_of(smk_test::read_file(state))) {
        if (line.rfind(kShareDo, 0) == 0) {
            return line.substr(std::string(kShareDo).size());
        }
    }
    return {};
}

// The state file with DO 0103 set to `hex` (the card must be out of its reader).
void set_share_do(const std::filesystem::path& state, const std::string& hex) {
    std::string text;
    for (const auto& line : lines_of(smk_test::read_file(state))) {
        if (line.rfind(kShareDo, 0) != 0) {
            text += line + "\n";
        }
    }
    text += kShareDo + hex + "\n";
    smk_test::write_file(state, text);
}

// Whether the process `pid` has ended (a zombie has an empty command line).
bool process_gone(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string cmdline;
    return !in || !std::getline(in, cmdline) || cmdline.empty();
}

struct Drill {
    PcscStack& stack;
    std::string pin;
    std::string new_share;
};

// `smk card verify --json EXPECT...` on the card.
RunResult verify_json(const Drill& drill, const std::vector<std::string>& expect = {}) {
    std::vector<std::string> args{"card",       "verify",  "--reader", drill.stack.reader(0),
                                  "--pin-file", drill.pin, "--json"};
    args.insert(args.end(), expect.begin(), expect.end());
    return run_smk(args);
}

// The write cut at APDU `n` (`mode`: "before" or "after"; `header`: that APDU's
// in the uncut write), then the card inserted again; returns smk's answer.
RunResult cut_write(const Drill& drill, const std::string& mode, std::size_t n,
                    const std::string& header) {
    PcscStack& stack = drill.stack;
    const std::string option = "--power-cut-" + mode + "-apdu";
    const std::size_t log_before = stack.card_log(0).size();
    stack.card_start(0, {option, std::to_string(n)});
    const int pid = stack.card_pid(0);
    RunResult write = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                               drill.pin, "--overwrite", drill.new_share});
    const std::string cut_line = "power cut at APDU " + std::to_string(n) + ":";
    const auto log = [&] { return stack.card_log(0).substr(log_before); };
    INFO("card log: " << log());
    REQUIRE_MESSAGE(smk_test::wait_for([&] { return contains(log(), cut_line); }),
                    "the card was never cut at APDU " << n);
    for (const auto& line : lines_of(log())) {
        if (contains(line, cut_line)) {
            CHECK(contains(line, "]: " + header + " ("));  // the same APDU as uncut
        }
    }
    REQUIRE(smk_test::wait_for([&] { return process_gone(pid); }));
    stack.card_start(0, {"--profile", "generic"});  // inserted again, no cut
    return write;
}

}  // namespace

TEST_CASE("power cut at every APDU of smk card write - the card holds the old or the new record") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = smk_test::pin_file(stack, "pin", "123456");
    const RunResult first = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                                     pin, split.share_file('B', 1)});
    REQUIRE(first.exit_code == 0);
    const std::filesystem::path state = stack.state_file(0);
    const std::filesystem::path old_state = stack.dir() / "old.state";

    // The write to drill, once uncut on a freshly inserted card: its APDUs are
    // numbered as the emulator counts them.
    stack.card_stop(0);
    std::filesystem::copy_file(state, old_state);
    const std::string old_do = share_do(state);
    stack.card_start(0, {"--profile", "generic"});
    const std::size_t log_before = stack.card_log(0).size();
    const RunResult clean = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                                     pin, "--overwrite", split.share_file('B', 2)});
    INFO("write stderr: " << clean.err);
    REQUIRE(clean.exit_code == 0);
    const std::vector<std::string> headers = smk_test::sent_since(stack, 0, log_before);
    stack.card_stop(0);
    const std::string new_do = share_do(state);
    REQUIRE(!old_do.empty());
    REQUIRE(!new_do.empty());
    REQUIRE(old_do != new_do);
    std::size_t put_at = 0;  // the PUT DATA of DO 0103, numbered from 1
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (headers[i] == "00 DA 01 03") {
            REQUIRE_MESSAGE(put_at == 0, "the record went out in more than one PUT DATA");
            put_at = i + 1;
        }
    }
    REQUIRE(put_at > 0);

    const Drill drill{stack, pin, split.share_file('B', 2)};
    // What the holder of the new share expects: verify passes on it only.
    const std::vector<std::string> expect_new{
        "--expect-identifier", std::to_string(split.identifier()),
        "--expect-set",        "B",
        "--expect-index",      "2"};
    std::ofstream points("power-cut-points");
    std::size_t exercised = 0;
    for (const std::string mode : {"before", "after"}) {
        for (std::size_t n = 1; n <= headers.size(); ++n) {
            std::filesystem::copy_file(old_state, state,
                                       std::filesystem::copy_options::overwrite_existing);
            const RunResult write = cut_write(drill, mode, n, headers[n - 1]);
            // Carried out: the PUT DATA itself when the cut came after it.
            const bool put_done = mode == "after" ? n >= put_at : n > put_at;
            const RunResult verify = verify_json(drill, expect_new);
            const std::string now = share_do(state);
            stack.card_stop(0);
            INFO("cut " << mode << " APDU " << n << " (" << headers[n - 1] << "), PUT DATA is APDU "
                        << put_at << "; write exit " << write.exit_code << ", stderr: " << write.err
                        << "\nverify: " << verify.out << verify.err);
            CHECK((now == old_do || now == new_do));
            CHECK(now == (put_done ? new_do : old_do));
            // Valid either way; verify says which: the new share as expected
            // (exit 0), or the old one, not as expected (exit 5, its index).
            CHECK(verify.exit_code == (put_done ? 0 : 5));
            const auto json = nlohmann::json::parse(verify.out);
            CHECK(json.at("state") == "valid");
            CHECK(json.at("expectations_met") == put_done);
            CHECK(json.at("index") == (put_done ? 2 : 1));
            if (!put_done) {
                CHECK(contains(verify.err, "index is 1, expected 2"));
            }
            if (write.exit_code == 0) {
                CHECK(put_done);  // smk said OK: the card must hold the new record
                CHECK(contains(write.out, "read it back: OK"));
            } else {
                CHECK(write.exit_code == 8);  // device: the card left the reader
                if (n >= put_at) {
                    CHECK(contains(write.err, "smk card verify"));
                }
            }
            points << mode << ' ' << n << ' ' << headers[n - 1] << ' ' << (put_done ? "new" : "old")
                   << " exit " << write.exit_code << ' '
                   << write.err.substr(0, write.err.find('\n')) << '\n';
            ++exercised;
        }
    }
    points << exercised << " power cut points\n";
    const std::string line =
        "power cut points: smk card write --overwrite: " + std::to_string(headers.size()) +
        " APDUs, each cut before and after -> " + std::to_string(exercised) +
        " points; PUT DATA at APDU " + std::to_string(put_at) +
        "; the card held the old or the new record and verify said which";
    MESSAGE(line);
    crash::record_points_line("card write power cut", line);
    CHECK(exercised == 2 * headers.size());

    // Negative control: records torn as no card should tear them, refused.
    REQUIRE(old_do.size() == new_do.size());
    const std::size_t half = new_do.size() / 2 & ~std::size_t{1};  // whole bytes
    const std::string torn[] = {new_do.substr(0, half),
                                old_do.substr(0, half) + new_do.substr(half),
                                new_do.substr(0, new_do.size() - 2)};
    for (const auto& hex : torn) {
        REQUIRE(hex != old_do);
        REQUIRE(hex != new_do);
        set_share_do(state, hex);
        stack.card_start(0, {"--profile", "generic"});
        const RunResult verify = verify_json(drill);
        stack.card_stop(0);
        INFO("torn DO 0103 of " << hex.size() / 2 << " bytes; verify: " << verify.out
                                << verify.err);
        CHECK(verify.exit_code == 5);
        CHECK(nlohmann::json::parse(verify.out).at("state") == "garbage");
    }
}

TEST_CASE("smk-cardsim power cut options - one cut point - from APDU 1 - else a usage error") {
    const smk_test::TempDir dir;
    const std::string state = (dir.path() / "card.state").string();
    const std::vector<std::vector<std::string>> wrong = {
        {"--power-cut-after-apdu", "3", "--power-cut-before-apdu", "4"},
        {"--power-cut-after-apdu", "0"},
        {"--power-cut-before-apdu", "0"},
        {"--power-cut-before-apdu", "x"}};
    for (const auto& options : wrong) {
        std::vector<std::string> argv{SMK_CARDSIM_BINARY, "--port", "1", "--state", state};
        argv.insert(argv.end(), options.begin(), options.end());
        const smk_test::ProcessResult r = smk_test::run_process(smk_test::Command(argv));
        INFO(options.front() << ' ' << options[1] << ": " << r.out << r.err);
        CHECK(r.shell_status() == 2);
        CHECK(!std::filesystem::exists(state));  // refused before the card exists
    }
}
