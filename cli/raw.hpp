#pragma once
// --format raw: Shamir sharing of a whole file (smk::raw), for secrets that are
// not an SMK. Called by the split and combine callbacks.

#include "context.hpp"

namespace smk::cli {

// `cmd` is the subcommand, to reject options that do not apply to raw shares.
void run_raw_split(const SplitOptions& options, const CLI::App& cmd);
void run_raw_combine(const CombineOptions& options, const CLI::App& cmd);

}  // namespace smk::cli
