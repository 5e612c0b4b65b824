// PIN sources and the terminal prompt shared by `smk card`, `smk split
// --to-cards`, `smk combine --from-cards` and the ceremony flows.

#include "pin.hpp"

#include <fcntl.h>
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "smk/error.hpp"
#include "smk/secret_input.hpp"

namespace smk::cli {

// A PIN from FILE, inherited descriptor FD, or the terminal; `option` is "pin",
// "so-pin" or "new-pin".
Secret read_pin_from(const std::string& file, int fd, std::string_view option,
                     std::string_view prompt) {
    if (!file.empty()) {
        return read_pin_file(file);
    }
    if (fd >= 0) {
        if (::fcntl(fd, F_GETFD) < 0) {
            throw Error(ErrorCategory::usage,
                        fmt::format("--{}-fd {}: no such open file descriptor", option, fd));
        }
        return read_pin_file(fmt::format("/dev/fd/{}", fd));
    }
    Tty tty(fmt::format("asking for the PIN (no --{0}-file or --{0}-fd given)", option));
    return tty.read_line(prompt, false, kMaxPinBytes, "the PIN");
}

Secret read_new_pin(const std::string& file, int fd, std::string_view option,
                    std::string_view prompt, std::string_view again,
                    const std::function<void(const Secret&, std::string_view)>& check) {
    if (!file.empty() || fd >= 0) {
        Secret pin = read_pin_from(file, fd, option, prompt);
        check(pin, file.empty() ? fmt::format("--{}-fd {}", option, fd) : input_name(file));
        return pin;
    }
    Tty tty(fmt::format("asking for the new PIN (no --{0}-file or --{0}-fd given)", option));
    return tty.read_twice(
        prompt, again, kMaxPinBytes, "the PIN",
        [&check](const Secret& pin) { check(pin, "the terminal"); },
        "the two entries of the new PIN differ; nothing was sent to the card");
}

Secret read_pin(const PinOptions& options, std::string_view holder) {
    return read_pin_from(options.file, options.fd, "pin", fmt::format("User PIN of {}: ", holder));
}

Secret read_so_pin(const SoPinOptions& options, std::string_view holder) {
    return read_pin_from(options.file, options.fd, "so-pin",
                         fmt::format("Security officer (SO) PIN of {}: ", holder));
}

void add_pin_source(CLI::App& cmd, std::string& file, int& fd, std::string_view option,
                    std::string_view what) {
    auto* from_file =
        cmd.add_option(fmt::format("--{}-file", option), file,
                       fmt::format("{}: the first line of FILE (never on the command line)", what));
    auto* from_fd = cmd.add_option(
        fmt::format("--{}-fd", option), fd,
        fmt::format("{}: the first line read from inherited file descriptor N", what));
    from_file->excludes(from_fd);
    from_fd->excludes(from_file);
}

Secret ask_so_pin_for_plan(std::string_view holder) {
    Tty tty(
        fmt::format("asking for the SO PIN of {} (the plan names no so_pin_file for it)", holder));
    return tty.read_line(fmt::format("Security officer (SO) PIN of {}: ", holder), false,
                         kMaxPinBytes, "the PIN");
}

Secret ask_card_admin_pin_for_plan(std::string_view what) {
    Tty tty(
        fmt::format("asking for the admin PIN of {} (the plan names no [cards] "
                    "admin_pin_file)",
                    what));
    return tty.read_line(fmt::format("Admin PIN (PW3) of {}: ", what), false, kMaxPinBytes,
                         "the PIN");
}

Secret ask_new_card_pin_for_plan(std::string_view who,
                                 const std::function<void(const Secret&)>& check) {
    Tty tty(fmt::format("asking for {}", who));
    return tty.read_twice(fmt::format("New PIN, {}: ", who), "The same PIN again: ", kMaxPinBytes,
                          "the PIN", check,
                          "the two entries of the new PIN differ; nothing was sent to a card");
}

void add_so_pin_options(CLI::App& cmd, SoPinOptions& options) {
    add_pin_source(cmd, options.file, options.fd, "so-pin", "SO PIN");
}

ceremony::PinReader pin_reader(const PinOptions& options) {
    return [options](std::string_view holder) { return read_pin(options, holder); };
}

bool pin_given(const PinOptions& options) noexcept {
    return !options.file.empty() || options.fd >= 0;
}

void add_pin_options(CLI::App& cmd, PinOptions& options) {
    add_pin_source(cmd, options.file, options.fd, "pin", "User PIN");
    cmd.add_flag("--last-try", options.last_try,
                 "Allow VERIFY even when only one PIN try is left (a wrong PIN then blocks it)");
}

}  // namespace smk::cli
