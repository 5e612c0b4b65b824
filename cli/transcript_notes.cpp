// smk transcript note | exception: the people in the room add to the transcript.
// The library does it (smk/ceremony/notes.hpp); this file maps the options.

#include <CLI/CLI.hpp>
#include <memory>

#include "ceremony.hpp"
#include "smk/ceremony/notes.hpp"
#include "transcript.hpp"

namespace smk::cli {

void register_transcript_notes(CLI::App& group) {
    auto note = std::make_shared<ceremony::NoteOptions>();
    auto* note_cmd = group.add_subcommand(
        "note", "Append a note (who, what) to a transcript; prints the new last line's SHA-256");
    note_cmd->add_option("FILE", note->transcript, "The transcript (JSON lines)")->required();
    note_cmd->add_option("TEXT", note->text, "The note, in words (quoted)")->required();
    note_cmd->add_option("--by", note->by, "Who makes the note")->required();
    note_cmd->add_option("--plan", note->plan,
                         "Check that --by is one of the plan's [[participants]]");
    note_cmd->callback([note] { ceremony::add_note(*note, terminal_output()); });

    auto exception = std::make_shared<ceremony::NoteOptions>();
    auto* exception_cmd = group.add_subcommand(
        "exception",
        "Record an exception: what deviated from the script, who reported it, and the "
        "Ceremony Administrator's decision; prints the new last line's SHA-256");
    exception_cmd->add_option("FILE", exception->transcript, "The transcript (JSON lines)")
        ->required();
    exception_cmd->add_option("--by", exception->by, "Who reports it")->required();
    exception_cmd->add_option("--what", exception->text, "What happened, in words")->required();
    exception_cmd->add_option("--decision", exception->decision, "What the CA decided")->required();
    exception_cmd->add_option("--ca", exception->ca, "The Ceremony Administrator")->required();
    exception_cmd->add_option("--plan", exception->plan,
                              "Check --by and --ca against the plan's [[participants]] (--ca "
                              "as ceremony-administrator)");
    exception_cmd->callback(
        [exception] { ceremony::add_exception(*exception, terminal_output()); });
}

}  // namespace smk::cli
