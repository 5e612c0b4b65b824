// The CLI side of a ceremony flow's journal (printed) and card session.

#include <fmt/core.h>

#include "ceremony_flows.hpp"
#include "io.hpp"

namespace smk::cli {

namespace {

// The terminal: steps to stderr, result lines to stdout.
class PrintingOutput final : public ceremony::Output {
  public:
    void say(std::string_view text) override { print_err(text); }
    void result(std::string_view line) override {
        print_out(line);
        print_out("\n");
    }
};

}  // namespace

ceremony::Output& terminal_output() {
    static PrintingOutput terminal;
    return terminal;
}

Journal open_journal(const ceremony::Plan& plan, const CeremonyOptions& options, std::string flow) {
    return Journal(ceremony::transcript_path(plan, options.transcript), options.dry_run,
                   std::move(flow), terminal_output());
}

CardSessionOptions card_session_options(const ceremony::Plan& plan,
                                        const CeremonyOptions& options) {
    CardSessionOptions session;
    session.pin = options.card_pin;
    if (session.pin.file.empty() && session.pin.fd < 0 && !plan.card_pin_file.empty()) {
        session.pin.file = plan.card_pin_file.string();
    }
    session.timeout = std::chrono::seconds(options.card_timeout_s);
    session.mode = options.batch         ? CardMode::batch
                   : options.interactive ? CardMode::interactive
                                         : CardMode::automatic;
    return session;
}

}  // namespace smk::cli
