#pragma once
// The commitment to a share that an issued plan records per card, so that an
// inventory can prove that a card holds exactly the share issued to it (not only
// a valid share of the same set) without the plan revealing anything: SHA-256 of
// "smk share commitment v1\n" followed by the mnemonic in lower case with single
// spaces. A share carries at least 128 bits of randomness, so the digest cannot be
// searched. Anyone can recompute it (docs/CEREMONY.md):
//   printf 'smk share commitment v1\n%s' "$MNEMONIC" | sha256sum

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "smk/ceremony/plan.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {

inline constexpr std::string_view kShareCommitmentPrefix = "smk share commitment v1\n";

// Lower-case hex, of the mnemonic as smk produces it (slip39::split) and reads it
// back from a card record (lower case, single spaces): both canonical, so nothing
// secret is reformatted (no branch on the words).
[[nodiscard]] std::string share_commitment(std::span<const std::uint8_t> mnemonic);

// Sets each planned card's share_sha256 to the commitment of the share of `split`
// it was issued (set = group, index = member + 1).
void record_share_commitments(Plan& plan, const slip39::SplitResult& split);

}  // namespace smk::ceremony
