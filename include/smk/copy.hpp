#pragma once
// Copying the HSM backup tree to the Master Backup Copy and the Operative Backup
// Copies in one pass, with `rsync -avW` semantics and none of its traps.
//
// What it does (and why):
// - rsync's trailing-slash rule: "SRC/" copies what SRC holds into each DST, "SRC"
//   copies SRC itself to DST/SRC. A source that is a regular file is copied to DST/NAME.
// - Recursive; directories, regular files and symbolic links (copied as links, never
//   followed); permissions and modification times; owner and group when running as
//   root. FIFOs, sockets and device nodes are skipped and reported.
// - Whole files only. The source is read once, hashed while read (SHA-256), and each
//   chunk goes to every destination that needs the file in the same pass, in bounded
//   memory (one 1 MiB buffer) whatever the file size.
// - rsync's quick check is not trusted: a destination file with the same size and
//   mtime (a 2-second window on FAT/exFAT) is hashed from the device and rewritten if
//   it differs. Only that rare case reads the source a second time, and then its hash
//   must equal the first one.
// - Every file is written under a temporary name in its destination directory with
//   its mode, owner and mtime set, synced, then renamed into place (replacing an older
//   copy atomically; a final name never holds a partial file). Files are synced in
//   batches (up to 512 files or 256 MiB: one syncfs() per destination drive, since an
//   fsync per small file costs a device round trip each), renamed, and every directory
//   touched is fsynced at the end. A failure removes the unplaced temporary files of
//   its batch; files placed before stay complete. Until its batch is placed, a file
//   that replaces an older copy has both on the drive: an update needs free room for
//   the old copies of one batch's files (rsync -aW, one file at a time, for one), and
//   a full drive's error says how much (Error(io), the drive named).
// - A failure after the copy began (a full drive, an unreadable or changing source
//   file) stops it where it is: directories and links are made first (new
//   directories keep mode 0700 and the wrong mtime until a run completes), files of
//   earlier batches are in place and complete, the current batch's temporary files
//   are removed, and with delete_extras the extras are already gone. No final name
//   holds a partial file; running the same copy again completes it.
// - After writing, every file written to a destination is read back from the device
//   and compared with the source hash: its (clean, synced) pages are dropped from the
//   cache, the kernel is asked to confirm none is left (mincore), and the file is read
//   with readahead; where that cannot be confirmed it is read O_DIRECT
//   (ReadMode::drop_cache in smk/digest.hpp; why in media/copy_engine.cpp). Every
//   symbolic link of the source, made or kept, is then read on every destination
//   (readlink, as the filesystem reports it, never followed) and must have the
//   source's target.
// - A source file that changes while it is copied (size, mtime or ctime differ after
//   reading, or the second read hashes differently) is an error naming it.
// - Extra entries on a destination are reported; removed only with delete_extras.
// - Refused before anything is written: a destination that is the source, lies inside
//   it or contains it (canonical paths and st_dev/st_ino of every ancestor), two
//   destinations that overlap, and an entry whose type on a destination is in the way
//   (a directory where the source has a file, or the reverse).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace smk::copy {

enum class Phase {
    checking,   // walking the source and destinations, refusals
    copying,    // reading the source and writing the destinations
    verifying,  // reading every written file back from the device
    done,
};

struct Progress {
    Phase phase = Phase::checking;
    std::uint64_t bytes_done = 0;   // source bytes read in this phase (copying) or
                                    // destination bytes read back (verifying)
    std::uint64_t bytes_total = 0;  // what this phase will read
    std::size_t files_done = 0;
    std::size_t files_total = 0;
    std::string current;  // relative name of the file being read
};

struct Options {
    // Remove entries on a destination that the source does not have.
    bool delete_extras = false;
    // Called at each phase change and after every chunk; may throw to abort.
    std::function<void(const Progress&)> progress;
};

// A symbolic link on a destination that does not point where the source's does.
struct LinkMismatch {
    std::string name;             // relative name
    std::string expected_target;  // the source link's
    std::string actual_target;    // the destination's; empty unless a link is there
    std::string detail;           // what is there, both targets named
};

struct DestinationReport {
    std::filesystem::path root;          // where the source tree lands (DST, or DST/NAME)
    std::size_t copied = 0;              // files that were missing
    std::size_t updated = 0;             // files whose size or mtime differed
    std::size_t unchanged_verified = 0;  // same size+mtime, hash from the device matched
    std::size_t rewritten = 0;           // same size+mtime but different content
    std::size_t symlinks = 0;            // links created or replaced
    std::size_t directories = 0;         // directories created
    std::vector<std::string> extra;      // entries the source lacks (relative names)
    std::vector<std::string> deleted;    // the extras removed (delete_extras)
    // smk's own temporary files (".smk-tmp-*") a killed copy left, removed always.
    std::vector<std::string> leftovers_removed;
    std::uint64_t bytes_written = 0;
    std::size_t files_verified = 0;  // files read back after writing
    std::size_t links_verified = 0;  // links checked after writing (every link of the source)
    // Files whose read-back hash differed, then links whose target differs.
    std::vector<std::string> verify_failed;
    std::vector<LinkMismatch> links_failed;  // the links of verify_failed, with both targets

    [[nodiscard]] bool verified_ok() const noexcept { return verify_failed.empty(); }
};

struct Report {
    std::filesystem::path source;              // the directory (or file) being copied
    std::size_t files = 0;                     // regular files in the source
    std::uint64_t bytes = 0;                   // their total size
    std::vector<std::string> skipped_special;  // FIFOs, sockets, devices (not copied)
    std::vector<DestinationReport> destinations;

    [[nodiscard]] bool verified_ok() const noexcept;
};

// Copies `source` (as given: a trailing '/' matters) to every destination. Throws
// Error(refused) for the refusals above (before writing anything), Error(usage) for
// no destination, Error(io) naming it for a source that does not exist, Error(io)
// naming the file for a read or write failure (including a full drive: the temporary
// files are removed, no final name holds a partial file, and the message names the
// drive and the free room the batches need), Error(io) for a source file that changed
// during the copy. Verification failures do not throw: see Report::verified_ok().
[[nodiscard]] Report copy_tree(std::string_view source,
                               const std::vector<std::string>& destinations,
                               const Options& options = {});

}  // namespace smk::copy
