// smk transcript: check the hash chain of a ceremony transcript, and render it
// for the paper script (the witnesses sign next to what it prints). The texts
// come from smk/ceremony/transcript_report.hpp.

#include "transcript.hpp"

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "io.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/ceremony/transcript_report.hpp"
#include "smk/error.hpp"

namespace smk::cli {
namespace {

struct TranscriptCommand {
    std::string file;
    bool json = false;
};

void run_verify(const TranscriptCommand& cmd) {
    const auto v = transcript::verify_file(cmd.file);
    if (cmd.json) {
        print_out(transcript::verification_json(cmd.file, v));
    } else if (v.ok()) {
        print_out(transcript::verification_text(cmd.file, v));
    }
    if (!v.ok()) {
        throw Error(ErrorCategory::verification, transcript::broken_chain_message(cmd.file, v));
    }
}

void run_print(const TranscriptCommand& cmd) {
    const auto lines = transcript::read_file(cmd.file);  // throws on a broken chain
    const auto v = transcript::verify_file(cmd.file);
    print_out(transcript::render(cmd.file, lines, v.last_hash));
}

}  // namespace

void register_transcript(CLI::App& app, Context& /*ctx*/) {
    auto* group = app.add_subcommand("transcript", "Check and print a ceremony transcript");
    group->require_subcommand(1);

    auto verify_cmd = std::make_shared<TranscriptCommand>();
    auto* verify = group->add_subcommand(
        "verify", "Check the hash chain; exit 5 naming the first broken line");
    verify->add_option("FILE", verify_cmd->file, "The transcript (JSON lines)")->required();
    verify->add_flag("--json", verify_cmd->json, "Machine-readable result");
    verify->callback([verify_cmd] { run_verify(*verify_cmd); });

    auto print_cmd = std::make_shared<TranscriptCommand>();
    auto* print =
        group->add_subcommand("print", "Render a verified transcript for the paper script");
    print->add_option("FILE", print_cmd->file, "The transcript (JSON lines)")->required();
    print->callback([print_cmd] { run_print(*print_cmd); });
}

}  // namespace smk::cli
