#pragma once
// Test support: the one way the suites run a program as a subprocess. No shell
// (argv as given, so any file name passes unharmed), optional stdin text, extra
// environment, a working directory, another user, stdout and stderr captured,
// a pipe the test writes into (the PIN of --pin-fd), a pty for the terminal
// paths, and a Child started in the background for the fault drills.
//
// Time limits here are hang guards only (60 s without any output, 120 s for a
// Child to end): no test asserts how fast anything is.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smk_test {

struct Command {
    Command() = default;
    explicit Command(std::vector<std::string> args) : argv(std::move(args)) {}

    std::vector<std::string> argv;  // argv[0] without a '/' is looked up in PATH
    std::vector<std::string> env;   // "KEY=value": added to our environment, or replacing
    std::filesystem::path cwd;      // empty: ours
    // Non-empty (run_process only): stdout and stderr go to files in this existing
    // directory, removed after, instead of pipes, so that a daemon the command
    // starts and that keeps them open cannot hold the run open.
    std::filesystem::path capture_dir;
    // >= 0 (Child only): the child's fd N is the read end of a pipe the test holds
    // and writes with Child::write_pipe, e.g. 3 for `--pin-fd 3`, 0 for stdin.
    int pipe_fd = -1;
    uid_t uid = 0;              // not 0: the child runs as this user and group (we are root)
    bool stdin_on_tty = false;  // run_on_pty only: stdin is the terminal, not /dev/null
};

struct ProcessResult {
    bool exited = false;  // false: killed by a signal
    int code = -1;        // the exit code, or the signal number
    std::string out;
    std::string err;
    // As a shell reports it: the exit code, or 128 + the signal number.
    [[nodiscard]] int shell_status() const { return exited ? code : 128 + code; }
};

// Runs to completion with `input` on stdin (a pipe closed after it).
ProcessResult run_process(const Command& command, std::string_view input = {});

// A shell line for test setup (truncate, mkfs, mount, a client tool with its
// environment), run as `/bin/sh -c LINE` by run_process.
inline ProcessResult run_shell(const std::string& line) {
    return run_process(Command({"/bin/sh", "-c", line}));
}

struct PtyResult {
    int exit_code = -1;  // shell_status()
    std::string tty;     // everything the child wrote to its terminal
    std::string out;     // stdout, when it is not the terminal
    std::string err;
    bool echo_at_exit = false;  // the terminal's ECHO flag once the child has gone
};

// Each dialog step waits for `first` on the terminal, then types `second`.
using Dialog = std::vector<std::pair<std::string, std::string>>;
// The same, with what is typed made only when its prompt has appeared (from what
// the program showed before it, say).
using LiveDialog = std::vector<std::pair<std::string, std::function<std::string()>>>;

// Runs in a new session whose controlling terminal is a fresh pty; stdin is
// /dev/null (the terminal with Command::stdin_on_tty), stderr a pipe, stdout the
// terminal too with stdout_on_tty.
PtyResult run_on_pty(const Command& command, const Dialog& dialog, bool stdout_on_tty);
PtyResult run_on_pty(const Command& command, const LiveDialog& dialog, bool stdout_on_tty);

// Started in the background: stdin /dev/null (unless pipe_fd is 0), stdout and
// stderr pipes read by stderr_has() and wait(). A Child never waited for is
// killed by its destructor.
class Child {
  public:
    explicit Child(const Command& command);
    ~Child();
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return m_pid; }
    // Writes `text` into the pipe of Command::pipe_fd, then closes it (end of file).
    void write_pipe(std::string_view text);
    void close_pipe();
    void signal(int sig) const;
    // Not ended yet (an ended child is left for wait() to reap).
    [[nodiscard]] bool running() const;
    // Reads what the child has written so far (without blocking) and says whether
    // its stderr contains `needle`: a line to wait on instead of a fixed sleep.
    bool stderr_has(std::string_view needle);
    [[nodiscard]] const std::string& err_seen() const noexcept { return m_err; }
    // Waits for the end, reading stdout and stderr; after `limit` the child is
    // killed and the check fails.
    ProcessResult wait(std::chrono::seconds limit = std::chrono::seconds(120));

  private:
    void read_available(int timeout_ms);
    void close_all() noexcept;

    pid_t m_pid = -1;
    int m_pipe = -1;
    int m_out_fd = -1;
    int m_err_fd = -1;
    std::string m_out;
    std::string m_err;
};

}  // namespace smk_test
