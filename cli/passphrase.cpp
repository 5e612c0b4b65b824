#include "passphrase.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "io.hpp"
#include "smk/error.hpp"

namespace smk::cli {
namespace {

constexpr std::size_t kMaxPassphraseBytes = 1024;

// Owns a file descriptor of /dev/tty and restores its terminal settings.
class Terminal final {
public:
    Terminal() {
        m_fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (m_fd < 0) {
            throw Error(ErrorCategory::usage,
                        "--ask-passphrase needs a terminal (/dev/tty) and there is none; use "
                        "--passphrase-file FILE instead");
        }
        if (::tcgetattr(m_fd, &m_saved) != 0) {
            const int err = errno;
            ::close(m_fd);
            throw Error(ErrorCategory::io,
                        fmt::format("cannot read the settings of /dev/tty: {}", std::strerror(err)));
        }
    }
    ~Terminal() {
        ::tcsetattr(m_fd, TCSAFLUSH, &m_saved);
        ::close(m_fd);
    }
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    // Prints `prompt`, reads one line with echo off, and prints the newline the
    // user typed but did not see.
    [[nodiscard]] Secret read_hidden(std::string_view prompt) {
        // Echo goes off (and type-ahead is dropped) before the prompt appears.
        termios quiet = m_saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= static_cast<tcflag_t>(ICANON);
        if (::tcsetattr(m_fd, TCSAFLUSH, &quiet) != 0) {
            throw Error(ErrorCategory::io,
                        fmt::format("cannot turn off echo on /dev/tty: {}", std::strerror(errno)));
        }
        write_all(m_fd, prompt);
        Secret line(kMaxPassphraseBytes + 1);
        std::size_t length = 0;
        bool ended = false;
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
        write_all(m_fd, "\n");
        if (!ended) {
            throw Error(ErrorCategory::invalid_input,
                        fmt::format("the passphrase is longer than {} characters",
                                    kMaxPassphraseBytes));
        }
        line.truncate(length);
        return line;
    }

private:
    int m_fd = -1;
    termios m_saved{};
};

// First line of the file, without its line terminator.
Secret passphrase_from_file(const std::string& path) {
    Secret content = read_input(path, 64 * 1024);
    const std::string_view text = content.text();
    std::size_t end = text.find('\n');
    if (end == std::string_view::npos) {
        end = text.size();
    }
    if (end > 0 && text[end - 1] == '\r') {
        --end;
    }
    content.truncate(end);
    return content;
}

// SLIP-39 passphrases are printable ASCII; checked without branching per byte.
void check_printable(const Secret& passphrase, std::string_view source) {
    if (passphrase.empty()) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the passphrase from {} is empty; to use no passphrase, leave "
                                "out --passphrase-file and --ask-passphrase",
                                source));
    }
    unsigned bad = 0;
    for (const std::uint8_t c : passphrase.bytes()) {
        // (c - 32) underflows for c < 32 and 126 - c for c > 126: bit 8 set either way.
        bad |= ((static_cast<unsigned>(c) - 32U) | (126U - static_cast<unsigned>(c))) >> 8U;
    }
    if (bad != 0) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the passphrase from {} has a character that is not printable "
                                "ASCII; SLIP-39 passphrases may use only ASCII 32..126",
                                source));
    }
}

}  // namespace

void add_passphrase_options(CLI::App& cmd, PassphraseOptions& options) {
    auto* file = cmd.add_option("--passphrase-file", options.file,
                                "SLIP-39 passphrase: the first line of FILE (never on the "
                                "command line)");
    auto* ask = cmd.add_flag("--ask-passphrase", options.ask,
                             "SLIP-39 passphrase: prompt on /dev/tty without echo");
    file->excludes(ask);
    ask->excludes(file);
}

Secret read_passphrase(const PassphraseOptions& options, bool confirm) {
    if (!options.file.empty()) {
        Secret passphrase = passphrase_from_file(options.file);
        check_printable(passphrase, input_name(options.file));
        return passphrase;
    }
    if (!options.ask) {
        return {};
    }
    Terminal tty;
    Secret passphrase = tty.read_hidden("SLIP-39 passphrase: ");
    check_printable(passphrase, "the terminal");
    if (confirm) {
        const Secret again = tty.read_hidden("SLIP-39 passphrase (again): ");
        if (!constant_time_equal(passphrase.bytes(), again.bytes())) {
            throw Error(ErrorCategory::invalid_input,
                        "the two passphrases differ; nothing was done. Run again.");
        }
    }
    return passphrase;
}

}  // namespace smk::cli
