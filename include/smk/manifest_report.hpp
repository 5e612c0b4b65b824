#pragma once
// What `smk media manifest / verify / digest` show (smk/manifest.hpp, smk/digest.hpp),
// as text for people or as JSON (two-space indent, one trailing newline). Names are
// shown on one line, escaped as `sha256sum -c` prints them; digests also as PGP
// words, eight a line, numbered, for reading aloud.

#include <string>
#include <string_view>

#include "smk/digest.hpp"
#include "smk/manifest.hpp"

namespace smk::manifest {

// A manifest of `root` generated (to the file `out`, or to stdout when `out` is
// empty): files, symbolic links (name and target), skipped special files, the
// manifest's SHA-256 and PGP words, and the manifest text itself (out empty) or "out".
[[nodiscard]] std::string generated_json(const Generated& generated, std::string_view root,
                                         std::string_view out);
// The notes beside it: the special files not listed and, with `out`, what was
// written (files and links), how to check it with sha256sum, and its digest.
[[nodiscard]] std::string generated_notes(const Generated& generated, std::string_view root,
                                          std::string_view out);

// "2 OK, 0 FAILED, 0 MISSING, 0 unreadable, 0 extra", noting extra files (allowed or
// not with --strict), the recorded symbolic links ("; symbolic links: 1 OK, 0 FAILED,
// 0 MISSING, 0 unreadable", only when the manifests record any) and skipped improper lines.
[[nodiscard]] std::string verify_summary(const VerifyReport& report);
// One line a file ("a.txt: OK", "b: FAILED (why)"), one a recorded link
// ("current: OK (symbolic link -> keys/kek.bin)", "current: FAILED (why, both
// targets)"), the extra files, the summary.
[[nodiscard]] std::string verify_text(const VerifyReport& report);
// One "warning: MANIFEST line N: why" line per improperly formatted manifest line.
[[nodiscard]] std::string verify_warnings(const VerifyReport& report);
// Every field of the report, `root` as given, the read mode, ok and the summary.
[[nodiscard]] std::string verify_json(const VerifyReport& report, std::string_view root,
                                      ReadMode read_mode);
// Throws Error(report.failure()) with "ROOT: summary" unless everything checked out;
// when a link did not, the first such is named with both targets.
void throw_if_failed(const VerifyReport& report, std::string_view root);

}  // namespace smk::manifest

namespace smk {

// A file's digest: hex as sha256sum prints it, the openssl line, the PGP words, the
// size and how it was read (from the device with O_DIRECT, or after dropping the
// page cache).
[[nodiscard]] std::string digest_text(const FileDigest& digest, std::string_view file);
[[nodiscard]] std::string digest_json(const FileDigest& digest, std::string_view file);

}  // namespace smk
