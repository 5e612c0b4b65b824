#pragma once
// The "transcript" command group: verify and print the hash-chained ceremony
// transcript (issue 5).

namespace CLI {
class App;
}

namespace smk::cli {

struct Context;

void register_transcript(CLI::App& app, Context& ctx);

}  // namespace smk::cli
