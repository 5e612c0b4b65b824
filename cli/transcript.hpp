#pragma once
// The "transcript" command group: verify and print the hash-chained ceremony
// transcript (issue 5).

namespace CLI {
class App;
}

namespace smk::cli {

struct Context;

void register_transcript(CLI::App& app, Context& ctx);
// note and exception (transcript_notes.cpp), inside the "transcript" group.
void register_transcript_notes(CLI::App& group);

}  // namespace smk::cli
