// Notes and exceptions in a ceremony transcript (smk/ceremony/notes.hpp).

#include "smk/ceremony/notes.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <optional>

#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/error.hpp"

namespace smk::ceremony {
namespace {

void require_text(const std::string& value, std::string_view option) {
    if (value.empty()) {
        throw Error(ErrorCategory::usage, fmt::format("{} is empty: say it in words", option));
    }
    if (value.size() > kMaxNoteBytes) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} is longer than {} bytes: shorten it, or make several notes",
                                option, kMaxNoteBytes));
    }
}

// A note belongs in the ceremony's transcript: one that exists, intact and begun.
// A mistyped name must not quietly start a new chain.
void require_transcript(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        throw Error(ErrorCategory::io,
                    fmt::format("transcript {} does not exist: notes and exceptions go into the "
                                "ceremony's transcript (the plan's, or the one its flows "
                                "named). Nothing was written.",
                                file.string()));
    }
    const auto v = transcript::verify_file(file);
    if (!v.ok()) {
        throw Error(ErrorCategory::verification,
                    fmt::format("transcript {} is broken at line {}: {}. Nothing was written.",
                                file.string(), v.first_broken, v.reason));
    }
    transcript::require_complete(file, v, std::nullopt);
}

// With a plan: the people named must be its participants (the CA in that role).
std::string check_people(const NoteOptions& o) {
    if (o.plan.empty()) {
        return "no (no plan given)";
    }
    const Plan plan = load_plan(o.plan);
    if (plan.participant(o.by) == nullptr) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("\"{}\" is not a participant of plan {}: name someone in its "
                                "[[participants]], exactly as written there. Nothing was written.",
                                o.by, plan.file.string()));
    }
    if (!o.ca.empty() && plan.participant(o.ca, kCeremonyAdministrator) == nullptr) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("\"{}\" is not a ceremony-administrator of plan {}: the "
                                "decision on an exception is the Ceremony Administrator's. "
                                "Nothing was written.",
                                o.ca, plan.file.string()));
    }
    return "yes (plan " + plan.file.string() + ")";
}

}  // namespace

void add_note(const NoteOptions& options, Output& output) {
    require_text(options.by, "--by");
    require_text(options.text, "the note");
    const std::string checked = check_people(options);
    require_transcript(options.transcript);
    Journal journal(options.transcript, false, "note", output);
    journal.record("note", {{"by", options.by}},
                   {{"text", options.text}, {"participants_checked", checked}});
    journal.print_paper_value();
}

void add_exception(const NoteOptions& options, Output& output) {
    require_text(options.by, "--by");
    require_text(options.text, "--what");
    require_text(options.decision, "--decision");
    require_text(options.ca, "--ca");
    const std::string checked = check_people(options);
    require_transcript(options.transcript);
    Journal journal(options.transcript, false, "exception", output);
    journal.record("exception", {{"by", options.by}, {"ca", options.ca}},
                   {{"what", options.text},
                    {"decision", options.decision},
                    {"participants_checked", checked}});
    journal.print_paper_value();
}

}  // namespace smk::ceremony
