// verify_set(): proves that one set (group) of shares is whole and consistent,
// without ever handing out the secret unless asked to. Every threshold-subset is
// recovered and must pass the digest check and give the same group secret, and
// every share must lie on the polynomial of the first verified subset.

#include <algorithm>
#include <string>
#include <vector>

#include "slip39_sets.hpp"
#include "slip39_share.hpp"
#include "slip39_sharing.hpp"
#include "smk/error.hpp"
#include "smk/shamir.hpp"
#include "smk/slip39.hpp"

namespace smk::slip39 {

SetVerification verify_set(std::span<const NamedMnemonic> shares, Secret* group_secret_out) {
    const BurnStackOnExit burn;
    if (shares.empty()) {
        throw Error(ErrorCategory::insufficient, "not enough shares: none given");
    }
    const std::vector<DecodedShare> decoded = decode_all(shares);
    check_same_split(decoded);
    const DecodedShare& first = decoded.front();
    for (const DecodedShare& share : decoded) {
        if (share.share.info.group_index != first.share.info.group_index) {
            throw Error(
                ErrorCategory::invalid_input,
                share_label(share.source) + " is from " + group_name(share.share.info.group_index) +
                    " but " + share_label(first.source) + " is from " +
                    group_name(first.share.info.group_index) + "; verify one set at a time");
        }
    }
    const std::vector<SetShares> sets = sort_into_sets(decoded);
    const SetShares& set = sets.front();
    if (set.members.size() < set.member_threshold) {
        throw Error(ErrorCategory::insufficient, insufficient_message(sets, 1, 1));
    }
    // Names any share that disagrees with a verified subset.
    Secret secret = recover_set(set, decoded);

    std::vector<shamir::Point> points;
    for (const std::size_t i : set.members) {
        points.push_back({static_cast<std::uint8_t>(decoded[i].share.info.member_index),
                          decoded[i].share.value.bytes()});
    }
    std::vector<std::size_t> subset(set.member_threshold);
    for (std::size_t i = 0; i < subset.size(); ++i) {
        subset[i] = i;
    }
    std::vector<shamir::Point> chosen(subset.size());
    Recovery recovery(secret.size());
    Secret candidate(secret.size());
    unsigned checked = 0;
    do {
        for (std::size_t i = 0; i < subset.size(); ++i) {
            chosen[i] = points[subset[i]];
        }
        if (!recovery.recover(set.member_threshold, chosen, candidate.bytes()) ||
            !constant_time_equal(candidate.bytes(), secret.bytes())) {
            // Cannot happen once every share lies on one verified polynomial; kept
            // so that the proof does not rest on that argument alone.
            std::vector<std::string> sources;
            for (const std::size_t i : subset) {
                sources.push_back(decoded[set.members[i]].source);
            }
            throw Error(ErrorCategory::verification,
                        share_list(sources) + " of " + group_name(set.group_index) +
                            " do not give the set's secret; the set is inconsistent");
        }
        ++checked;
    } while (next_combination(subset, points.size()));

    SetVerification result;
    result.params = first.share.info;
    result.group_index = set.group_index;
    result.share_count = static_cast<unsigned>(decoded.size());
    result.subsets_checked = checked;
    for (const std::size_t i : set.members) {
        result.share_numbers.push_back(decoded[i].share.info.member_index + 1);
    }
    std::sort(result.share_numbers.begin(), result.share_numbers.end());
    if (group_secret_out != nullptr) {
        *group_secret_out = std::move(secret);
    }
    return result;
}

}  // namespace smk::slip39
