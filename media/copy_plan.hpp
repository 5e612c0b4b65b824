#pragma once
// Internal to the copy engine: what the source holds, where it lands on each
// destination, and what each destination needs -- all decided (and every refusal
// raised) before the first byte is written.

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace smk::copy::detail {

enum class Kind { directory, file, symlink };

struct SourceEntry {
    std::string rel;  // relative to SourceTree::base; "" is the copied directory itself
    Kind kind = Kind::file;
    struct stat st {};
    std::string link_target;  // for symlinks
};

struct SourceTree {
    std::filesystem::path base;  // entries are relative to this directory
    std::filesystem::path root;  // the thing being copied (a directory, file or link)
    // "SRC/" (contents into DST) or a single file/link (into DST): false.
    // "SRC" directory (into DST/NAME): true, and name is NAME.
    bool into_subdirectory = false;
    bool single = false;  // a file or a link, not a directory
    std::string name;
    std::vector<SourceEntry> entries;  // sorted by bytes: parents before children
    std::vector<std::string> special;  // FIFOs, sockets, devices: skipped
    std::size_t files = 0;
    std::uint64_t bytes = 0;
};

// Follows rsync's rule: a trailing '/' means "the contents of". Error(io) naming a
// path that cannot be listed or stat'ed; Error(usage) if the source does not exist.
[[nodiscard]] SourceTree walk_source(std::string_view source);

// Where entry "" lands on `dst`: dst/NAME for "SRC", dst otherwise.
[[nodiscard]] std::filesystem::path target_root(const SourceTree& tree,
                                                const std::filesystem::path& dst);

// Joins without the trailing '/' that `root / ""` would add.
[[nodiscard]] std::filesystem::path join(const std::filesystem::path& root, const std::string& rel);

// Error(refused) when a destination is the source, lies inside it or contains it, or
// two destinations overlap (canonical paths, and st_dev/st_ino of every ancestor so
// that bind mounts and links do not hide it).
void refuse_overlaps(const SourceTree& tree, const std::vector<std::filesystem::path>& targets);

enum class Action {
    create,        // missing: write it (file), make it (directory), link it
    update,        // a file whose size or mtime differ, or a non-file in its place
    compare,       // same size and mtime: hash from the device, rewrite if different
    keep,          // a directory that exists; a link with the same target
    replace_link,  // a link with another target, or a non-link in its place
};

struct DestPlan {
    std::filesystem::path root;
    bool fat_like = false;  // FAT/exFAT: 2 s mtime window, owner and mode not kept
    bool root_exists = false;
    std::vector<Action> actions;  // parallel to SourceTree::entries
    // Parallel too: the size of the regular file already there (0 for anything else).
    // Replacing it keeps that many bytes on the drive until the new copy is placed.
    std::vector<std::uint64_t> replaced_sizes;
    std::vector<std::string> extra;  // top-most entries the source lacks (relative names)
    // Regular files named like core's AtomicFile temporaries (".smk-tmp-*") that the
    // source lacks: what a copy killed mid-file left. Not extras: smk removes them.
    std::vector<std::string> leftovers;
};

// lstat()s every entry on the destination. Error(refused) naming the entry when a
// directory is where the source has something else, or the reverse.
[[nodiscard]] DestPlan plan_destination(const SourceTree& tree, const std::filesystem::path& root);

}  // namespace smk::copy::detail
