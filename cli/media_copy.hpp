#pragma once
// smk media copy SRC DST [DST...] [--serial PAPER]... [--delete] [--json]
// Copies the backup tree to every drive in one pass with rsync -avW semantics, then
// reads every written file back from the device (see include/smk/copy.hpp).
// Exit codes through smk::Error: 0 all destinations verified, 5 a read-back FAILED,
// 6 I/O (a full drive, an unreadable or changing source file), 2 usage, 7 refused
// (a destination overlapping the source or another destination, a type in the way,
// or with --serial a destination not on the USB drive of that paper serial: one
// --serial per DST, in order, all checked before anything is written).

namespace CLI {
class App;
}

namespace smk::cli {

// Adds "copy" to the "media" subcommand (called from register_media).
void add_media_copy_command(CLI::App& media);

}  // namespace smk::cli
