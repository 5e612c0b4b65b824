// Share commitments (share_commitment.hpp).

#include "share_commitment.hpp"

#include "smk/digest.hpp"
#include "smk/sha256.hpp"

namespace smk::ceremony {

std::string share_commitment(std::span<const std::uint8_t> mnemonic) {
    Sha256Stream sha;
    sha.update(kShareCommitmentPrefix);
    sha.update(mnemonic);
    return digest_hex(sha.finish());
}

void record_share_commitments(Plan& plan, const slip39::SplitResult& split) {
    for (auto& holder : plan.holders) {
        for (auto& card : holder.cards) {
            card.share_sha256 =
                share_commitment(split.mnemonics.at(card.set).at(card.index - 1).bytes());
        }
    }
}

}  // namespace smk::ceremony
