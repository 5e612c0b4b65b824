// PIN sources and the terminal prompt shared by `smk card`, `smk split
// --to-cards`, `smk combine --from-cards` and the ceremony flows.

#include "pin.hpp"

#include <fcntl.h>
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "smk/error.hpp"
#include "smk/secret_input.hpp"

namespace smk::cli {

Secret read_pin(const PinOptions& options, std::string_view holder) {
    if (!options.file.empty()) {
        return read_pin_file(options.file);
    }
    if (options.fd >= 0) {
        if (::fcntl(options.fd, F_GETFD) < 0) {
            throw Error(ErrorCategory::usage,
                        fmt::format("--pin-fd {}: no such open file descriptor", options.fd));
        }
        return read_pin_file(fmt::format("/dev/fd/{}", options.fd));
    }
    Tty tty("asking for the PIN (no --pin-file or --pin-fd given)");
    return tty.read_line(fmt::format("User PIN of {}: ", holder), false, kMaxPinBytes, "the PIN");
}

ceremony::PinReader pin_reader(const PinOptions& options) {
    return [options](std::string_view holder) { return read_pin(options, holder); };
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
