// smk ceremony restore --remote: each remote holder's sealed share as the facility
// receives it. From stdin when it is not a terminal (the batch form: for each
// holder, the name of who presents it on one line, then the sealed share's lines
// and an empty line, or the path of its file); at a terminal the same lines,
// typed or pasted after a prompt. Read in bounded memory; the library checks them.

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "ceremony.hpp"
#include "smk/error.hpp"
#include "smk/text_file.hpp"
#include "tty.hpp"

namespace smk::cli {
namespace {

constexpr std::size_t kMaxLineBytes = 1024;
constexpr std::size_t kMaxShareLines = 64;    // 134 words at 8 a line are 17 lines
constexpr std::size_t kMaxFileBytes = 16384;  // a sealed share's file is about 1.3 KiB

// One line from fd 0 without its '\n', byte by byte so nothing past it is consumed
// (the next holder's lines stay for the next call); nullopt at the end of input.
std::optional<std::string> read_line(unsigned holder) {
    std::string line;
    for (;;) {
        char c = 0;
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw Error(ErrorCategory::io,
                        fmt::format("holder {}'s sealed share: cannot read stdin: {}", holder,
                                    std::strerror(errno)));
        }
        if (n == 0) {
            return line.empty() ? std::nullopt : std::optional<std::string>(line);
        }
        if (c == '\n') {
            return line;
        }
        if (line.size() == kMaxLineBytes) {
            throw Error(ErrorCategory::invalid_input,
                        fmt::format("holder {}'s sealed share: a line of more than {} bytes; a "
                                    "sealed share has 8 words a line",
                                    holder, kMaxLineBytes));
        }
        line += c;
    }
}

std::string trimmed(const std::string& line) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) {
        return {};
    }
    return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
}

[[noreturn]] void ended_early(unsigned holder) {
    throw Error(ErrorCategory::invalid_input,
                fmt::format("holder {}'s sealed share: the input ended before it; for each "
                            "--remote holder give who presents it (one line), then the sealed "
                            "share's lines and an empty line, or the path of its file. Nothing "
                            "was installed.",
                            holder));
}

}  // namespace

ceremony::SealedShareInput read_sealed_share_input(const ceremony::SealedShareRequest& request) {
    const bool typed = ::isatty(STDIN_FILENO) == 1;
    const unsigned holder = request.holder;
    // At a terminal the prompts go to it, as every other prompt of a ceremony does.
    std::optional<Tty> tty;
    if (typed) {
        tty.emplace("the sealed shares are typed at the terminal");
        tty->say(fmt::format("Holder {} ({}): who presents the sealed share? ", holder,
                             request.holder_name));
    }
    ceremony::SealedShareInput input;
    std::optional<std::string> line = read_line(holder);
    if (!line) {
        ended_early(holder);
    }
    input.presented_by = trimmed(*line);
    if (tty) {
        tty->say(
            fmt::format("Holder {}'s sealed share: paste its lines (smk-sealed-share-v1 "
                        "and its words) and an empty line, or type the path of its file:\n",
                        holder));
    }
    do {
        line = read_line(holder);
    } while (line && trimmed(*line).empty());
    if (!line) {
        ended_early(holder);
    }
    const std::string first = trimmed(*line);
    if (first.rfind("smk-", 0) != 0) {
        input.source = first;
        input.text = read_text_file(first, "sealed share", kMaxFileBytes);
        return input;
    }
    input.source = typed ? "typed" : "stdin";
    input.text = first + "\n";
    for (std::size_t lines = 1;; ++lines) {
        line = read_line(holder);
        if (!line || trimmed(*line).empty()) {
            return input;
        }
        if (lines == kMaxShareLines) {
            throw Error(ErrorCategory::invalid_input,
                        fmt::format("holder {}'s sealed share: more than {} lines; a sealed "
                                    "share has 18 (its header and 17 lines of words)",
                                    holder, kMaxShareLines));
        }
        input.text += *line + "\n";
    }
}

}  // namespace smk::cli
