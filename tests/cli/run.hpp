#pragma once
// Running the real smk binary (SMK_BINARY) as a subprocess: stdin from a string,
// stdout and stderr captured, exit code returned. A pty variant gives the child
// a controlling terminal, for the no-echo prompt and the "not on a screen" rule.
// All on the one runner of tests/support/process.hpp.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace smk_test {

struct RunResult {
    int exit_code = -1;  // or 128 + the signal number
    std::string out;
    std::string err;
};

// {SMK_BINARY, args...}
inline Command smk_command(std::vector<std::string> args) {
    args.insert(args.begin(), SMK_BINARY);
    return Command(std::move(args));
}

inline RunResult as_run_result(ProcessResult r) {
    return {r.shell_status(), std::move(r.out), std::move(r.err)};
}

// Runs `smk ARGS...` with `input` on stdin.
inline RunResult run_smk(std::vector<std::string> args, std::string input = {}) {
    return as_run_result(run_process(smk_command(std::move(args)), input));
}

// Runs smk in a new session whose controlling terminal is a fresh pty. Each
// dialog step waits for `expect` on the terminal, then types `send`. With
// stdout_on_tty, stdout is the terminal too; stdin is /dev/null.
inline PtyResult run_smk_pty(std::vector<std::string> args, const Dialog& dialog,
                             bool stdout_on_tty) {
    return run_on_pty(smk_command(std::move(args)), dialog, stdout_on_tty);
}

// `smk ARGS... --pin-fd 3` started in the background, fd 3 the read end of a
// pipe the test holds: smk opens the card or token, then blocks reading its PIN
// until the test writes it (Child::write_pipe) or closes the pipe.
inline Child start_smk_pin_pipe(std::vector<std::string> args) {
    args.push_back("--pin-fd");
    args.push_back("3");
    Command command = smk_command(std::move(args));
    command.pipe_fd = 3;
    return Child(command);
}

}  // namespace smk_test
