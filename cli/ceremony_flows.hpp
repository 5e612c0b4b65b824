#pragma once
// The ceremony flows (cli/ceremony_*.cpp), registered by cli/ceremony.cpp.
// Each flow loads and validates the plan, checks the hardware in front of it
// against the plan before anything irreversible, records every step in the
// transcript (never a secret), and prints one line per item for the paper script.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "card_session.hpp"
#include "pin.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"

namespace smk::cli {

struct CeremonyOptions {
    std::string plan;
    std::string transcript;  // overrides the plan's
    std::string facility;    // "": the plan's first facility
    bool dry_run = false;
    bool no_eject = false;       // backup-copies: leave the drives mounted
    PinOptions card_pin;         // cards (else the plan's [cards] pin_file, else a prompt)
    std::string token_pin_file;  // tokens (else each token's pin_file, else a prompt)
    bool batch = false;          // take the cards present, never prompt
    bool interactive = false;    // prompt and wait for every card
    unsigned card_timeout_s = 600;
    std::string plan_out;    // issue/reissue: where the new plan goes
    unsigned holder = 0;     // reissue
    std::string set;         // reissue: "A" or "B"; restore: the set to use
    bool new_split = false;  // reissue
};

// The journal of one flow (smk/ceremony/journal.hpp): nothing is written in a
// dry run; steps go to stderr, result lines to stdout.
using ceremony::Journal;
// The terminal as a flow's Output: steps to stderr, result lines to stdout.
[[nodiscard]] ceremony::Output& terminal_output();
[[nodiscard]] Journal open_journal(const ceremony::Plan& plan, const CeremonyOptions& options,
                                   std::string flow);

// The card session for a flow, with the PIN source and mode from the options/plan.
[[nodiscard]] CardSessionOptions card_session_options(const ceremony::Plan& plan,
                                                      const CeremonyOptions& options);

// Writes the 14 shares of `split` to the planned cards holder by holder with
// the one card writer (split_to_cards.hpp: every card checked first, each
// record read back, each set self-checked, rolled back on failure), recording
// each step in the journal.
void write_split_to_cards(const ceremony::Plan& plan, CardSession& session,
                          const slip39::SplitResult& split, const Secret& smk_key, bool overwrite,
                          Journal& journal);

void run_issue(const CeremonyOptions& options);
void run_restore(const CeremonyOptions& options);
void run_reissue(const CeremonyOptions& options);

}  // namespace smk::cli
