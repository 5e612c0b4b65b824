// The card options of split --to-cards and combine --from-cards.

#include "card_flow.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <chrono>

#include "pin.hpp"
#include "smk/error.hpp"

namespace smk::cli {

void add_card_flow_options(CLI::App& cmd, CardFlowOptions& options) {
    add_pin_options(cmd, options.pin);
    cmd.add_option("--card-timeout", options.timeout_seconds,
                   "Seconds to wait for each card to be inserted or removed (default 600)")
        ->check(CLI::Range(1U, 86400U));
    cmd.add_flag("--interactive", options.interactive,
                 "Prompt for each card and wait for it even when stdin is not a terminal "
                 "(default: prompt only on a terminal, else take the cards present)");
}

void check_card_flow_options(const CardFlowOptions& options, std::string_view flag) {
    if (!options.enabled && (pin_given(options.pin) || options.pin.last_try || options.overwrite ||
                             options.interactive)) {
        throw Error(ErrorCategory::usage,
                    fmt::format("--pin-file, --pin-fd, --last-try, --overwrite and "
                                "--interactive go with {}",
                                flag));
    }
}

ceremony::CardSessionOptions session_options(const CardFlowOptions& options) {
    ceremony::CardSessionOptions session;
    session.read_pin = [pin = options.pin](card::ShareStore& card) {
        return read_pin(pin, card.label());
    };
    session.last_try = options.pin.last_try;
    session.timeout = std::chrono::seconds(options.timeout_seconds);
    session.mode =
        options.interactive ? ceremony::CardMode::interactive : ceremony::CardMode::automatic;
    return session;
}

}  // namespace smk::cli
