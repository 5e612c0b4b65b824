#pragma once
// SLIP-0039 "Sharing a secret": one level of Shamir sharing with a digest share,
// used for both the group level and the member level. Internal to sss/.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "smk/random.hpp"
#include "smk/secret.hpp"
#include "smk/shamir.hpp"

namespace smk::slip39 {

inline constexpr std::uint8_t kDigestIndex = 254;
inline constexpr std::uint8_t kSecretIndex = 255;
inline constexpr std::size_t kDigestBytes = 4;

// The reference's _split_secret. Result [i] is the share at x = i. Threshold 1:
// `count` copies. Otherwise threshold-2 random shares at x = 0..t-3 (drawn first),
// then the random part (|secret| - 4 bytes); the digest share at x = 254 is
// HMAC-SHA256(key = random part, secret)[:4] || random part, the secret sits at
// x = 255, and the shares at x = t-2..count-1 are interpolated from those.
// The caller has validated 1 <= threshold <= count <= 16 and |secret| >= 16.
[[nodiscard]] std::vector<Secret> split_secret(unsigned threshold, unsigned count,
                                               std::span<const std::uint8_t> secret,
                                               RandomSource& random);

// The reference's _recover_secret, with its scratch memory allocated once: guarded
// allocations cost system calls, and verify_set() may recover thousands of subsets.
class Recovery final {
  public:
    // For shares of value_bytes bytes.
    explicit Recovery(std::size_t value_bytes);

    // From exactly `threshold` points (threshold 1: the first point's value),
    // writes the secret to `out` (value_bytes long) and returns whether the
    // digest verified (always true for threshold 1). Constant time in the y
    // values apart from that one result.
    [[nodiscard]] bool recover(unsigned threshold, std::span<const shamir::Point> points,
                               std::span<std::uint8_t> out);

  private:
    Secret m_digest_share;
    Secret m_hmac;
};

// How recover_agreeing() words its errors (Error(verification)).
struct AgreementMessages {
    // culprits: indices into points of those not on the agreed polynomial.
    std::function<std::string(std::span<const std::size_t> culprits)> disagree;
    // No threshold-subset passed the digest check.
    std::string none_agree;
};

// Recovers from points.size() >= threshold points: takes the first
// threshold-subset (lexicographic order) whose digest verifies, then checks that
// every other point lies on that polynomial (interpolate at its x, compare in
// constant time). Which subset verifies depends on which points are damaged, not
// on secret values.
[[nodiscard]] Secret recover_agreeing(unsigned threshold, std::span<const shamir::Point> points,
                                      const AgreementMessages& messages);

// Advances `subset` (sorted indices, k of them) to the next k-subset of 0..n-1 in
// lexicographic order; false when it was the last.
[[nodiscard]] bool next_combination(std::vector<std::size_t>& subset, std::size_t n) noexcept;

}  // namespace smk::slip39
