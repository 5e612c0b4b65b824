// Sorting shares into sets and recovering a set, for combine() and verify_set().
// Header fields are public (ShareInfo); only share values are secret, and those
// meet only shamir::interpolate and constant-time compares.

#include "slip39_sets.hpp"

#include <algorithm>
#include <map>

#include "ct_declassify.hpp"
#include "slip39_share.hpp"
#include "slip39_sharing.hpp"
#include "smk/error.hpp"
#include "smk/shamir.hpp"

namespace smk::slip39 {
namespace {

[[noreturn]] void mixed(const DecodedShare& a, const DecodedShare& b, const std::string& what) {
    const std::string sources[] = {a.source, b.source};
    throw Error(ErrorCategory::invalid_input,
                share_list(sources) + " " + what +
                    "; one of them is damaged or from another split, leave it out");
}

void check_field(const DecodedShare& first, const DecodedShare& other, std::string_view plural,
                 unsigned a, unsigned b, std::string_view unit = "") {
    if (a != b) {
        mixed(first, other,
              "have different " + std::string(plural) + " (" + std::to_string(a) + " and " +
                  std::to_string(b) + std::string(unit) + ")");
    }
}

}  // namespace

std::string share_list(std::span<const std::string> sources) {
    std::string out = sources.size() == 1 ? "share " : "shares ";
    for (std::size_t i = 0; i < sources.size(); ++i) {
        if (i > 0) {
            out += i + 1 == sources.size() ? " and " : ", ";
        }
        out += "\"" + sources[i] + "\"";
    }
    return out;
}

void check_passphrase(std::span<const std::uint8_t> passphrase) {
    unsigned bad = 0;
    for (const std::uint8_t byte : passphrase) {
        const int c = byte;
        // Negative (top bit set) iff c < 32 or c > 126.
        bad |= static_cast<unsigned>((c - 32) | (126 - c)) >> 31;
    }
    // Whether the passphrase is printable ASCII is public: it is refused if not.
    if (ct::declassify(bad) != 0) {
        throw Error(ErrorCategory::usage,
                    "the passphrase may contain only printable ASCII characters (space to '~', "
                    "codes 32 to 126), as SLIP-39 requires");
    }
}

std::vector<DecodedShare> decode_all(std::span<const NamedMnemonic> shares) {
    std::vector<DecodedShare> decoded;
    decoded.reserve(shares.size());
    for (const NamedMnemonic& named : shares) {
        decoded.push_back({decode(named.mnemonic.text(), named.source), named.source});
    }
    return decoded;
}

void check_same_split(std::span<const DecodedShare> shares) {
    if (shares.empty()) {
        return;
    }
    // The identifier most shares carry is taken as the split's; ties go to the
    // earliest share, so the odd one out is the share named.
    std::size_t best = 0;
    std::size_t best_count = 0;
    for (std::size_t i = 0; i < shares.size(); ++i) {
        const auto count = static_cast<std::size_t>(
            std::count_if(shares.begin(), shares.end(), [&](const DecodedShare& s) {
                return s.share.info.identifier == shares[i].share.info.identifier;
            }));
        if (count > best_count) {
            best = i;
            best_count = count;
        }
    }
    const std::uint16_t identifier = shares[best].share.info.identifier;
    for (const DecodedShare& s : shares) {
        if (s.share.info.identifier != identifier) {
            throw Error(ErrorCategory::invalid_input,
                        share_label(s.source) + " belongs to another split (identifier " +
                            std::to_string(s.share.info.identifier) + ", expected " +
                            std::to_string(identifier) + "); leave it out");
        }
    }
    const DecodedShare& first = shares.front();
    const ShareInfo& a = first.share.info;
    for (const DecodedShare& other : shares.subspan(1)) {
        const ShareInfo& b = other.share.info;
        if (a.extendable != b.extendable) {
            mixed(first, other, "differ in the extendable flag");
        }
        check_field(first, other, "iteration exponents", a.iteration_exponent,
                    b.iteration_exponent);
        check_field(first, other, "group thresholds", a.group_threshold, b.group_threshold);
        check_field(first, other, "group counts", a.group_count, b.group_count);
        check_field(first, other, "lengths", static_cast<unsigned>(a.value_bytes),
                    static_cast<unsigned>(b.value_bytes), " bytes");
    }
}

std::vector<SetShares> sort_into_sets(std::span<const DecodedShare> shares) {
    std::map<unsigned, SetShares> sets;
    for (std::size_t i = 0; i < shares.size(); ++i) {
        const ShareInfo& info = shares[i].share.info;
        SetShares& set = sets[info.group_index];
        if (set.members.empty()) {
            set.group_index = info.group_index;
            set.member_threshold = info.member_threshold;
        }
        const DecodedShare& first = shares[set.members.empty() ? i : set.members.front()];
        check_field(first, shares[i], "member thresholds in " + group_name(info.group_index),
                    set.member_threshold, info.member_threshold);
        for (const std::size_t j : set.members) {
            if (shares[j].share.info.member_index == info.member_index) {
                const std::string sources[] = {shares[j].source, shares[i].source};
                throw Error(ErrorCategory::invalid_input,
                            share_list(sources) + " have the same index " +
                                std::to_string(info.member_index + 1) + " in " +
                                group_name(info.group_index) +
                                "; give each share once and leave out a damaged one");
            }
        }
        set.members.push_back(i);
    }
    std::vector<SetShares> out;
    out.reserve(sets.size());
    for (auto& [index, set] : sets) {
        out.push_back(std::move(set));
    }
    return out;
}

std::string insufficient_message(std::span<const SetShares> sets, unsigned group_threshold,
                                 unsigned group_count) {
    std::string out = "not enough shares: ";
    if (sets.empty()) {
        out += "none given";
    }
    for (std::size_t i = 0; i < sets.size(); ++i) {
        if (i > 0) {
            out += "; ";
        }
        out += group_name(sets[i].group_index) + ": " + std::to_string(sets[i].members.size()) +
               " of " + std::to_string(sets[i].member_threshold);
        if (i == 0) {
            out += " needed";
        }
    }
    if (group_threshold > 1) {
        const auto complete = std::count_if(sets.begin(), sets.end(), [](const SetShares& s) {
            return s.members.size() >= s.member_threshold;
        });
        out += "; " + std::to_string(group_threshold) + " of " + std::to_string(group_count) +
               " sets needed, " + std::to_string(complete) + " complete";
    }
    return out;
}

Secret recover_set(const SetShares& set, std::span<const DecodedShare> shares) {
    std::vector<shamir::Point> points;
    points.reserve(set.members.size());
    for (const std::size_t i : set.members) {
        points.push_back({static_cast<std::uint8_t>(shares[i].share.info.member_index),
                          shares[i].share.value.bytes()});
    }
    const std::string name = group_name(set.group_index);
    AgreementMessages messages;
    messages.disagree = [&](std::span<const std::size_t> culprits) {
        std::vector<std::string> sources;
        for (const std::size_t c : culprits) {
            sources.push_back(shares[set.members[c]].source);
        }
        const bool one = sources.size() == 1;
        return share_list(sources) + (one ? " disagrees" : " disagree") +
               " with the other shares of " + name + ": " + (one ? "it is" : "they are") +
               " corrupted or altered; recover without " + (one ? "it" : "them") + " and replace " +
               (one ? "it" : "them");
    };
    messages.none_agree = "no " + std::to_string(set.member_threshold) + " shares of " + name +
                          " agree (digest check failed); shares may be corrupted or from "
                          "different splits";
    return recover_agreeing(set.member_threshold, points, messages);
}

}  // namespace smk::slip39
