#pragma once
// Running the real smk binary (SMK_BINARY) as a subprocess: stdin from a string,
// stdout and stderr captured, exit code returned. A pty variant gives the child
// a controlling terminal, for the no-echo prompt and the "not on a screen" rule.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
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
#include "support/temp_dir.hpp"

extern char** environ;

namespace smk_test {

namespace fs = std::filesystem;

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::vector<char*> make_argv(std::vector<std::string>& args) {
    args.insert(args.begin(), SMK_BINARY);
    std::vector<char*> argv;
    for (auto& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    return argv;
}

inline int decode_status(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return 128 + WTERMSIG(status);
}

// Pumps `input` into in_fd (closing it when done) and reads out_fd and err_fd
// (and an optional extra fd, e.g. a pty master) until all are closed.
struct Pump {
    int in_fd = -1;
    std::string input;
    std::size_t written = 0;
    int out_fd = -1;
    int err_fd = -1;
    std::string out;
    std::string err;

    void run() {
        if (in_fd >= 0 && input.empty()) {
            ::close(in_fd);
            in_fd = -1;
        }
        while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
            std::vector<pollfd> fds;
            if (in_fd >= 0) {
                fds.push_back({in_fd, POLLOUT, 0});
            }
            if (out_fd >= 0) {
                fds.push_back({out_fd, POLLIN, 0});
            }
            if (err_fd >= 0) {
                fds.push_back({err_fd, POLLIN, 0});
            }
            if (::poll(fds.data(), fds.size(), 60000) <= 0) {
                throw std::runtime_error("smk did not finish within 60 s");
            }
            for (const auto& p : fds) {
                if (p.revents == 0) {
                    continue;
                }
                if (p.fd == in_fd) {
                    const ssize_t n =
                        ::write(in_fd, input.data() + written, input.size() - written);
                    if (n > 0) {
                        written += static_cast<std::size_t>(n);
                    }
                    if (n < 0 || written == input.size()) {
                        ::close(in_fd);
                        in_fd = -1;
                    }
                    continue;
                }
                char buf[4096];
                const ssize_t n = ::read(p.fd, buf, sizeof buf);
                std::string& sink = (p.fd == out_fd) ? out : err;
                if (n > 0) {
                    sink.append(buf, static_cast<std::size_t>(n));
                } else if (n == 0 || errno != EINTR) {
                    ::close(p.fd);
                    (p.fd == out_fd ? out_fd : err_fd) = -1;
                }
            }
        }
    }
};

// Runs `smk ARGS...` with `input` on stdin.
inline RunResult run_smk(std::vector<std::string> args, std::string input = {}) {
    std::signal(SIGPIPE, SIG_IGN);  // smk may exit before reading all of stdin
    int in[2];
    int out[2];
    int err[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    auto argv = make_argv(args);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, SMK_BINARY, &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    REQUIRE(rc == 0);
    Pump pump{in[1], std::move(input), 0, out[0], err[0], {}, {}};
    pump.run();
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return {decode_status(status), std::move(pump.out), std::move(pump.err)};
}

struct PtyResult {
    int exit_code = -1;
    std::string tty;  // everything smk wrote to its terminal
    std::string out;  // stdout, when it is not the terminal
    std::string err;
    bool echo_at_exit = false;  // the terminal's ECHO flag once smk has gone
};

// Runs smk in a new session whose controlling terminal is a fresh pty. Each
// dialog step waits for `expect` on the terminal, then types `send`. With
// stdout_on_tty, stdout is the terminal too; stdin is /dev/null.
inline PtyResult run_smk_pty(std::vector<std::string> args,
                             std::vector<std::pair<std::string, std::string>> dialog,
                             bool stdout_on_tty) {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    const std::string slave_name = ::ptsname(master);
    // Holding the slave open keeps the master from hanging up before the child
    // opens it, and keeps smk's last output readable after it exits.
    const int parent_slave = ::open(slave_name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(parent_slave >= 0);
    int out[2];
    int err[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    auto argv = make_argv(args);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::setsid();
        const int slave = ::open(slave_name.c_str(), O_RDWR);  // becomes the controlling tty
        const int null = ::open("/dev/null", O_RDONLY);
        if (slave < 0 || null < 0) {
            ::_exit(126);
        }
        ::dup2(null, 0);
        ::dup2(stdout_on_tty ? slave : out[1], 1);
        ::dup2(err[1], 2);
        ::signal(SIGPIPE, SIG_DFL);
        ::execv(SMK_BINARY, argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    PtyResult result;
    int out_fd = out[0];
    int err_fd = err[0];
    int tty_fd = master;
    std::size_t step = 0;
    std::size_t searched = 0;
    // stderr is always a pipe: its end is the end of the child.
    while (out_fd >= 0 || err_fd >= 0) {
        std::vector<pollfd> fds;
        for (const int fd : {out_fd, err_fd, tty_fd}) {
            if (fd >= 0) {
                fds.push_back({fd, POLLIN, 0});
            }
        }
        if (::poll(fds.data(), fds.size(), 20000) <= 0) {
            ::kill(pid, SIGKILL);
            FAIL("smk on a pty did not finish within 20 s; terminal so far: " << result.tty);
        }
        for (const auto& p : fds) {
            if (p.revents == 0) {
                continue;
            }
            char buf[4096];
            const ssize_t n = ::read(p.fd, buf, sizeof buf);
            std::string& sink =
                (p.fd == out_fd) ? result.out : (p.fd == err_fd ? result.err : result.tty);
            if (n > 0) {
                sink.append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {  // EIO on the master: the child is gone
                ::close(p.fd);
                (p.fd == out_fd ? out_fd : (p.fd == err_fd ? err_fd : tty_fd)) = -1;
            }
        }
        if (step < dialog.size() && tty_fd >= 0) {
            const auto at = result.tty.find(dialog[step].first, searched);
            if (at != std::string::npos) {
                searched = at + dialog[step].first.size();
                const std::string& line = dialog[step].second;
                REQUIRE(::write(tty_fd, line.data(), line.size()) ==
                        static_cast<ssize_t>(line.size()));
                ++step;
            }
        }
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    result.exit_code = decode_status(status);
    // Read while the master is still open: closing it hangs up the slave.
    termios mode{};
    REQUIRE(::tcgetattr(parent_slave, &mode) == 0);
    result.echo_at_exit = (mode.c_lflag & ECHO) != 0;
    if (tty_fd >= 0) {
        pollfd rest{tty_fd, POLLIN, 0};
        char buf[4096];
        while (::poll(&rest, 1, 0) > 0 && (rest.revents & POLLIN) != 0) {
            const ssize_t n = ::read(tty_fd, buf, sizeof buf);
            if (n <= 0) {
                break;
            }
            result.tty.append(buf, static_cast<std::size_t>(n));
        }
        ::close(tty_fd);
    }
    ::close(parent_slave);
    return result;
}

}  // namespace smk_test
