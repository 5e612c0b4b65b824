// smk transcript: check the hash chain of a ceremony transcript, and render it
// for the paper script (the witnesses sign next to what it prints).

#include "transcript.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "io.hpp"
#include "json_text.hpp"
#include "smk/ceremony/transcript.hpp"
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
        nlohmann::json out;
        out["file"] = cmd.file;
        out["lines"] = v.lines;
        out["ok"] = v.ok();
        if (v.ok()) {
            out["last_line_sha256"] = v.last_hash;
        } else {
            out["first_broken_line"] = v.first_broken;
            out["reason"] = v.reason;
        }
        print_out(json_text(out));
    } else if (v.ok()) {
        print_out(fmt::format("{}: OK, {} lines, chain intact; SHA-256 of the last line: {}\n",
                              cmd.file, v.lines, v.last_hash));
    }
    if (!v.ok()) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{}: chain broken at line {}: {}. Lines before {} are intact; "
                                "this line and everything after it cannot be trusted.",
                                cmd.file, v.first_broken, v.reason, v.first_broken));
    }
}

std::string fields_text(const transcript::Fields& fields) {
    std::string text;
    for (const auto& [key, value] : fields) {
        if (!text.empty()) {
            text += ", ";
        }
        text += key + "=" + value;
    }
    return text;
}

void run_print(const TranscriptCommand& cmd) {
    const auto lines = transcript::read_file(cmd.file);  // throws on a broken chain
    const auto v = transcript::verify_file(cmd.file);
    std::string out =
        fmt::format("Transcript {} ({} lines, hash chain verified)\n", cmd.file, lines.size());
    for (const auto& line : lines) {
        out += fmt::format("{:>4}  {}  {:<14} {}\n", line.seq, line.time, line.flow, line.step);
        if (!line.items.empty()) {
            out += "        items:   " + fields_text(line.items) + "\n";
        }
        if (!line.results.empty()) {
            out += "        results: " + fields_text(line.results) + "\n";
        }
        if (!line.digests.empty()) {
            out += "        digests: " + fields_text(line.digests) + "\n";
        }
    }
    out += "SHA-256 of the last line (write it on the paper script): " + v.last_hash + "\n";
    print_out(out);
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
