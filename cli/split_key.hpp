#pragma once
// What `smk split` to files and `smk split --to-cards` (cli/split_cards.cpp)
// share: the parameters, the key, and the self-check before anything is written.

#include <cstdint>
#include <span>
#include <vector>

#include "context.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"

namespace smk::cli {

// The key (a fresh 32-byte SMK, or the one in --secret-file, hex or raw bytes), the passphrase and
// the split, which has passed the self-check: every set is one consistent polynomial and the shares
// give back the key (slip39::self_check); Error(internal) otherwise.
struct CheckedSplit {
    slip39::SplitParams params;
    Secret master;
    Secret passphrase;
    slip39::SplitResult result;
};
[[nodiscard]] CheckedSplit checked_split(const SplitOptions& options);

// smk split --to-cards.
void run_split_to_cards(const SplitOptions& options);

}  // namespace smk::cli
