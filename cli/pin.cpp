// PIN sources and the terminal prompt shared by `smk card`, `smk split
// --to-cards`, `smk combine --from-cards` and the ceremony flows.

#include "pin.hpp"

#include <fcntl.h>
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>

#include "io.hpp"
#include "smk/error.hpp"

namespace smk::cli {
namespace {

constexpr std::size_t kMaxPinBytes = 256;

// The first line of `content`, without its terminator.
Secret first_line(Secret content) {
    const std::string_view text = content.text();
    std::size_t end = std::min(text.find('\n'), text.size());
    if (end > 0 && text[end - 1] == '\r') {
        --end;
    }
    content.truncate(end);
    return content;
}

}  // namespace

Secret read_pin(const PinOptions& options, std::string_view holder) {
    if (!options.file.empty()) {
        return first_line(read_input(options.file, kMaxPinBytes));
    }
    if (options.fd >= 0) {
        if (::fcntl(options.fd, F_GETFD) < 0) {
            throw Error(ErrorCategory::usage,
                        fmt::format("--pin-fd {}: no such open file descriptor", options.fd));
        }
        return first_line(read_input(fmt::format("/dev/fd/{}", options.fd), kMaxPinBytes));
    }
    Tty tty("asking for the PIN (no --pin-file or --pin-fd given)");
    return tty.read_line(fmt::format("User PIN of {}: ", holder), false, kMaxPinBytes, "the PIN");
}

bool pin_given(const PinOptions& options) noexcept {
    return !options.file.empty() || options.fd >= 0;
}

void add_pin_options(CLI::App& cmd, PinOptions& options) {
    auto* file = cmd.add_option("--pin-file", options.file,
                                "User PIN: the first line of FILE (never on the command line)");
    auto* fd = cmd.add_option("--pin-fd", options.fd,
                              "User PIN: the first line read from inherited file descriptor N");
    file->excludes(fd);
    fd->excludes(file);
    cmd.add_flag("--last-try", options.last_try,
                 "Allow VERIFY even when only one PIN try is left (a wrong PIN then blocks it)");
}

}  // namespace smk::cli
