// smk transcript: check the hash chain of a ceremony transcript, and render it
// for the paper script (the witnesses sign next to what it prints). The texts
// come from smk/ceremony/transcript_report.hpp.

#include "transcript.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/ceremony/transcript_print.hpp"
#include "smk/ceremony/transcript_report.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"

namespace smk::cli {
namespace {

struct TranscriptCommand {
    std::string file;
    bool json = false;
    std::string expect_last;        // as written on the paper: hex, colon form or PGP words
    std::vector<std::string> outs;  // print --out: the record files (.pdf: PDF, else text)
};

void run_verify(const TranscriptCommand& cmd) {
    std::optional<Sha256> expected;
    if (!cmd.expect_last.empty()) {
        try {
            expected = parse_digest_text(cmd.expect_last);
        } catch (const Error& e) {
            throw Error(ErrorCategory::usage, std::string("--expect-last: ") + e.what());
        }
    }
    const auto v = transcript::verify_file(cmd.file);
    if (!v.ok()) {
        if (cmd.json) {
            print_out(transcript::verification_json(cmd.file, v));
        }
        throw Error(ErrorCategory::verification, transcript::broken_chain_message(cmd.file, v));
    }
    try {
        transcript::require_complete(cmd.file, v, expected);
    } catch (const Error& e) {
        if (cmd.json) {
            print_out(transcript::incomplete_json(cmd.file, v, e.what()));
        }
        throw;
    }
    print_out(cmd.json ? transcript::verification_json(cmd.file, v)
                       : transcript::verification_text(cmd.file, v));
}

void run_print(const TranscriptCommand& cmd) {
    if (!cmd.outs.empty()) {
        print_out(transcript::written_records_text(transcript::write_records(
            cmd.file, std::vector<std::filesystem::path>(cmd.outs.begin(), cmd.outs.end()))));
        return;
    }
    // One read: the lines printed and the last-line value are of the same bytes.
    const auto record = transcript::read_verified(cmd.file);  // throws on a broken chain
    transcript::require_complete(cmd.file, record.verification, std::nullopt);
    print_out(transcript::render(cmd.file, record.lines, record.verification.last_hash));
}

}  // namespace

void register_transcript(CLI::App& app, Context& /*ctx*/) {
    auto* group = app.add_subcommand(
        "transcript", "Check and print a ceremony transcript; add notes and exceptions to it");
    group->require_subcommand(1);

    auto verify_cmd = std::make_shared<TranscriptCommand>();
    auto* verify = group->add_subcommand(
        "verify",
        "Check the hash chain; exit 5 naming the first broken line, for an empty transcript, or "
        "when the last line is not the one written on the paper (--expect-last)");
    verify->add_option("FILE", verify_cmd->file, "The transcript (JSON lines)")->required();
    verify->add_option("--expect-last", verify_cmd->expect_last,
                       "The SHA-256 of the last line as written on the paper script: 64 hex "
                       "digits, openssl's colon form, or the 32 PGP words (quoted)");
    verify->add_flag("--json", verify_cmd->json, "Machine-readable result");
    verify->callback([verify_cmd] { run_verify(*verify_cmd); });

    auto print_cmd = std::make_shared<TranscriptCommand>();
    auto* print = group->add_subcommand(
        "print",
        "Render a verified transcript for the paper script: on stdout, or with --out as a "
        "paginated record to print, read aloud and initial (exit 5 for a broken or empty "
        "transcript, 7 when an --out file exists; nothing is written then)");
    print->add_option("FILE", print_cmd->file, "The transcript (JSON lines)")->required();
    print
        ->add_option("--out", print_cmd->outs,
                     "Write the record to this new file instead of stdout: a PDF (A4, DejaVu "
                     "Sans Mono) when the name ends in .pdf, paginated text otherwise; may be "
                     "given twice (text and PDF). Its SHA-256 is printed as hex, colon form "
                     "and PGP words for the paper script")
        ->allow_extra_args(false);
    print->callback([print_cmd] { run_print(*print_cmd); });

    register_transcript_notes(*group);
}

}  // namespace smk::cli
