// One level of SLIP-0039 sharing: _split_secret, _recover_secret with the digest
// check, and recovery from more shares than the threshold.

#include "slip39_sharing.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "ct_declassify.hpp"
#include "smk/error.hpp"

namespace smk::slip39 {
namespace {

// full = HMAC-SHA256(key, message); the digest is its first 4 bytes. All secret.
void hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message,
                 std::span<std::uint8_t> full) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key.data(), key.size());
    crypto_auth_hmacsha256_update(&state, message.data(), message.size());
    crypto_auth_hmacsha256_final(&state, full.data());
    sodium_memzero(&state, sizeof state);
}

}  // namespace

std::vector<Secret> split_secret(unsigned threshold, unsigned count,
                                 std::span<const std::uint8_t> secret, RandomSource& random) {
    if (threshold < 1 || threshold > count || secret.size() <= kDigestBytes) {
        throw Error(ErrorCategory::internal, "split_secret called with invalid parameters");
    }
    std::vector<Secret> shares;
    shares.reserve(count);
    if (threshold == 1) {
        for (unsigned i = 0; i < count; ++i) {
            shares.push_back(Secret::copy_of(secret));
        }
        return shares;
    }
    const unsigned random_shares = threshold - 2;
    for (unsigned i = 0; i < random_shares; ++i) {
        Secret share(secret.size());
        random.fill(share.bytes());
        shares.push_back(std::move(share));
    }
    // digest share = digest || random part
    Secret digest_share(secret.size());
    const std::span<std::uint8_t> random_part = digest_share.bytes().subspan(kDigestBytes);
    random.fill(random_part);
    Secret full(crypto_auth_hmacsha256_BYTES);
    hmac_sha256(random_part, secret, full.bytes());
    std::memcpy(digest_share.data(), full.data(), kDigestBytes);

    std::vector<shamir::Point> base;
    base.reserve(threshold);
    for (unsigned i = 0; i < random_shares; ++i) {
        base.push_back({static_cast<std::uint8_t>(i), shares[i].bytes()});
    }
    base.push_back({kDigestIndex, digest_share.bytes()});
    base.push_back({kSecretIndex, secret});
    for (unsigned i = random_shares; i < count; ++i) {
        Secret share(secret.size());
        shamir::interpolate(base, static_cast<std::uint8_t>(i), share.bytes());
        shares.push_back(std::move(share));
    }
    return shares;
}

Recovery::Recovery(std::size_t value_bytes)
    : m_digest_share(value_bytes), m_hmac(crypto_auth_hmacsha256_BYTES) {}

bool Recovery::recover(unsigned threshold, std::span<const shamir::Point> points,
                       std::span<std::uint8_t> out) {
    if (points.size() != threshold || points.empty() || out.size() != m_digest_share.size()) {
        throw Error(ErrorCategory::internal, "recover needs exactly threshold points");
    }
    if (threshold == 1) {
        if (points.front().y.size() != out.size()) {
            throw Error(ErrorCategory::internal, "a share has the wrong length");
        }
        std::memcpy(out.data(), points.front().y.data(), out.size());
        return true;
    }
    if (out.size() <= kDigestBytes) {
        throw Error(ErrorCategory::internal, "a share value is too short for its digest");
    }
    shamir::interpolate(points, kSecretIndex, out);
    shamir::interpolate(points, kDigestIndex, m_digest_share.bytes());
    hmac_sha256(m_digest_share.bytes().subspan(kDigestBytes), out, m_hmac.bytes());
    // Whether the digest verifies is public: it decides which shares are named.
    return ct::declassify(constant_time_equal(m_hmac.bytes().first(kDigestBytes),
                                              m_digest_share.bytes().first(kDigestBytes)));
}

Secret recover_agreeing(unsigned threshold, std::span<const shamir::Point> points,
                        const AgreementMessages& messages) {
    const std::size_t n = points.size();
    if (threshold < 1 || n < threshold) {
        throw Error(ErrorCategory::internal, "recover_agreeing needs at least threshold points");
    }
    std::vector<std::size_t> subset(threshold);
    std::iota(subset.begin(), subset.end(), std::size_t{0});
    const std::size_t size = points.front().y.size();
    std::vector<shamir::Point> chosen(threshold);
    Recovery recovery(size);
    Secret secret(size);
    bool verified = false;
    do {
        for (std::size_t i = 0; i < threshold; ++i) {
            chosen[i] = points[subset[i]];
        }
        verified = recovery.recover(threshold, chosen, secret.bytes());
    } while (!verified && next_combination(subset, n));
    if (!verified) {
        throw Error(ErrorCategory::verification, messages.none_agree);
    }
    std::vector<std::size_t> culprits;
    Secret expected(size);
    for (std::size_t j = 0; j < n; ++j) {
        if (std::find(subset.begin(), subset.end(), j) != subset.end()) {
            continue;
        }
        shamir::interpolate(chosen, points[j].x, expected.bytes());
        // Whether an extra share agrees is public: a disagreeing one is named.
        if (!ct::declassify(constant_time_equal(expected.bytes(), points[j].y))) {
            culprits.push_back(j);
        }
    }
    if (!culprits.empty()) {
        throw Error(ErrorCategory::verification, messages.disagree(culprits));
    }
    return secret;
}

bool next_combination(std::vector<std::size_t>& subset, std::size_t n) noexcept {
    const std::size_t k = subset.size();
    for (std::size_t i = k; i-- > 0;) {
        if (subset[i] < n - k + i) {
            ++subset[i];
            for (std::size_t j = i + 1; j < k; ++j) {
                subset[j] = subset[j - 1] + 1;
            }
            return true;
        }
    }
    return false;
}

}  // namespace smk::slip39
