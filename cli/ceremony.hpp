#pragma once

#include "smk/ceremony/flows.hpp"
// The "ceremony" command group: plan-driven issue, backup-copies, restore and
// reissue flows (issue 5).

namespace CLI {
class App;
}

namespace smk::ceremony {
class Output;
}

namespace smk::cli {

struct Context;

void register_ceremony(CLI::App& app, Context& ctx);
// smk ceremony holder (cli/ceremony_holder.cpp), under the "ceremony" group.
void register_ceremony_holder(CLI::App& group);

// The plan's participants confirmed: by --confirm-participants (the Ceremony
// Administrator vouches on the command line), else by typing "yes" on the terminal.
[[nodiscard]] ceremony::ConfirmParticipants participant_confirmation(bool confirmed_by_flag);

// Where the ceremony library's words go on the command line: steps to stderr,
// result lines to stdout (also for `smk transcript note | exception`).
ceremony::Output& terminal_output();

// restore --remote: a remote holder's sealed share and who presents it, from stdin
// (cli/ceremony_remote.cpp).
[[nodiscard]] ceremony::SealedShareInput read_sealed_share_input(
    const ceremony::SealedShareRequest& request);

}  // namespace smk::cli
