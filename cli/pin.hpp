#pragma once
// PINs and confirmations for the card and token commands. A PIN comes from a
// file (first line), an inherited file descriptor, or a no-echo prompt on
// /dev/tty; never from argv. It lives in a Secret from the first byte read.

#include <functional>
#include <string>
#include <string_view>

#include "smk/ceremony/card_session.hpp"  // PinReader
#include "smk/secret.hpp"
#include "tty.hpp"  // Tty: also for the confirmations of card commands

namespace CLI {
class App;
}

namespace smk::cli {

struct PinOptions {
    std::string file;
    int fd = -1;
    bool last_try = false;
};

// Adds --pin-file, --pin-fd and --last-try to `cmd`.
void add_pin_options(CLI::App& cmd, PinOptions& options);

// Adds --OPTION-file FILE and --OPTION-fd N (one or the other) for the PIN
// called `what` in the help, e.g. ("new-pin", "The new PIN").
void add_pin_source(CLI::App& cmd, std::string& file, int& fd, std::string_view option,
                    std::string_view what);
// The PIN from FILE (first line) or inherited descriptor FD, or, neither given,
// asked on /dev/tty without echo after `prompt`; `option` names the options in
// messages ("pin": --pin-file, --pin-fd).
[[nodiscard]] Secret read_pin_from(const std::string& file, int fd, std::string_view option,
                                   std::string_view prompt);
// A new PIN from FILE or FD, or typed twice without echo on /dev/tty (`prompt`,
// then `again`): `check(pin, source)` runs before anything else is done with it
// (on the terminal, before the second entry) and throws to refuse it; `source`
// names where it came from ("new-pin.txt", "--new-pin-fd 3", "the terminal").
// Error(invalid_input) when the two entries differ; Error(usage) when a prompt
// is needed and there is no terminal.
[[nodiscard]] Secret read_new_pin(
    const std::string& file, int fd, std::string_view option, std::string_view prompt,
    std::string_view again,
    const std::function<void(const Secret& pin, std::string_view source)>& check);

// True when the PIN comes from a file or descriptor (no prompt needed).
[[nodiscard]] bool pin_given(const PinOptions& options) noexcept;

// The PIN from --pin-file / --pin-fd, or asked on /dev/tty naming `holder`
// ("card FFFF:0000001A in ...", "token \"smk-rksh-3\""). Error(usage) when a
// prompt is needed and there is no terminal.
[[nodiscard]] Secret read_pin(const PinOptions& options, std::string_view holder);

// The token security officer's PIN (smk hsm install --trusted): --so-pin-file,
// --so-pin-fd, or a no-echo prompt; never argv.
struct SoPinOptions {
    std::string file;
    int fd = -1;
};
void add_so_pin_options(CLI::App& cmd, SoPinOptions& options);
[[nodiscard]] Secret read_so_pin(const SoPinOptions& options, std::string_view holder);
// The SO PIN of `holder` asked on the terminal for a ceremony, whose plan names no
// so_pin_file for the token; Error(usage) saying so when there is no terminal.
[[nodiscard]] Secret ask_so_pin_for_plan(std::string_view holder);
// The cards' admin PIN (PW3) for a ceremony that generates their keys, when the
// plan names no [cards] admin_pin_file: no-echo on /dev/tty.
[[nodiscard]] Secret ask_card_admin_pin_for_plan(std::string_view what);
// A card PIN chosen in a ceremony (a holder's, the custodian's admin PIN), typed
// twice without echo on /dev/tty; `check` runs on the first entry.
[[nodiscard]] Secret ask_new_card_pin_for_plan(std::string_view who,
                                               const std::function<void(const Secret&)>& check);

// read_pin(options, holder) as the PIN source of a card session or flow.
[[nodiscard]] ceremony::PinReader pin_reader(const PinOptions& options);

}  // namespace smk::cli
