#pragma once
// A private PC/SC stack for one test case: scripts/pcsc-env.sh starts pcscd in
// its own mount and network namespace with N smk-cardsim cards, in a fresh temp
// dir; the destructor stops it (by the PIDs the script recorded). Clients (the
// smk subprocesses) find it through PCSCLITE_CSOCK_NAME, set here.
// Needs root; if the stack cannot start, the test FAILS with the script's output.
// The script runs without a shell (tests/support/process.hpp).

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace smk_test {

class PcscStack {
  public:
    // `card_opts`: extra smk-cardsim options per card index, e.g. {1, "--no-private-dos"}.
    // `vicc_cards`: these cards are vicc (iso7816, not an OpenPGP card) instead.
    explicit PcscStack(int cards, const std::map<int, std::string>& card_opts = {},
                       const std::set<int>& vicc_cards = {}) {
        std::vector<std::string> command{
            "start",    m_dir.path().string(), std::to_string(cards), "--fresh",
            "--binary", SMK_CARDSIM_BINARY};
        for (const auto& [index, opts] : card_opts) {
            command.insert(command.end(), {"--card-opts", std::to_string(index), opts});
        }
        for (const int index : vicc_cards) {
            command.insert(command.end(), {"--vicc", std::to_string(index)});
        }
        run_script(std::move(command), "starting the private pcscd + smk-cardsim stack");
        m_started = true;
        ::setenv("PCSCLITE_CSOCK_NAME", env("PCSCLITE_CSOCK_NAME").c_str(), 1);
    }
    ~PcscStack() {
        if (m_started) {
            const ProcessResult stop = script_result({"stop", m_dir.path().string()});
            if (stop.shell_status() != 0) {
                MESSAGE("stopping the pcsc stack failed: " << stop.out << stop.err);
            }
        }
        ::unsetenv("PCSCLITE_CSOCK_NAME");
    }
    PcscStack(const PcscStack&) = delete;
    PcscStack& operator=(const PcscStack&) = delete;

    // A value from the stack's env file (KEY='value').
    [[nodiscard]] std::string env(const std::string& key) const {
        std::ifstream in(m_dir.path() / "env");
        for (std::string line; std::getline(in, line);) {
            if (line.rfind(key + "=", 0) == 0) {
                std::string value = line.substr(key.size() + 1);
                if (value.size() >= 2 && value.front() == '\'') {
                    value = value.substr(1, value.size() - 2);
                }
                return value;
            }
        }
        FAIL("no " << key << " in the env file of the pcsc stack");
        return {};
    }
    [[nodiscard]] std::string reader(int i) const {
        return env("SMK_PCSC_READER_" + std::to_string(i));
    }
    // "FFFF:5AC00000": how smk names card i.
    [[nodiscard]] std::string serial(int i) const {
        return "FFFF:" + env("SMK_PCSC_SERIAL_" + std::to_string(i));
    }
    [[nodiscard]] std::string card_log(int i) const {
        return read_file(m_dir.path() / ("card-" + std::to_string(i) + ".log"));
    }
    [[nodiscard]] int card_pid(int i) const {
        return std::stoi(env("SMK_PCSC_CARD_PID_" + std::to_string(i)));
    }
    // Pull card i out of its reader (stop its emulator), or put it back.
    void card_stop(int i) {
        run_script({"card-stop", m_dir.path().string(), std::to_string(i)},
                   "removing card " + std::to_string(i));
    }
    void card_start(int i) {
        run_script({"card-start", m_dir.path().string(), std::to_string(i)},
                   "inserting card " + std::to_string(i));
    }
    // Inserts card i with these smk-cardsim options instead of its extra options
    // so far (at least one: e.g. {"--profile", "generic"} for none).
    void card_start(int i, const std::vector<std::string>& opts) {
        std::vector<std::string> args{"card-start", m_dir.path().string(), std::to_string(i)};
        args.insert(args.end(), opts.begin(), opts.end());
        run_script(std::move(args), "inserting card " + std::to_string(i));
    }
    // Card i's state file (the card's memory: its PINs and data objects).
    [[nodiscard]] std::filesystem::path state_file(int i) const {
        return m_dir.path() / ("card-" + std::to_string(i) + ".state");
    }
    // Makes card `to` (pulled out: card_stop) a clone of card `from`: the same
    // serial, PINs and data objects. card_start(to) inserts it.
    void make_clone(int from, int to) const {
        for (const char* kind : {".state", ".serial"}) {
            std::filesystem::copy_file(m_dir.path() / ("card-" + std::to_string(from) + kind),
                                       m_dir.path() / ("card-" + std::to_string(to) + kind),
                                       std::filesystem::copy_options::overwrite_existing);
        }
    }
    [[nodiscard]] const TempDir& dir() const { return m_dir; }
    // What another program gets for these APDUs (hex, one per line) sent raw to
    // card i, without a SELECT: pcsc-tools' scriptor output ("< 69 82 : ...").
    [[nodiscard]] std::string scriptor(int i, const std::string& apdus) const {
        Command command({"scriptor", "-r", reader(i)});
        const ProcessResult r = run_process(command, apdus);
        REQUIRE_MESSAGE(
            r.shell_status() == 0,
            "scriptor (pcsc-tools) must run against the private pcscd: " << r.out << r.err);
        return r.out;
    }
    // Whether card i refuses GET DATA 0103 to another program (6982: no PIN
    // verified), as it must once smk has exited.
    [[nodiscard]] bool share_do_closed(int i) const {
        const std::string answer = scriptor(i, "00 CA 01 03 00\n");
        INFO("scriptor: " << answer);
        CHECK(answer.find("< 90 00") == std::string::npos);
        return answer.find("69 82") != std::string::npos;
    }
    // The private pcscd (its PID as the script recorded it).
    [[nodiscard]] int pcscd_pid() const { return std::stoi(read_file(m_dir.path() / "pcscd.pid")); }

  private:
    static std::string script() { return std::string(SMK_SOURCE_DIR) + "/scripts/pcsc-env.sh"; }

    // scripts/pcsc-env.sh ARGS..., its output in files of the stack's dir: the
    // daemons it starts keep them open, which pipes would wait for.
    [[nodiscard]] ProcessResult script_result(std::vector<std::string> args) const {
        args.insert(args.begin(), script());
        Command command(std::move(args));
        command.capture_dir = m_dir.path();
        return run_process(command);
    }

    void run_script(std::vector<std::string> args, const std::string& what) {
        const ProcessResult r = script_result(std::move(args));
        REQUIRE_MESSAGE(r.shell_status() == 0,
                        what << " failed (the end-to-end card tests need root, pcscd, "
                                "vpcd and smk-cardsim): "
                             << r.out << r.err);
    }

    TempDir m_dir;
    bool m_started = false;
};

}  // namespace smk_test
