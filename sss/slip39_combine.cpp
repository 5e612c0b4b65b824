// SLIP-0039 recovery: combine() and decrypt().
//
// Unlike the reference, which insists on exactly the threshold of shares, more
// shares than needed are welcome and all of them are checked: a set with extra
// shares is recovered from a threshold-subset whose digest verifies and every
// other share must lie on the same polynomial; at the group level the same holds
// for extra complete sets (with group threshold 1 they must all give the same
// encrypted master secret).

#include <algorithm>
#include <string>
#include <vector>

#include "slip39_cipher.hpp"
#include "slip39_sets.hpp"
#include "slip39_sharing.hpp"
#include "smk/error.hpp"
#include "smk/shamir.hpp"
#include "smk/slip39.hpp"

namespace smk::slip39 {
namespace {

[[nodiscard]] AgreementMessages group_messages(std::span<const unsigned> set_indices,
                                               unsigned group_threshold) {
    AgreementMessages messages;
    const std::vector<unsigned> indices(set_indices.begin(), set_indices.end());
    messages.disagree = [indices, group_threshold](std::span<const std::size_t> culprits) {
        std::string names;
        for (std::size_t i = 0; i < culprits.size(); ++i) {
            if (i > 0) {
                names += i + 1 == culprits.size() ? " and " : ", ";
            }
            names += group_name(indices[culprits[i]]);
        }
        if (group_threshold == 1) {
            // No digest at this level: two sets that each verify yet differ cannot
            // tell which one is right.
            return names + (culprits.size() == 1 ? " gives" : " give") +
                   " a different secret than " + group_name(indices.front()) +
                   "; the shares of one of them are corrupted or altered, or come from "
                   "another split; recover from each set alone and compare key check values";
        }
        const bool one = culprits.size() == 1;
        return names + (one ? " disagrees" : " disagree") +
               " with the other sets: " + (one ? "its" : "their") +
               " shares are corrupted or altered; recover without " + (one ? "it" : "them");
    };
    messages.none_agree = "no " + std::to_string(group_threshold) +
                          " sets agree (digest check failed); shares may be corrupted or from "
                          "different splits";
    return messages;
}

}  // namespace

CombineResult combine(std::span<const NamedMnemonic> shares,
                      std::span<const std::uint8_t> passphrase) {
    const BurnStackOnExit burn;
    check_passphrase(passphrase);
    if (shares.empty()) {
        throw Error(ErrorCategory::insufficient, "not enough shares: none given");
    }
    const std::vector<DecodedShare> decoded = decode_all(shares);
    check_same_split(decoded);
    const std::vector<SetShares> sets = sort_into_sets(decoded);
    const ShareInfo& split_info = decoded.front().share.info;

    std::vector<const SetShares*> complete;
    for (const SetShares& set : sets) {
        if (set.members.size() >= set.member_threshold) {
            complete.push_back(&set);
        }
    }
    if (complete.size() < split_info.group_threshold) {
        throw Error(ErrorCategory::insufficient,
                    insufficient_message(sets, split_info.group_threshold, split_info.group_count));
    }

    std::vector<Secret> group_secrets;
    std::vector<unsigned> set_indices;
    std::vector<shamir::Point> points;
    group_secrets.reserve(complete.size());
    for (const SetShares* set : complete) {
        group_secrets.push_back(recover_set(*set, decoded));
        set_indices.push_back(set->group_index);
    }
    for (std::size_t i = 0; i < complete.size(); ++i) {
        points.push_back({static_cast<std::uint8_t>(set_indices[i]), group_secrets[i].bytes()});
    }
    const Secret encrypted =
        recover_agreeing(split_info.group_threshold, points,
                         group_messages(set_indices, split_info.group_threshold));

    CombineResult result;
    result.params = decoded[complete.front()->members.front()].share.info;
    result.master_secret = decrypt(encrypted.bytes(), passphrase, result.params);
    result.groups_used = set_indices;
    for (const DecodedShare& share : decoded) {
        if (std::find(set_indices.begin(), set_indices.end(), share.share.info.group_index) !=
            set_indices.end()) {
            result.sources_used.push_back(share.source);
        }
    }
    for (const SetShares& set : sets) {
        if (set.members.size() < set.member_threshold) {
            UncheckedSet unchecked{set.group_index, set.member_threshold, {}};
            for (const std::size_t member : set.members) {
                unchecked.sources.push_back(decoded[member].source);
            }
            result.sets_not_checked.push_back(std::move(unchecked));
        }
    }
    return result;
}

std::string UncheckedSet::text() const {
    return group_name(group) + ": " + std::to_string(sources.size()) +
           (sources.size() == 1 ? " share" : " shares") + " given, " + std::to_string(needed) +
           " needed to check them; not used";
}

Secret decrypt(std::span<const std::uint8_t> encrypted_master_secret,
               std::span<const std::uint8_t> passphrase, const ShareInfo& params) {
    check_passphrase(passphrase);
    return cipher::decrypt(encrypted_master_secret, passphrase, params.iteration_exponent,
                           params.identifier, params.extendable);
}

}  // namespace smk::slip39
