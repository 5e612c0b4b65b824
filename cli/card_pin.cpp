// smk card change-pin: a holder sets their own user PIN (PW1) on their OpenPGP
// card, or the plan's custodian the admin PIN (PW3), with CHANGE REFERENCE DATA
// (smk/card.hpp "PINs a holder chooses"), so no card leaves the room with a
// factory PIN.
//   smk card change-pin --reader R [--admin] [--pin-file F | --pin-fd N]
//                       [--new-pin-file F | --new-pin-fd N] [--last-try] [--json]
// The current PIN comes as every PIN does (cli/pin.hpp); the new one from a
// file, a descriptor, or typed twice at a no-echo prompt. The rules for the new
// PIN are checked before any PIN goes to the card, by this command (on the
// first entry, before the second is asked) and again by the library.
// Thin callback: every rule is in smk_smartcard.

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "card.hpp"
#include "io.hpp"
#include "json_text.hpp"
#include "pin.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/interrupt.hpp"

namespace smk::cli {
namespace {

struct PinChangeCommand {
    std::string reader;
    bool admin = false;
    PinOptions pin;  // the current PIN, and --last-try
    std::string new_pin_file;
    int new_pin_fd = -1;
    bool json = false;
};

// A signal (Ctrl-C, SIGTERM, SIGHUP) is acted on only before a PIN goes to the
// card (smk/interrupt.hpp); once CHANGE REFERENCE DATA is sent, the change and
// its check are finished and reported.
void run_change_pin(const PinChangeCommand& options) {
    if (options.pin.fd >= 0 && options.pin.fd == options.new_pin_fd) {
        throw Error(ErrorCategory::usage,
                    "--pin-fd and --new-pin-fd name the same descriptor; give the current and "
                    "the new PIN on two descriptors (or files)");
    }
    const card::PinKind kind = options.admin ? card::PinKind::admin : card::PinKind::user;
    const std::string_view name = card::pin_name(kind);
    const InterruptScope interruptible;
    card::ShareStore card(card::find_reader(options.reader));
    const std::size_t max_length = card.max_pin_length(kind);
    const auto check = [&](const Secret& pin, std::string_view source) {
        card::check_new_pin(kind, pin, source, max_length);
    };
    const auto read_next = [&] {
        return read_new_pin(options.new_pin_file, options.new_pin_fd, "new-pin",
                            fmt::format("New {} of {}: ", name, card.label()),
                            fmt::format("New {} again: ", name), check);
    };
    // A new PIN from a file is checked before anyone types the current one.
    const bool new_typed = options.new_pin_file.empty() && options.new_pin_fd < 0;
    Secret next = new_typed ? Secret{} : read_next();
    const Secret current = read_pin_from(options.pin.file, options.pin.fd, "pin",
                                         fmt::format("Current {} of {}: ", name, card.label()));
    if (new_typed) {
        next = read_next();
    }
    throw_if_interrupted(
        fmt::format("stopped before any PIN was sent: nothing was changed on {}", card.label()));
    card.change_pin(kind, current, next, options.pin.last_try);
    const std::string done = fmt::format(
        "the {} of {} is the new one (the card took it and verified it)", name, card.label());
    card::PinTries tries;
    try {
        tries = card.tries();
    } catch (const Error& error) {
        throw Error(error.category(),
                    fmt::format("{}, but reading its tries then failed: {}", done, error.what()));
    }
    const unsigned left = options.admin ? tries.admin : tries.user;
    if (options.json) {
        print_out(json_text({{"card", card.serial()},
                             {"holder", card.label()},
                             {"pin", options.admin ? "admin" : "user"},
                             {"changed", true},
                             {"verified", true},
                             {"tries", left}}));
    } else {
        print_out(fmt::format("changed the {} of {}; the card takes the new PIN ({} {} left)\n",
                              name, card.label(), left, left == 1 ? "try" : "tries"));
    }
    throw_if_interrupted(
        fmt::format("the new PIN had already been sent, so smk finished: {}", done));
}

}  // namespace

void register_card_pin(CLI::App& group) {
    auto options = std::make_shared<PinChangeCommand>();
    auto* cmd = group.add_subcommand(
        "change-pin",
        "Set a new user PIN (PW1), or with --admin the admin PIN (PW3), on an OpenPGP card: "
        "the new PIN is typed twice without echo (or read from --new-pin-file/--new-pin-fd) "
        "and checked against the PIN rules before anything is sent");
    cmd->add_option("--reader", options->reader, "Reader: the exact name or a unique part of it")
        ->required();
    cmd->add_flag("--admin", options->admin,
                  "Change the admin PIN (PW3) instead of the user PIN (PW1); --pin-file and "
                  "--pin-fd then give the current admin PIN");
    add_pin_source(*cmd, options->pin.file, options->pin.fd, "pin",
                   "The current PIN (the admin PIN with --admin)");
    add_pin_source(*cmd, options->new_pin_file, options->new_pin_fd, "new-pin",
                   "The new PIN (default: typed twice at a no-echo prompt on /dev/tty)");
    cmd->add_flag("--last-try", options->pin.last_try,
                  "Allow the change even when only one try of the current PIN is left (a wrong "
                  "PIN then blocks it)");
    cmd->add_flag("--json", options->json, "Print JSON");
    cmd->footer(fmt::format(
        "New PIN rules: user PIN {}; admin PIN {}. Exit codes: 3 a new PIN breaking the rules "
        "or two entries that differ, 5 wrong current PIN (the tries left are shown), 7 one try "
        "left without --last-try, 8 a blocked PIN or a card fault. For OpenPGP cards only: a "
        "PKCS#11 token changes its PINs with its own tools (e.g. pkcs11-tool --change-pin, "
        "softhsm2-util), so there is no --pkcs11-module here.",
        card::new_pin_rules(card::PinKind::user), card::new_pin_rules(card::PinKind::admin)));
    cmd->callback([options] { run_change_pin(*options); });
}

}  // namespace smk::cli
