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

[[nodiscard]] slip39::SplitParams make_params(const SplitOptions& options);

// A fresh 32-byte SMK, or the key in --secret-file (hex or raw bytes).
[[nodiscard]] Secret load_master_secret(const SplitOptions& options);

// Every set is one consistent polynomial and the shares give back the master
// secret (slip39::self_check); Error(internal) otherwise.
void self_check(const std::vector<std::vector<Secret>>& mnemonics,
                std::span<const std::uint8_t> master, std::span<const std::uint8_t> passphrase);

// smk split --to-cards.
void run_split_to_cards(const SplitOptions& options);

}  // namespace smk::cli
