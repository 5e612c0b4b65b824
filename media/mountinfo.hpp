#pragma once
// Internal (for now): /proc/self/mountinfo, and which mount holds a path.
// Format (proc(5)):
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)    (10)         (11)
// Fields 4, 5 and 10 have space, tab, newline and backslash written as octal
// escapes (\040, \011, \012, \134); they are decoded here.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smk::media {

struct MountInfo {
    int mount_id = 0;
    int parent_id = 0;
    unsigned major = 0;
    unsigned minor = 0;
    std::string root;                          // the part of the filesystem mounted here, e.g. "/"
    std::string mount_point;                   // absolute, in this process's mount namespace
    std::string options;                       // per-mount options, e.g. "rw,nosuid"
    std::vector<std::string> optional_fields;  // "shared:1", "master:2", ...
    std::string fs_type;
    std::string source;  // e.g. "/dev/sdb1", or "none"
    std::string super_options;
};

// Decodes the kernel's \ooo escapes; a backslash not followed by three octal digits
// stays as it is.
[[nodiscard]] std::string decode_octal_escapes(std::string_view field);

// Parses one line. Throws Error(invalid_input) naming `source` (e.g.
// "/proc/self/mountinfo line 12") when the line does not have the fields above.
[[nodiscard]] MountInfo parse_mountinfo_line(std::string_view line, std::string_view source);

// Parses a whole file's text; empty lines are skipped.
[[nodiscard]] std::vector<MountInfo> parse_mountinfo(std::string_view text,
                                                     std::string_view source);

// Reads and parses /proc/self/mountinfo. Error(io) if it cannot be read.
[[nodiscard]] std::vector<MountInfo> read_mountinfo();

// The mount that holds `absolute_path` (already canonical: no links, no "..") among
// `mounts`: the longest mount point that is the path or a parent directory of it, and
// of several mounts stacked on that point, the top-most (the one no other mount there
// sits on). Returns an index into mounts; mounts.size() if none matches.
[[nodiscard]] std::size_t find_mount(std::span<const MountInfo> mounts,
                                     std::string_view absolute_path);

struct PathMount {
    MountInfo mount;
    // stat(path).st_dev equals the mount's major:minor. False on filesystems whose
    // files report another device than their mount (btrfs subvolumes, overlayfs).
    bool device_confirmed = false;
};

// The mount holding `path` in this process, found through its canonical path and
// cross-checked with stat() st_dev. Error(io) if the path cannot be resolved, the
// mount table cannot be read, or no mount matches.
[[nodiscard]] PathMount mount_of(const std::filesystem::path& path);

}  // namespace smk::media
