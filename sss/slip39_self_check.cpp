// "The shares give the secret": one self-check for every writer of shares.

#include "smk/secret.hpp"
#include "smk/slip39.hpp"

namespace smk::slip39 {

SelfCheck self_check(std::span<const std::vector<NamedMnemonic>> sets,
                     std::span<const std::uint8_t> master,
                     std::span<const std::uint8_t> passphrase) {
    SelfCheck result;
    std::vector<Secret> group_secrets;
    for (const auto& set : sets) {
        Secret group_secret;
        result.sets.push_back(verify_set(set, &group_secret));
        group_secrets.push_back(std::move(group_secret));
    }
    if (result.sets.empty()) {
        return result;
    }
    result.per_set = result.sets.front().params.group_threshold == 1;
    if (result.per_set) {
        for (unsigned g = 0; g < result.sets.size(); ++g) {
            const Secret recovered =
                decrypt(group_secrets[g].bytes(), passphrase, result.sets[g].params);
            if (!constant_time_equal(recovered.bytes(), master)) {
                result.failed_group = g;
                return result;
            }
        }
        result.gives_secret = true;
        return result;
    }
    std::vector<NamedMnemonic> all;
    for (const auto& set : sets) {
        for (const auto& share : set) {
            all.push_back({share.source, Secret::copy_of(share.mnemonic.bytes())});
        }
    }
    const CombineResult combined = combine(all, passphrase);
    result.gives_secret = constant_time_equal(combined.master_secret.bytes(), master);
    return result;
}

}  // namespace smk::slip39
