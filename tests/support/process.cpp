// Test support: subprocesses (process.hpp; the Child is in process_child.cpp). fork + execve,
// everything the child needs prepared before the fork, so that the child only calls
// async-signal-safe functions; an exec that fails is reported back through a close-on-exec pipe.

#include "support/process.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "support/files.hpp"
#include "support/process_detail.hpp"

extern char** environ;

namespace smk_test {

namespace detail {

namespace {

// argv, envp and the program's path, built before the fork.
struct Exec {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> vars;
    std::vector<char*> argv;
    std::vector<char*> envp;

    explicit Exec(const Command& command) : args(command.argv) {
        REQUIRE_MESSAGE(!args.empty(), "no program to run");
        path = find_program(args[0]);
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string_view var(*e);
            bool replaced = false;
            for (const std::string& extra : command.env) {
                const auto key = extra.substr(0, extra.find('=') + 1);
                replaced = replaced || var.substr(0, key.size()) == key;
            }
            if (!replaced) {
                vars.emplace_back(var);
            }
        }
        vars.insert(vars.end(), command.env.begin(), command.env.end());
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        for (auto& v : vars) {
            envp.push_back(v.data());
        }
        envp.push_back(nullptr);
    }

    static std::string find_program(const std::string& name) {
        if (name.find('/') != std::string::npos) {
            return name;
        }
        const char* search = std::getenv("PATH");
        std::string_view dirs = search != nullptr ? search : "/usr/bin:/bin";
        while (!dirs.empty()) {
            const auto colon = dirs.find(':');
            const std::string candidate = std::string(dirs.substr(0, colon)) + "/" + name;
            if (::access(candidate.c_str(), X_OK) == 0) {
                return candidate;
            }
            dirs = colon == std::string_view::npos ? "" : dirs.substr(colon + 1);
        }
        FAIL("cannot start " << name << ": not found in PATH");
        return {};
    }
};

// Between fork() and execve() the child makes raw system calls only: a preloaded
// library (umockdev's, in the tests that run under umockdev-wrapper) wraps open(),
// chdir() and write() under a lock that another thread of the test may have held at
// the fork, which would leave the child waiting for it forever.
[[noreturn]] void child_failed(int report) {
    const int err = errno;
    (void)::syscall(SYS_write, report, &err, sizeof err);
    ::_exit(127);
}

void place(int from, int to, int report) {
    if (from == to) {
        if (::fcntl(to, F_SETFD, 0) != 0) {
            child_failed(report);
        }
    } else if (from >= 0 && ::dup2(from, to) < 0) {
        child_failed(report);
    }
}

}  // namespace

int open_fd(const std::filesystem::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
    REQUIRE_MESSAGE(fd >= 0, "cannot open " << path);
    return fd;
}

void make_pipe(int (&fds)[2]) {
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
}

pid_t launch(const Command& command, const Fds& fds, const std::string& pty_slave) {
    Exec exec(command);
    int report[2];
    make_pipe(report);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (!pty_slave.empty()) {
            ::setsid();
            // Now our terminal (raw openat: see child_failed()).
            if (::syscall(SYS_openat, AT_FDCWD, pty_slave.c_str(), O_RDWR | O_CLOEXEC) < 0) {
                child_failed(report[1]);
            }
        }
        place(fds.in, 0, report[1]);
        place(fds.out, 1, report[1]);
        place(fds.err, 2, report[1]);
        if (fds.extra_at >= 0) {
            place(fds.extra, fds.extra_at, report[1]);
        }
        if (!command.cwd.empty() && ::syscall(SYS_chdir, command.cwd.c_str()) != 0) {
            child_failed(report[1]);
        }
        if (command.uid != 0 && (::setgid(command.uid) != 0 || ::setuid(command.uid) != 0)) {
            child_failed(report[1]);
        }
        ::signal(SIGPIPE, SIG_DFL);  // the test may ignore it; the child must not
        ::execve(exec.path.c_str(), exec.argv.data(), exec.envp.data());
        child_failed(report[1]);
    }
    ::close(report[1]);
    int err = 0;
    ssize_t n = 0;
    do {
        n = ::read(report[0], &err, sizeof err);
    } while (n < 0 && errno == EINTR);
    ::close(report[0]);
    if (n > 0) {
        ::waitpid(pid, nullptr, 0);
        FAIL("cannot start " << command.argv[0] << ": " << std::strerror(err));
    }
    return pid;
}

ProcessResult decode(int status) {
    ProcessResult r;
    r.exited = WIFEXITED(status);
    r.code = r.exited ? WEXITSTATUS(status) : WTERMSIG(status);
    return r;
}

void read_into(int& fd, std::string& sink) {
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
        sink.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
        ::close(fd);
        fd = -1;
    }
}

}  // namespace detail

using namespace detail;

ProcessResult run_process(const Command& command, std::string_view input) {
    int in[2];
    make_pipe(in);
    Fds fds{in[0], -1, -1, -1, -1};
    int out_fd = -1;
    int err_fd = -1;
    const bool to_files = !command.capture_dir.empty();
    const auto out_file = command.capture_dir / "stdout";
    const auto err_file = command.capture_dir / "stderr";
    int out[2] = {-1, -1};
    int err[2] = {-1, -1};
    if (to_files) {
        fds.out = open_fd(out_file, O_WRONLY | O_CREAT | O_TRUNC);
        fds.err = open_fd(err_file, O_WRONLY | O_CREAT | O_TRUNC);
    } else {
        make_pipe(out);
        make_pipe(err);
        fds.out = out[1];
        fds.err = err[1];
        out_fd = out[0];
        err_fd = err[0];
    }
    const pid_t pid = launch(command, fds);
    ::close(in[0]);
    ::close(fds.out);
    ::close(fds.err);
    int in_fd = in[1];
    if (input.empty()) {
        ::close(in_fd);
        in_fd = -1;
    } else {
        std::signal(SIGPIPE, SIG_IGN);  // the child may exit before reading all of stdin
    }
    ProcessResult text;
    std::size_t written = 0;
    while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
        std::vector<pollfd> polled;
        for (const int fd : {in_fd, out_fd, err_fd}) {
            if (fd >= 0) {
                polled.push_back({fd, static_cast<short>(fd == in_fd ? POLLOUT : POLLIN), 0});
            }
        }
        if (::poll(polled.data(), polled.size(), kIdleMs) <= 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            throw std::runtime_error(command.argv[0] + " did not finish within 60 s");
        }
        for (const auto& p : polled) {
            if (p.revents == 0) {
                continue;
            }
            if (p.fd == in_fd) {
                const ssize_t n = ::write(in_fd, input.data() + written, input.size() - written);
                if (n > 0) {
                    written += static_cast<std::size_t>(n);
                }
                if (n < 0 || written == input.size()) {
                    ::close(in_fd);
                    in_fd = -1;
                }
            } else if (p.fd == out_fd) {
                read_into(out_fd, text.out);
            } else {
                read_into(err_fd, text.err);
            }
        }
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    ProcessResult result = decode(status);
    if (to_files) {
        result.out = read_file_if_exists(out_file);
        result.err = read_file_if_exists(err_file);
        std::filesystem::remove(out_file);
        std::filesystem::remove(err_file);
    } else {
        result.out = std::move(text.out);
        result.err = std::move(text.err);
    }
    return result;
}

PtyResult run_on_pty(const Command& command, const Dialog& dialog, bool stdout_on_tty) {
    LiveDialog live;
    for (const auto& [expect, line] : dialog) {
        live.emplace_back(expect, [line] { return line; });
    }
    return run_on_pty(command, live, stdout_on_tty);
}

PtyResult run_on_pty(const Command& command, const LiveDialog& dialog, bool stdout_on_tty) {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    const std::string slave_name = ::ptsname(master);
    // Holding the slave open keeps the master from hanging up before the child
    // opens it, and keeps the child's last output readable after it exits.
    const int parent_slave = ::open(slave_name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(parent_slave >= 0);
    int out[2];
    int err[2];
    make_pipe(out);
    make_pipe(err);
    const int null = open_fd("/dev/null", O_RDONLY);
    // With stdout_on_tty, fd 1 is our descriptor of the same terminal.
    const pid_t pid = launch(command,
                             Fds{command.stdin_on_tty ? parent_slave : null,
                                 stdout_on_tty ? parent_slave : out[1], err[1], -1, -1},
                             slave_name);
    ::close(null);
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
        if (::poll(fds.data(), fds.size(), kIdleMs) <= 0) {
            ::kill(pid, SIGKILL);
            FAIL(command.argv[0] << " on a pty did not finish within 60 s; terminal so far: "
                                 << result.tty);
        }
        for (const auto& p : fds) {
            if (p.revents != 0) {
                read_into(p.fd == out_fd ? out_fd : (p.fd == err_fd ? err_fd : tty_fd),
                          p.fd == out_fd ? result.out : (p.fd == err_fd ? result.err : result.tty));
            }
        }
        if (step < dialog.size() && tty_fd >= 0) {
            const auto at = result.tty.find(dialog[step].first, searched);
            if (at != std::string::npos) {
                searched = at + dialog[step].first.size();
                const std::string line = dialog[step].second();
                REQUIRE(::write(tty_fd, line.data(), line.size()) ==
                        static_cast<ssize_t>(line.size()));
                ++step;
            }
        }
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    result.exit_code = decode(status).shell_status();
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
