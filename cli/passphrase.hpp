#pragma once
// The SLIP-39 passphrase: from the first line of a file (--passphrase-file) or a
// no-echo prompt on /dev/tty (--ask-passphrase), never from argv.

#include "context.hpp"
#include "smk/secret.hpp"

namespace smk::cli {

// Adds --passphrase-file FILE and --ask-passphrase (mutually exclusive) to `cmd`.
void add_passphrase_options(CLI::App& cmd, PassphraseOptions& options);

// The passphrase the options name, or an empty Secret when neither is given.
// With `confirm`, the prompt asks twice and the answers must match. A given
// passphrase must be non-empty printable ASCII (SLIP-39), else Error(invalid_input).
[[nodiscard]] Secret read_passphrase(const PassphraseOptions& options, bool confirm);

[[nodiscard]] inline bool passphrase_given(const PassphraseOptions& options) noexcept {
    return options.ask || !options.file.empty();
}

}  // namespace smk::cli
