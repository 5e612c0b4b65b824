#pragma once
// The "version" command (cli/version.cpp).

namespace CLI {
class App;
}

namespace smk::cli {

struct Context;

void register_version(CLI::App& app, Context& ctx);

}  // namespace smk::cli
