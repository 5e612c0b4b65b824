#pragma once
// The ceremony flows of smk_ceremony that run without a terminal. Each takes
// its options and an Output (smk/ceremony/journal.hpp) for the operator's
// words; nothing goes to stdout or stderr directly, so tests run them
// in-process. `smk ceremony` (cli/ceremony.cpp) maps its options to these calls.

#include <filesystem>
#include <string>

#include "smk/ceremony/journal.hpp"

namespace smk::ceremony {

// smk ceremony check: loads and validates the plan; one result line per
// facility, holder, drive and the issued share set.
void check_plan(const std::filesystem::path& plan, Output& output);

struct BackupCopiesOptions {
    std::filesystem::path plan;
    std::string transcript;  // overrides the plan's
    bool dry_run = false;    // check the drives and read the source; write nothing
    bool no_eject = false;   // leave the drives mounted
};

// smk ceremony backup-copies: every planned drive's USB serial is checked before
// anything is written; then the Master Backup Copy is copied, verified from the
// device and ejected, then the Operative Backup Copies in one pass. One result
// line per drive; a transcript line per check, copy, verification and eject.
void backup_copies(const BackupCopiesOptions& options, Output& output);

}  // namespace smk::ceremony
