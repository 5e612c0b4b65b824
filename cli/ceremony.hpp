#pragma once
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

// Where the ceremony library's words go on the command line: steps to stderr,
// result lines to stdout (also for `smk transcript note | exception`).
ceremony::Output& terminal_output();

}  // namespace smk::cli
