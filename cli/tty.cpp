// /dev/tty prompts shared by the PIN, passphrase and confirmation questions.

#include "tty.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "io.hpp"
#include "smk/error.hpp"

namespace smk::cli {
namespace {

constexpr int kRestoreSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// What the handler needs; set only while echo is off. A signal handler may use
// only async-signal-safe calls: tcsetattr, signal and raise are.
volatile std::sig_atomic_t g_restore_fd = -1;
termios g_restore_mode{};

extern "C" void restore_terminal_and_reraise(int signal_number) {
    if (g_restore_fd >= 0) {
        ::tcsetattr(g_restore_fd, TCSANOW, &g_restore_mode);
    }
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

// Installs the handler for the lifetime of one hidden read.
class EchoGuard final {
  public:
    EchoGuard(int fd, const termios& saved) {
        g_restore_mode = saved;
        g_restore_fd = fd;
        for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
            struct sigaction action {};
            action.sa_handler = restore_terminal_and_reraise;
            sigemptyset(&action.sa_mask);
            ::sigaction(kRestoreSignals[i], &action, &m_previous[i]);
        }
    }
    ~EchoGuard() {
        for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
            ::sigaction(kRestoreSignals[i], &m_previous[i], nullptr);
        }
        g_restore_fd = -1;
    }
    EchoGuard(const EchoGuard&) = delete;
    EchoGuard& operator=(const EchoGuard&) = delete;

  private:
    struct sigaction m_previous[std::size(kRestoreSignals)]{};
};

}  // namespace

Tty::Tty(std::string_view why) {
    m_fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (m_fd < 0) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} needs a terminal (/dev/tty) and there is none", why));
    }
    if (::tcgetattr(m_fd, &m_saved) != 0) {
        const int err = errno;
        ::close(m_fd);
        throw Error(ErrorCategory::usage,
                    fmt::format("{} needs a terminal: cannot read the settings of /dev/tty: {}",
                                why, std::strerror(err)));
    }
}

Tty::~Tty() {
    ::tcsetattr(m_fd, TCSAFLUSH, &m_saved);
    ::close(m_fd);
}

void Tty::say(std::string_view text) {
    write_all(m_fd, text);
}

Secret Tty::read_line(std::string_view prompt, bool echo, std::size_t max_bytes,
                      std::string_view what) {
    termios mode = m_saved;
    if (!echo) {
        mode.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    }
    mode.c_lflag |= static_cast<tcflag_t>(ICANON);
    Secret line(max_bytes + 1);
    std::size_t length = 0;
    bool ended = false;
    {
        const EchoGuard guard(m_fd, m_saved);
        // Echo goes off (and type-ahead is dropped) before the prompt appears.
        if (::tcsetattr(m_fd, TCSAFLUSH, &mode) != 0) {
            throw Error(ErrorCategory::io, fmt::format("cannot set up /dev/tty for the prompt: {}",
                                                       std::strerror(errno)));
        }
        write_all(m_fd, prompt);
        while (length < line.size()) {
            const ssize_t n = ::read(m_fd, line.data() + length, 1);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0 || line.data()[length] == '\n') {
                ended = true;
                break;
            }
            ++length;
        }
        ::tcsetattr(m_fd, TCSANOW, &m_saved);
    }
    if (!echo) {
        write_all(m_fd, "\n");  // the newline the user typed but did not see
    }
    if (!ended) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} is longer than {} characters", what, max_bytes));
    }
    line.truncate(length);
    return line;
}

Secret Tty::read_twice(std::string_view prompt, std::string_view again, std::size_t max_bytes,
                       std::string_view what, const std::function<void(const Secret&)>& check,
                       std::string_view differ) {
    Secret first = read_line(prompt, false, max_bytes, what);
    if (check) {
        check(first);
    }
    const Secret second = read_line(again, false, max_bytes, what);
    if (!constant_time_equal(first.bytes(), second.bytes())) {
        throw Error(ErrorCategory::invalid_input, std::string(differ));
    }
    return first;
}

}  // namespace smk::cli
