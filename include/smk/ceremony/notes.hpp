#pragma once
// What the people in the room add to a ceremony transcript between (or during)
// flows: a note (who, what), and an exception (KMP section 7: "exceptions are
// documented"): who reports it, what deviated from the script, and the Ceremony
// Administrator's decision. Each is one hash-chained line; smk then prints the
// new last line's SHA-256 for the paper script. Never a secret.

#include <filesystem>
#include <string>

#include "smk/ceremony/journal.hpp"

namespace smk::ceremony {

// At most this many bytes per free-text field: a transcript line stays a line.
inline constexpr std::size_t kMaxNoteBytes = 2000;

struct NoteOptions {
    std::filesystem::path transcript;
    // Optional: with a plan, `by` (and an exception's `ca`) must be its participants,
    // the `ca` with role ceremony-administrator (Error(invalid_input) naming them).
    std::filesystem::path plan;
    std::string by;        // who makes the note or reports the exception
    std::string text;      // a note's text; an exception's "what happened"
    std::string decision;  // exception: what the Ceremony Administrator decided
    std::string ca;        // exception: the Ceremony Administrator
};

// Both need a transcript that exists, verifies and has a line (Error(io) /
// Error(verification), nothing written): a mistyped name never starts a new chain.
// smk transcript note: one line, flow "note", step "note" (items by; results text).
void add_note(const NoteOptions& options, Output& output);
// smk transcript exception: one line, flow "exception", step "exception" (items by,
// ca; results what, decision). Every field is required (Error(usage)).
void add_exception(const NoteOptions& options, Output& output);

}  // namespace smk::ceremony
