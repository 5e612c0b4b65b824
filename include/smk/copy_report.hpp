#pragma once
// What `smk media copy` shows of a copy::copy_tree() run (smk/copy.hpp): the report
// as text or JSON, the error when a read-back failed, and the progress line of a
// terminal. Names are shown on one line, escaped as sha256sum does.

#include <string>

#include "smk/copy.hpp"

namespace smk::copy {

// The source (files, size, a "note:" line per FIFO, socket or device node not
// copied), then per destination what was copied, updated, verified unchanged,
// rewritten and written, its extra entries (marked "(deleted)" with delete_extras),
// the files whose read-back FAILED and the links that differ (both targets named),
// the read-back verdict ("read back from the device: OK (2 of 2 files)") and, when
// the source has links, "symbolic links: OK (1 of 1 with the source's target)".
[[nodiscard]] std::string report_text(const Report& report, bool delete_extras);

// The same as a JSON object (two-space indent, one trailing newline): source,
// files, bytes, skipped_special, delete, destinations[] (path, files_copied, ...,
// links_verified, verified "OK"/"FAILED", verify_failed[], links_failed[]), ok.
[[nodiscard]] std::string report_json(const Report& report, bool delete_extras);

// Throws Error(verification) naming every destination whose read-back failed, and
// what to do; returns when all were read back correctly.
void throw_if_read_back_failed(const Report& report);

// The status line for a terminal's stderr: "\r", the phase, bytes and files done of
// the total, the rate and the time left over `seconds` in this phase, then erase to
// the end of the line. Empty for Phase::checking and Phase::done.
[[nodiscard]] std::string progress_line(const Progress& progress, double seconds);

}  // namespace smk::copy
