#pragma once
// Helpers for the fault drills: start `smk` as a child with captured output, wait
// for a condition while it runs, and compare a destination with its source after
// the fault. Black box: only the binary, the filesystem and signals.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace faults {

namespace fs = std::filesystem;

struct Child {
    pid_t pid = -1;
    int out_fd = -1;
    int err_fd = -1;
    std::string err_seen;  // stderr read so far by stderr_has(); finish() keeps it
};

// `pass_fd` (when >= 0) becomes the child's fd 3, e.g. the read end of a PIN pipe.
inline Child spawn_smk(const std::vector<std::string>& args, int pass_fd = -1) {
    int out[2];
    int err[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        if (pass_fd == 3) {
            ::fcntl(3, F_SETFD, 0);
        } else if (pass_fd >= 0) {
            ::dup2(pass_fd, 3);
        }
        const int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        std::vector<std::string> copy = args;
        std::vector<char*> argv{const_cast<char*>(SMK_BINARY)};
        for (std::string& a : copy) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        ::execv(SMK_BINARY, argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    return {pid, out[0], err[0], {}};
}

// `smk ARGS... --pin-fd 3` with fd 3 the read end of a pipe the drill holds:
// smk opens the card or token, then blocks reading the PIN until the drill
// writes it (write_pin) or closes the pipe.
struct PinPipeChild {
    Child child;
    int pin_write = -1;

    void write_pin(const std::string& pin) {
        const std::string line = pin + "\n";
        REQUIRE(::write(pin_write, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
        ::close(pin_write);
        pin_write = -1;
    }
    ~PinPipeChild() {
        if (pin_write >= 0) {
            ::close(pin_write);
        }
    }
};

inline void spawn_smk_pin_pipe(std::vector<std::string> args, PinPipeChild& started) {
    int pin[2];
    REQUIRE(::pipe2(pin, O_CLOEXEC) == 0);
    args.push_back("--pin-fd");
    args.push_back("3");
    started.child = spawn_smk(args, pin[0]);
    ::close(pin[0]);
    started.pin_write = pin[1];
}

// Whether process `pid` is blocked reading a pipe (smk waiting for its PIN):
// /proc/PID/wchan names the kernel function it sleeps in ("pipe_read", or
// "anon_pipe_read" on Linux 6.x).
inline bool blocked_on_pipe_read(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/wchan");
    std::string where;
    std::getline(in, where);
    return where.find("pipe_read") != std::string::npos;
}

// One field of /proc/PID/status as a number ("SigPnd", "ShdPnd": hex masks).
inline unsigned long long status_mask(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(field + ":", 0) == 0) {
            return std::stoull(line.substr(field.size() + 1), nullptr, 16);
        }
    }
    return 0;
}

// The child has ended (a zombie not reaped yet) or, having taken `sig` (no longer
// pending for it), is back reading its PIN pipe: either way the signal was handled,
// and waitpid(WNOHANG) then tells which.
inline bool signal_handled(pid_t pid, int sig) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    const auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size() || text[close + 2] == 'Z') {
        return true;
    }
    const unsigned long long bit = 1ULL << (sig - 1);
    const bool pending = ((status_mask(pid, "SigPnd") | status_mask(pid, "ShdPnd")) & bit) != 0;
    return !pending && blocked_on_pipe_read(pid);
}

struct Outcome {
    bool exited = false;  // false: killed by a signal
    int code = -1;        // exit code, or the signal number when killed
    std::string out;
    std::string err;
};

// Reads what the child has written to stderr so far (without blocking) and says
// whether it contains `needle`: a line to wait on instead of a fixed sleep.
inline bool stderr_has(Child& child, const std::string& needle) {
    char buf[4096];
    for (;;) {
        pollfd ready{child.err_fd, POLLIN, 0};
        if (::poll(&ready, 1, 0) <= 0 || (ready.revents & POLLIN) == 0) {
            break;
        }
        const ssize_t n = ::read(child.err_fd, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        child.err_seen.append(buf, static_cast<std::size_t>(n));
    }
    return child.err_seen.find(needle) != std::string::npos;
}

inline std::string drain(int fd) {
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

// Waits for the child to end (at most `limit`; then SIGKILL and a failed check).
inline Outcome finish(Child& child, std::chrono::seconds limit = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(child.pid, &status, WNOHANG);
        if (r == child.pid) {
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(child.pid, SIGKILL);
            ::waitpid(child.pid, &status, 0);
            FAIL_CHECK("smk did not end within the time limit");
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Outcome o;
    o.out = drain(child.out_fd);
    o.err = child.err_seen + drain(child.err_fd);
    o.exited = WIFEXITED(status);
    o.code = o.exited ? WEXITSTATUS(status) : WTERMSIG(status);
    return o;
}

// Polls `condition` every 2 ms for at most `limit`.
inline bool wait_for(const std::function<bool()>& condition,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(30000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

inline bool has_temp_file(const fs::path& dir) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename().string().find(".smk-tmp-") != std::string::npos) {
            return true;
        }
    }
    return false;
}

inline std::vector<std::string> temp_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.path().filename().string().find(".smk-tmp-") != std::string::npos) {
            out.push_back(e.path().lexically_relative(dir).string());
        }
    }
    return out;
}

inline std::string file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Every regular file under `copy` with a final name (not a temporary) must equal
// the file of that name under `source`: an interrupted copy may be incomplete, but
// never holds a partial or wrong file under a name the user trusts.
inline std::vector<std::string> partial_files_under_final_names(const fs::path& source,
                                                                const fs::path& copy) {
    std::vector<std::string> bad;
    for (const auto& e : fs::recursive_directory_iterator(copy)) {
        const std::string rel = e.path().lexically_relative(copy).string();
        if (!e.is_regular_file() || rel.find(".smk-tmp-") != std::string::npos ||
            rel.find("lost+found") == 0) {
            continue;
        }
        const fs::path original = source / rel;
        if (!fs::exists(original) || fs::file_size(original) != e.file_size() ||
            file_bytes(original) != file_bytes(e.path())) {
            bad.push_back(rel);
        }
    }
    return bad;
}

// A source tree of `files` files of `mib` MiB each (distinct contents).
inline void make_source(const fs::path& dir, int files, int mib) {
    fs::create_directories(dir);
    std::string block(1 << 20, '\0');
    for (int f = 0; f < files; ++f) {
        std::ofstream out(dir / ("part-" + std::to_string(f) + ".bin"), std::ios::binary);
        for (int m = 0; m < mib; ++m) {
            for (std::size_t i = 0; i < block.size(); i += 64) {
                block[i] = static_cast<char>(f * 31 + m * 7 + static_cast<int>(i >> 6));
            }
            out.write(block.data(), static_cast<std::streamsize>(block.size()));
        }
    }
}

inline int run_command(const std::string& command) {
    return std::system(command.c_str());
}

using smk_test::TempDir;

}  // namespace faults
