#pragma once
// The controlling terminal, for prompts that must not go through stdin/stdout
// (a PIN, a passphrase, a confirmation): /dev/tty, with echo off for secrets.
// While echo is off, SIGINT/SIGTERM/SIGHUP/SIGQUIT first restore the terminal's
// settings and then take their default action, so Ctrl-C at a hidden prompt
// never leaves the operator's terminal without echo.

#include <termios.h>

#include <cstddef>
#include <functional>
#include <string_view>

#include "smk/secret.hpp"

namespace smk::cli {

class Tty final {
  public:
    // Opens /dev/tty. Error(usage) naming `why` when there is no terminal.
    explicit Tty(std::string_view why);
    ~Tty();
    Tty(const Tty&) = delete;
    Tty& operator=(const Tty&) = delete;

    // One line typed after `prompt`, echo off unless `echo`, at most `max_bytes`
    // (Error(invalid_input) naming `what` when longer).
    [[nodiscard]] Secret read_line(std::string_view prompt, bool echo, std::size_t max_bytes = 256,
                                   std::string_view what = "the answer");
    // A new secret typed twice without echo (a PIN, a passphrase): `check` may
    // refuse the first entry by throwing, before the second is asked; the two
    // entries are compared in constant time and Error(invalid_input) with
    // `differ` when they are not equal.
    [[nodiscard]] Secret read_twice(std::string_view prompt, std::string_view again,
                                    std::size_t max_bytes, std::string_view what,
                                    const std::function<void(const Secret&)>& check,
                                    std::string_view differ);
    // Writes `text` to the terminal.
    void say(std::string_view text);

  private:
    int m_fd = -1;
    termios m_saved{};
};

}  // namespace smk::cli
