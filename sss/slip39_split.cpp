// SLIP-0039 splitting: validate(), split() and group_name().
//
// Randomness is drawn exactly in the reference implementation's order
// (python-shamir-mnemonic generate_mnemonics): 2 identifier bytes, then the
// group level's random shares and random part, then each group's member level in
// group order. With the same random stream the mnemonics are the reference's.

#include <array>
#include <string>
#include <utility>

#include "ct_declassify.hpp"
#include "slip39_cipher.hpp"
#include "slip39_sets.hpp"
#include "slip39_share.hpp"
#include "slip39_sharing.hpp"
#include "smk/error.hpp"
#include "smk/slip39.hpp"

namespace smk::slip39 {
namespace {

[[noreturn]] void usage(const std::string& message) {
    throw Error(ErrorCategory::usage, message);
}

void validate_group(const GroupSpec& group) {
    const std::string spec =
        "--group " + std::to_string(group.threshold) + "/" + std::to_string(group.count);
    if (group.count < 1 || group.count > kMaxShareCount) {
        usage(spec + ": a set has 1 to " + std::to_string(kMaxShareCount) + " shares");
    }
    if (group.threshold < 1) {
        usage(spec + ": the threshold must be at least 1");
    }
    if (group.threshold > group.count) {
        usage(spec + ": the threshold is more than the " + std::to_string(group.count) +
              " shares; use at most " + std::to_string(group.count) + "/" +
              std::to_string(group.count));
    }
    if (group.threshold == 1 && group.count > 1) {
        usage(spec +
              ": a threshold of 1 with more than one share is not allowed by SLIP-39; "
              "use 1/1");
    }
}

// Decodes every mnemonic just made and recovers each set from its first
// threshold shares: a split must never hand out shares that do not recombine.
void self_check(const SplitResult& result, std::span<const Secret> group_secrets,
                const SplitParams& params) {
    for (std::size_t g = 0; g < result.mnemonics.size(); ++g) {
        std::vector<DecodedShare> decoded;
        for (std::size_t m = 0; m < result.mnemonics[g].size(); ++m) {
            decoded.push_back({decode(result.mnemonics[g][m].text(), "new share"), "new share"});
        }
        SetShares set;
        set.group_index = static_cast<unsigned>(g);
        set.member_threshold = params.groups[g].threshold;
        for (std::size_t m = 0; m < set.member_threshold; ++m) {
            set.members.push_back(m);
        }
        const Secret recovered = recover_set(set, decoded);
        // A split that does not recombine is aborted: the verdict is public.
        if (!ct::declassify(constant_time_equal(recovered.bytes(), group_secrets[g].bytes()))) {
            throw Error(ErrorCategory::internal, "the new shares of " +
                                                     group_name(set.group_index) +
                                                     " do not recombine; nothing was written");
        }
    }
}

}  // namespace

std::string set_letter(unsigned group_index) {
    if (group_index < 26) {
        return std::string(1, static_cast<char>('A' + group_index));
    }
    return std::to_string(group_index + 1);
}

std::string group_name(unsigned group_index) {
    return "set " + set_letter(group_index);
}

void validate(const SplitParams& params, std::size_t secret_bytes) {
    const std::size_t groups = params.groups.size();
    if (groups < 1 || groups > kMaxShareCount) {
        usage("a split has 1 to " + std::to_string(kMaxShareCount) + " groups, got " +
              std::to_string(groups));
    }
    if (params.group_threshold < 1) {
        usage("the group threshold must be at least 1");
    }
    if (params.group_threshold > groups) {
        usage("group threshold " + std::to_string(params.group_threshold) + " is more than the " +
              std::to_string(groups) + (groups == 1 ? " group" : " groups"));
    }
    for (const GroupSpec& group : params.groups) {
        validate_group(group);
    }
    if (params.iteration_exponent > kMaxIterationExponent) {
        usage("iteration exponent " + std::to_string(params.iteration_exponent) +
              " is out of range; use 0 to " + std::to_string(kMaxIterationExponent));
    }
    if (secret_bytes < kMinSecretBytes || secret_bytes % 2 != 0) {
        usage("the secret must be at least " + std::to_string(kMinSecretBytes) +
              " bytes and an even number of bytes, got " + std::to_string(secret_bytes));
    }
}

SplitResult split(std::span<const std::uint8_t> master_secret,
                  std::span<const std::uint8_t> passphrase, const SplitParams& params,
                  RandomSource& random) {
    const BurnStackOnExit burn;
    validate(params, master_secret.size());
    check_passphrase(passphrase);

    std::array<std::uint8_t, 2> id_bytes{};
    random.fill(id_bytes);
    SplitResult result;
    result.identifier = static_cast<std::uint16_t>(((id_bytes[0] << 8) | id_bytes[1]) & 0x7FFF);

    const Secret encrypted = cipher::encrypt(master_secret, passphrase, params.iteration_exponent,
                                             result.identifier, params.extendable);
    const auto group_count = static_cast<unsigned>(params.groups.size());
    const std::vector<Secret> group_secrets =
        split_secret(params.group_threshold, group_count, encrypted.bytes(), random);

    result.mnemonics.resize(group_count);
    for (unsigned g = 0; g < group_count; ++g) {
        const GroupSpec& spec = params.groups[g];
        std::vector<Secret> values =
            split_secret(spec.threshold, spec.count, group_secrets[g].bytes(), random);
        for (unsigned m = 0; m < spec.count; ++m) {
            Share share;
            share.info.identifier = result.identifier;
            share.info.extendable = params.extendable;
            share.info.iteration_exponent = params.iteration_exponent;
            share.info.group_index = g;
            share.info.group_threshold = params.group_threshold;
            share.info.group_count = group_count;
            share.info.member_index = m;
            share.info.member_threshold = spec.threshold;
            share.info.value_bytes = values[m].size();
            share.value = std::move(values[m]);
            result.mnemonics[g].push_back(encode(share));
        }
    }
    self_check(result, group_secrets, params);
    return result;
}

}  // namespace smk::slip39
