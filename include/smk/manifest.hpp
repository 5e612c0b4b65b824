#pragma once
// SHA-256 manifests of a directory tree, byte-for-byte interoperable with GNU
// coreutils sha256sum (9.1) both ways: what generate() writes passes
// `cd DIR && sha256sum -c --strict MANIFEST`, and verify() reads what sha256sum
// writes (text, -b binary, --tag BSD lines, escaped names) the way `sha256sum -c` does.
//
// Choices (and why):
// - Names are relative to the tree root, without "./", '/'-separated, sorted by
//   their bytes (LC_ALL=C order of the whole path): deterministic on every machine.
// - A name holding '\', newline or CR is written escaped, as coreutils does: the line
//   starts with '\', and '\' -> "\\", newline -> "\n", CR -> "\r".
// - Symbolic links are recorded, never followed: each as a comment line
//   "# symlink NAME -> TARGET" (NAME and TARGET escaped: '\' -> "\\", newline ->
//   "\n", CR -> "\r", '>' -> "\>"; docs/FORMAT.md §8), after the file lines.
//   `sha256sum -c` skips lines starting with '#', so the manifest stays a sha256sum
//   manifest of the files; verify checks that each recorded link is a symbolic link
//   with exactly that target (readlink, not followed). A link's target may lie
//   outside the drive, and rsync -a copies links as links, so hashing a target would
//   attest bytes that are not on the drive. For the same reason verify does not
//   follow a symbolic link named by a file line (that entry FAILS), nor one on the
//   path to a file or link, and refuses names that are absolute or climb out of the
//   root with "..". A manifest without link lines (older smk, sha256sum) still
//   verifies as before; links in the tree are then extra.
// - Files and links in the tree that no manifest lists (special files included) are
//   always reported as extra; they make the verification fail only with strict (a
//   drive may carry harmless litter such as "System Volume Information"; a ceremony
//   that wants an exact tree says --strict). Empty directories are not reported.
// - verify_directory() looks for manifests only directly in DIR (names in them are
//   relative to DIR, as for `cd DIR && sha256sum -c`), not in subdirectories.
// - strict also turns every improperly formatted line into an error, as
//   `sha256sum -c --strict` does; without it such lines are reported and skipped.
//   A line starting with "# symlink " is a link line: malformed, it is improperly
//   formatted too (any other '#' line is a comment).
// - Files, and the manifests themselves, are read from the device
//   (ReadMode::direct) unless told otherwise.
// - Where sha256sum -c would open a name no file can have ("" or one cut at a NUL)
//   the line is improperly formatted here; a name "-" is a file called "-" (sha256sum
//   would read its stdin).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smk/digest.hpp"
#include "smk/error.hpp"

namespace smk::manifest {

// ---- parsing -------------------------------------------------------------------

enum class LineFormat {
    text,          // "HEX  name"             (sha256sum)
    binary,        // "HEX *name"             (sha256sum -b)
    tag,           // "SHA256 (name) = HEX"   (sha256sum --tag, BSD sha256)
    bsd_reversed,  // "HEX name"              (BSD sha256 -r; accepted as coreutils does)
};

struct Entry {
    std::string name;  // unescaped bytes, as the manifest gives them
    Sha256 digest{};
    LineFormat format = LineFormat::text;
    std::size_t line = 0;  // 1-based
};

struct ImproperLine {
    std::size_t line = 0;
    std::string reason;
};

// A symbolic link: "# symlink NAME -> TARGET" in a manifest.
struct LinkEntry {
    std::string name;      // unescaped, relative to the root
    std::string target;    // unescaped: what readlink gives, never followed
    std::size_t line = 0;  // 1-based in a parsed manifest; 0 when generated
};

struct Parsed {
    std::vector<Entry> entries;
    std::vector<LinkEntry> links;
    std::vector<ImproperLine> improper;  // empty when strict
};

// Parses manifest text the way `sha256sum -c` does: '#' in the first column starts
// a comment (but "# symlink " a link line), empty lines are skipped, CRLF line ends
// and upper-case hex are accepted.
// `source` names the manifest in errors ("SHA256SUMS line 7: ..."). Throws
// Error(invalid_input) on the first improperly formatted line when strict, and
// whenever no file line is properly formatted (sha256sum -c would reject it).
[[nodiscard]] Parsed parse(std::string_view text, std::string_view source, bool strict);

// ---- generating ----------------------------------------------------------------

struct FileEntry {
    std::string name;  // relative to the root, e.g. "keys/share 1.txt"
    Sha256 digest{};
    std::uint64_t size = 0;
};

struct Generated {
    std::vector<FileEntry> files;              // sorted by name bytes
    std::vector<LinkEntry> links;              // sorted by name bytes, not followed
    std::vector<std::string> skipped_special;  // FIFOs, sockets, device nodes
    // The manifest: one line per file, then one "# symlink" line per link.
    [[nodiscard]] std::string text() const;
};

struct GenerateOptions {
    ReadMode read_mode = ReadMode::direct;
    // Files to leave out (e.g. the manifest being written), by path; compared after
    // resolving symbolic links in their directories.
    std::vector<std::filesystem::path> exclude;
};

// Every regular file (hashed) and symbolic link (its target) under root, recursively.
// Throws Error(io) naming what cannot be read.
[[nodiscard]] Generated generate(const std::filesystem::path& root,
                                 const GenerateOptions& options = {});

// Generates the manifest of root and writes it to out (0644, temp + fsync + rename,
// never overwriting: Error(refused) if out exists, checked before any file is read).
// out itself, and its temporary, are excluded when they lie in the tree.
[[nodiscard]] Generated write_manifest(const std::filesystem::path& root,
                                       const std::filesystem::path& out,
                                       const GenerateOptions& options = {});

// One sha256sum text line, "HEX  name\n", escaped as coreutils escapes it.
[[nodiscard]] std::string format_line(std::string_view name, const Sha256& digest);
// One link line, "# symlink NAME -> TARGET\n", both escaped (docs/FORMAT.md §8).
[[nodiscard]] std::string format_link_line(std::string_view name, std::string_view target);

// ---- verifying -----------------------------------------------------------------

enum class FileStatus {
    ok,
    failed,      // digest differs, or not a regular file (a link, a directory)
    missing,     // no such file
    unreadable,  // present but cannot be opened or read (permissions, I/O error)
};

[[nodiscard]] std::string_view status_name(FileStatus status) noexcept;  // "OK", "FAILED", ...

struct FileResult {
    std::string name;
    FileStatus status = FileStatus::ok;
    std::string detail;        // why, when not OK
    std::string expected_hex;  // lower case
    std::string actual_hex;    // empty when the file could not be read
    std::filesystem::path manifest;
    std::size_t line = 0;
};

// A recorded link as found in the tree: OK when a symbolic link with exactly the
// recorded target is there; FAILED when another target, or something else (a file, a
// directory), is there or a link is on its path; MISSING when nothing is there.
struct LinkResult {
    std::string name;
    FileStatus status = FileStatus::ok;
    std::string detail;           // why, when not OK: names both targets
    std::string expected_target;  // as recorded
    std::string actual_target;    // empty unless a symbolic link is there
    std::filesystem::path manifest;
    std::size_t line = 0;
};

struct ManifestIssue {
    std::filesystem::path manifest;
    std::size_t line = 0;
    std::string reason;
};

struct VerifyOptions {
    bool strict = false;
    ReadMode read_mode = ReadMode::direct;
};

struct VerifyReport {
    std::filesystem::path root;
    std::vector<std::filesystem::path> manifests;
    std::vector<FileResult> files;         // in manifest order
    std::vector<LinkResult> links;         // in manifest order
    std::vector<std::string> extra_files;  // in the tree, in no manifest; sorted
    std::vector<ManifestIssue> improper_lines;
    bool strict = false;

    [[nodiscard]] std::size_t count(FileStatus status) const noexcept;        // files
    [[nodiscard]] std::size_t count_links(FileStatus status) const noexcept;  // links
    // nullopt when everything checked out; verification when a file or link FAILED
    // or is MISSING (or, with strict, an extra file or link exists); io when the only
    // trouble is files or links that could not be read.
    [[nodiscard]] std::optional<ErrorCategory> failure() const noexcept;
};

// Checks every "*.sha256sum" and "SHA256SUMS" directly in dir (sorted), each as
// `cd dir && sha256sum -c MANIFEST` would. Error(invalid_input) if there is none.
[[nodiscard]] VerifyReport verify_directory(const std::filesystem::path& dir,
                                            const VerifyOptions& options = {});

// Checks the given manifests (anywhere) against the files under dir. Every manifest is
// parsed (and name-checked) before the first file is read. Manifest errors throw
// Error(invalid_input) naming the manifest and line; file trouble is in the report.
[[nodiscard]] VerifyReport verify(const std::filesystem::path& dir,
                                  std::span<const std::filesystem::path> manifests,
                                  const VerifyOptions& options = {});

}  // namespace smk::manifest
