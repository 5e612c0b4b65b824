#pragma once
// The "ceremony" command group: plan-driven issue, backup-copies, restore and
// reissue flows (issue 5).

namespace CLI {
class App;
}

namespace smk::cli {

struct Context;

void register_ceremony(CLI::App& app, Context& ctx);

}  // namespace smk::cli
