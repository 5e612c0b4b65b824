#pragma once
// Internal to the copy engine: putting one file, link or directory's metadata on a
// destination without a partial file ever carrying a final name.

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "smk/atomic_file.hpp"

namespace smk::copy::detail {

// What of the source's metadata a destination keeps.
struct MetadataPolicy {
    bool owner = false;            // root only: chown to the source's uid/gid
    bool tolerate_errors = false;  // FAT/exFAT: mode and owner cannot be kept
};

// One destination file: core's AtomicFile (temporary name ".smk-tmp-XXXXXXXXXXXX-NAME",
// O_EXCL, mode 0600, in its final directory; removed unless placed) that may replace
// an older copy when placed.
[[nodiscard]] std::unique_ptr<AtomicFile> new_destination_file(std::filesystem::path final_path);

// Sets owner, mode and mtime from `source` and closes the file, without fsync: the
// engine syncs a batch of sealed files with one syncfs() per destination before
// placing any of them (AtomicFile::place; one fsync per small file costs a device
// round trip).
void seal(AtomicFile& file, const struct stat& source, const MetadataPolicy& policy);

// syncfs() of the filesystem holding `dir`: every written byte and inode on that
// drive reaches it. Error(io) naming dir (a write-back error shows here).
void sync_filesystem(const std::filesystem::path& dir);

// A symbolic link to `target` at `path`: created under a temporary name, then renamed
// over whatever is there (never a directory: the plan refused that).
void place_symlink(const std::filesystem::path& path, const std::string& target,
                   const struct stat& source, const MetadataPolicy& policy);

// A directory at `path` (mode 0700 until set_directory_metadata). Error(io) naming it.
void make_directory(const std::filesystem::path& path);

// Owner, mode and mtime of an existing directory (set after everything in it was
// written) or regular file (kept after its content was verified), in place.
void set_metadata_in_place(const std::filesystem::path& path, const struct stat& source,
                           const MetadataPolicy& policy);

}  // namespace smk::copy::detail
