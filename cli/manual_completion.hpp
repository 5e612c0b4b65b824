#pragma once
// Bash completion for smk, from the same description of the command tree as smk(1)
// (manual::PageDoc, filled from the App tree --help prints): every command's
// subcommands and options, so completion cannot drift from --help either. Written
// by `smk manual --bash-completion` (cli/manual.cpp), built into completion/smk.

#include <string>

#include "manual_roff.hpp"

namespace smk::cli::manual {

// A bash script defining _smk and `complete -o default -F _smk smk`: after `smk`
// and its subcommands it offers the next subcommand, and after a '-' that
// command's options; anything else is bash's default (file names).
[[nodiscard]] std::string render_bash_completion(const PageDoc& page);

}  // namespace smk::cli::manual
