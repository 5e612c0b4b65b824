#pragma once
// SLIP-0039: Shamir's secret sharing with mnemonic shares, two-level groups,
// RS1024 checksums, a digest share and passphrase encryption.
// https://github.com/satoshilabs/slips/blob/master/slip-0039.md
//
// smk's default: one SMK, group threshold 1, two groups ("set A", "set B") of
// 5-of-7 members, extendable, iteration exponent 1. Either set alone recovers.
//
// Every mnemonic is secret and lives in a Secret as lower-case words separated
// by single spaces. Errors name the share through the `source` text the caller
// gives (e.g. "shares.txt line 3") and never quote the share's words.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smk/random.hpp"
#include "smk/secret.hpp"

namespace smk::slip39 {

inline constexpr std::size_t kMinSecretBytes = 16;  // 128 bits; length must also be even
inline constexpr unsigned kMaxShareCount = 16;      // groups per split, members per group
inline constexpr unsigned kMaxIterationExponent = 15;

struct GroupSpec {
    unsigned threshold = 5;
    unsigned count = 7;
};

struct SplitParams {
    unsigned group_threshold = 1;
    std::vector<GroupSpec> groups = {{5, 7}, {5, 7}};
    bool extendable = true;
    unsigned iteration_exponent = 1;
};

// Throws Error(usage) naming the parameter that is out of range: group threshold
// 1..group count, 1..16 groups, member threshold 1..count <= 16, no 1-of-n with
// n > 1 (the standard forbids it), exponent 0..15, secret length >= 16 and even.
void validate(const SplitParams& params, std::size_t secret_bytes);

// Everything a share says about itself except its value. Public.
struct ShareInfo {
    std::uint16_t identifier = 0;  // 15 bits, the same for every share of a split
    bool extendable = true;
    unsigned iteration_exponent = 0;
    unsigned group_index = 0;  // 0-based; group 0 is "set A"
    unsigned group_threshold = 1;
    unsigned group_count = 1;
    unsigned member_index = 0;  // 0-based in the mnemonic; people see index + 1
    unsigned member_threshold = 1;
    std::size_t value_bytes = 0;  // share value length = master secret length
};

struct Share {
    ShareInfo info;
    Secret value;
};

struct SplitResult {
    std::uint16_t identifier = 0;
    // mnemonics[g][m]: member m (0-based) of group g.
    std::vector<std::vector<Secret>> mnemonics;
};

// Splits master_secret (the SMK) after encrypting it with passphrase (may be
// empty; printable ASCII only). Randomness, in order: 2 bytes of identifier,
// then the random shares of the group level, then each group's member level,
// exactly as the reference implementation draws them.
[[nodiscard]] SplitResult split(std::span<const std::uint8_t> master_secret,
                                std::span<const std::uint8_t> passphrase, const SplitParams& params,
                                RandomSource& random);

// A SLIP-39 passphrase is non-empty printable ASCII (32..126). Returns what is
// wrong with `passphrase` ("is empty", ...) or nullptr; checked without branching
// on its bytes. Callers name where it came from.
[[nodiscard]] const char* passphrase_problem(std::span<const std::uint8_t> passphrase) noexcept;
inline constexpr std::size_t kMaxPassphraseBytes = 1024;

// Parses one mnemonic: words separated by any ASCII whitespace, any letter case.
// Errors (Error(invalid_input)) name `source` and say what is wrong: unknown word
// at position N, too short, bad padding, checksum failure (with the word position
// when a single wrong word explains it), group threshold above group count.
[[nodiscard]] Share decode(std::string_view mnemonic, std::string_view source);
// The mnemonic of a share (lower case, single spaces).
[[nodiscard]] Secret encode(const Share& share);

struct NamedMnemonic {
    std::string source;  // how errors name this share, e.g. "card 0006 1234" or "-: line 4"
    Secret mnemonic;
};

// A set whose shares were given but fewer than its threshold: combine() could
// neither use nor check them, and a receipt must say so.
struct UncheckedSet {
    unsigned group = 0;
    unsigned needed = 0;               // the set's member threshold
    std::vector<std::string> sources;  // the shares given, in input order

    // "set B: 4 shares given, 5 needed to check them; not used"
    [[nodiscard]] std::string text() const;
};

struct CombineResult {
    Secret master_secret;
    ShareInfo params;                       // identifier and the split-wide fields
    std::vector<unsigned> groups_used;      // group indices that formed the result
    std::vector<std::string> sources_used;  // the shares that formed the result
    // Every complete set is used (and so checked); these are the sets given
    // with fewer shares than their threshold, by group index.
    std::vector<UncheckedSet> sets_not_checked;
};

// Recovers the master secret from any number of shares in any order.
// More shares than needed are welcome: when a group has more than its threshold,
// every share is checked against the polynomial the others define and a share
// that disagrees is named (Error(verification)). Errors, each naming shares:
//   invalid_input  - a share that does not decode, shares from another split
//                    (identifier), mixed parameters, duplicate index in a group;
//   insufficient   - no quorum: "set A: 3 of 5 needed; set B: 1 of 5";
//   verification   - digest check failed or shares disagree.
[[nodiscard]] CombineResult combine(std::span<const NamedMnemonic> shares,
                                    std::span<const std::uint8_t> passphrase);

struct SetVerification {
    ShareInfo params;  // of the set's shares (member_index of the first)
    unsigned group_index = 0;
    unsigned share_count = 0;             // shares given
    std::vector<unsigned> share_numbers;  // their indexes, 1-based, ascending
    unsigned subsets_checked = 0;         // threshold-subsets whose digest verified and agreed
};

// Proves a whole set (one group): every share decodes, all belong to one split
// and group, no index repeats, every threshold-subset passes the digest check and
// yields the same group secret, and every share lies on that polynomial.
// If group_secret_out is given, the verified group secret is moved there.
// Throws as combine() does, naming the shares at fault.
[[nodiscard]] SetVerification verify_set(std::span<const NamedMnemonic> shares,
                                         Secret* group_secret_out = nullptr);

// Decrypts an encrypted master secret (the group secret when group threshold is 1).
[[nodiscard]] Secret decrypt(std::span<const std::uint8_t> encrypted_master_secret,
                             std::span<const std::uint8_t> passphrase, const ShareInfo& params);

// "A" for group 0, "B" for group 1, ... (past "Z": the group number).
[[nodiscard]] std::string set_letter(unsigned group_index);
// "set A" for group 0, "set B" for group 1, ...
[[nodiscard]] std::string group_name(unsigned group_index);

// The 1024 words of the standard, in order.
[[nodiscard]] std::span<const std::string_view> wordlist() noexcept;

// "The shares give the secret", the one self-check every writer of shares runs
// (smk split before writing files, and on what the cards read back; the
// ceremony flows). sets[g] holds every share of group g as the caller has them.
// Each set is proved whole (verify_set, whose errors propagate naming the
// shares); then, with group threshold 1, each set alone must decrypt to
// `master`, otherwise all sets together must combine to it.
struct SelfCheck {
    std::vector<SetVerification> sets;  // one per group, in order
    bool gives_secret = false;
    bool per_set = true;        // group threshold 1: every set was checked on its own
    unsigned failed_group = 0;  // !gives_secret && per_set: the first set that does not
};
[[nodiscard]] SelfCheck self_check(std::span<const std::vector<NamedMnemonic>> sets,
                                   std::span<const std::uint8_t> master,
                                   std::span<const std::uint8_t> passphrase);

}  // namespace smk::slip39
