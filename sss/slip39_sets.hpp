#pragma once
// What combine() and verify_set() share: decoding a batch of mnemonics, checking
// they come from one split, sorting them into sets (groups) and recovering a
// set's secret. Internal to sss/. Every error names the shares at fault.

#include <cstddef>
#include <string>
#include <vector>

#include "smk/secret.hpp"
#include "smk/slip39.hpp"

namespace smk::slip39 {

struct DecodedShare {
    Share share;
    std::string source;
};

// Decodes every mnemonic; the first that fails throws (naming it).
[[nodiscard]] std::vector<DecodedShare> decode_all(std::span<const NamedMnemonic> shares);

// Throws Error(invalid_input) unless every share has the identifier most shares
// have (ties: the first share's), and the first share's extendable flag,
// iteration exponent, group threshold, group count and length.
void check_same_split(std::span<const DecodedShare> shares);

struct SetShares {
    unsigned group_index = 0;
    unsigned member_threshold = 0;
    std::vector<std::size_t> members;  // indices into the decoded shares, input order
};

// The sets present, by group index. Throws Error(invalid_input) if shares of one
// set disagree on the member threshold or two shares have the same member index.
[[nodiscard]] std::vector<SetShares> sort_into_sets(std::span<const DecodedShare> shares);

// "not enough shares: set A: 3 of 5 needed; set B: 1 of 5", and when
// group_threshold > 1 "; 2 of 3 sets needed, 1 complete".
[[nodiscard]] std::string insufficient_message(std::span<const SetShares> sets,
                                               unsigned group_threshold, unsigned group_count);

// The secret of a set with at least its threshold of shares; extra shares are
// checked against the polynomial. Error(verification) names disagreeing shares.
[[nodiscard]] Secret recover_set(const SetShares& set, std::span<const DecodedShare> shares);

// `share "a"`, `shares "a" and "b"`, `shares "a", "b" and "c"`.
[[nodiscard]] std::string share_list(std::span<const std::string> sources);

// Throws Error(usage) unless every byte is printable ASCII (32..126). Branch-free
// over the passphrase bytes.
void check_passphrase(std::span<const std::uint8_t> passphrase);

}  // namespace smk::slip39
