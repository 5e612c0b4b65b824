// Reading a quorum of cards against an issued plan (quorum.hpp).

#include "quorum.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/kcv.hpp"
#include "smk/shamir.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {
namespace {

bool is_whole(const Plan& plan, const Quorum& quorum, unsigned set) {
    const auto it = quorum.shares.find(set);
    return it != quorum.shares.end() && it->second.size() >= plan.policy.sets[set].threshold;
}

// What the policy needs, for messages: "5 shares of one set", "3 shares of each of 2 sets".
std::string needed_text(const Plan& plan, const QuorumWanted& wanted) {
    if (wanted.only_set) {
        return fmt::format("{} shares of {}", plan.policy.sets[*wanted.only_set].threshold,
                           slip39::group_name(*wanted.only_set));
    }
    return fmt::format("{} whole set(s) ({})", plan.policy.group_threshold, plan.policy.describe());
}

}  // namespace

// "set A: 3 of 5; set B: 1 of 5"
std::string progress_text(const Plan& plan, const Quorum& quorum) {
    std::string text;
    for (const auto& [set, shares] : quorum.shares) {
        text += fmt::format("{}{}: {} of {}", text.empty() ? "" : "; ", slip39::group_name(set),
                            shares.size(), plan.policy.sets[set].threshold);
    }
    return text.empty() ? "no share" : text;
}

bool have_quorum(const Plan& plan, const Quorum& quorum, const QuorumWanted& wanted) {
    if (quorum.whole_sets.size() < plan.policy.group_threshold) {
        return false;
    }
    return wanted.one_whole_of.empty() ||
           std::any_of(wanted.one_whole_of.begin(), wanted.one_whole_of.end(),
                       [&](unsigned set) { return is_whole(plan, quorum, set); });
}

bool holder_may_give(const Plan& plan, const Quorum& quorum, const QuorumWanted& wanted,
                     const OfferedShare& offered) {
    const Holder& holder = *offered.holder;
    const CardSpec& spec = *offered.spec;
    if (const HolderEvent* lost = plan.lost_cards(holder.number)) {
        offered.refuse(
            "card-reported-lost",
            fmt::format("holder {}'s cards of share set {} were reported lost ({}, "
                        "recorded by {}); a card of that bag is not used. Issue a new "
                        "share set without them: smk ceremony reissue --holder {} "
                        "--new-split",
                        holder.number, lost->identifier, lost->time, lost->by, holder.number));
    }
    if (quorum.holders.contains(holder.number)) {
        offered.refuse("holder-twice",
                       fmt::format("holder {} ({}) already gave a share; each holder counts "
                                   "once, bring another holder's card",
                                   holder.number, holder.name));
    }
    if (wanted.only_set && spec.set != *wanted.only_set) {
        offered.refuse("wrong-set",
                       fmt::format("holder {}'s share (bag {}) is of set {}, but "
                                   "set {} is being collected",
                                   holder.number, spec.bag, slip39::set_letter(spec.set),
                                   slip39::set_letter(*wanted.only_set)));
    }
    return !is_whole(plan, quorum, spec.set);
}

void check_share_is_planned(const Plan& plan, const slip39::ShareInfo& info,
                            const OfferedShare& offered) {
    if (info.identifier != *plan.identifier) {
        offered.refuse("foreign-identifier",
                       fmt::format("it is a share of share set {}, the plan's is {} (a share "
                                   "of another split)",
                                   info.identifier, *plan.identifier));
    }
    const CardSpec& spec = *offered.spec;
    if (info.group_index != spec.set || info.member_index + 1 != spec.index) {
        offered.refuse(
            "card-share-mismatch",
            fmt::format("it is set {} share {}, the plan gives holder {} set {} share {}",
                        slip39::set_letter(info.group_index), info.member_index + 1,
                        offered.holder->number, slip39::set_letter(spec.set), spec.index));
    }
}

void add_share(const Plan& plan, Quorum& quorum, const OfferedShare& offered, std::string source,
               Secret mnemonic) {
    const unsigned set = offered.spec->set;
    quorum.holders.insert(offered.holder->number);
    quorum.shares[set].push_back({std::move(source), std::move(mnemonic)});
    if (is_whole(plan, quorum, set)) {
        quorum.whole_sets.push_back(set);
    }
}

// Reads cards until the whole sets make the policy's quorum, each card checked
// against the plan. A holder gives one card (counts once), whatever sets they hold.
Quorum gather_quorum(const Plan& plan, CardSession& session, Journal& journal,
                     const QuorumWanted& wanted, Quorum quorum) {
    while (!have_quorum(plan, quorum, wanted)) {
        CardRequest request;
        if (wanted.only_set) {
            request.set = slip39::set_letter(*wanted.only_set);
        }
        std::optional<HeldCard> held = session.next_card(request);
        if (!held) {
            throw Error(ErrorCategory::insufficient,
                        fmt::format("the {} present give {}; {} are needed; bring more "
                                    "holders' cards. Nothing was installed.",
                                    quorum.remote.empty() ? "cards" : "cards and sealed shares",
                                    progress_text(plan, quorum), needed_text(plan, wanted)));
        }
        const std::string serial = held->store.serial();
        const Holder* holder = nullptr;
        const CardSpec* spec = plan.card_by_serial(serial, &holder);
        const OfferedShare offered{
            holder, spec, [&](const std::string& step, const std::string& why) {
                journal.record(step, {{"card", serial}}, {{"result", "refused"}});
                throw Error(ErrorCategory::refused,
                            fmt::format("card {}: {}. The flow stopped; nothing was installed.",
                                        serial, why));
            }};
        const auto skip = [&](const std::string& reason, const std::string& said) {
            journal.record("card-skipped", {{"card", serial}}, {{"reason", reason}});
            journal.say(fmt::format("  card {} {}: not used\n", serial, said));
            session.release(std::move(*held));
        };
        if (spec == nullptr) {
            offered.refuse("card-not-in-plan", "this card is not in the plan " +
                                                   plan.file.string() +
                                                   " (a card from another ceremony?)");
        }
        if (holder->number == wanted.excluded_holder) {
            skip("holder " + std::to_string(holder->number) + " is being reissued",
                 fmt::format("is holder {}'s, whose card is being replaced", holder->number));
            continue;
        }
        if (!holder_may_give(plan, quorum, wanted, offered)) {
            skip(
                slip39::group_name(spec->set) + " is whole already",
                fmt::format("(holder {}) is of {}, which has its {} shares already", holder->number,
                            slip39::group_name(spec->set), plan.policy.sets[spec->set].threshold));
            continue;
        }
        card::StoredShare stored = held->store.read_share();
        if (stored.state != card::StoredState::valid || !stored.record) {
            offered.refuse("card-unreadable",
                           stored.state == card::StoredState::empty
                               ? std::string("the card holds no share")
                               : "the card's record is not valid: " + stored.problem);
        }
        const auto& info = stored.record->info;
        check_share_is_planned(plan, info, offered);
        quorum.cards.push_back(serial);
        add_share(plan, quorum, offered, fmt::format("card {}", serial),
                  std::move(stored.record->mnemonic));
        journal.record(
            "card-read",
            {{"holder", std::to_string(holder->number)}, {"card", serial}, {"bag", spec->bag}},
            {{"set", slip39::set_letter(spec->set)},
             {"index", std::to_string(spec->index)},
             {"identifier", std::to_string(info.identifier)}});
        journal.say(fmt::format("  holder {} ({}): card {} set {} share {} read ({})\n",
                                holder->number, holder->name, serial, slip39::set_letter(spec->set),
                                spec->index, progress_text(plan, quorum)));
        session.release(std::move(*held));
    }
    return quorum;
}

// The SMK from the quorum's whole sets, checked against the plan's KCV (a wrong
// passphrase shows as another KCV).
void recover_smk(const Plan& plan, Quorum& quorum, const Secret& passphrase, Journal& journal) {
    std::vector<slip39::NamedMnemonic> shares;
    for (const unsigned set : quorum.whole_sets) {
        for (const auto& s : quorum.shares.at(set)) {
            shares.push_back({s.source, Secret::copy_of(s.mnemonic.bytes())});
        }
    }
    auto combined = slip39::combine(shares, passphrase.bytes());
    quorum.smk = std::move(combined.master_secret);
    const std::string kcv = kcv_hex(key_check_value(quorum.smk.bytes()));
    if (kcv != *plan.kcv) {
        journal.record("kcv-mismatch", {}, {{"kcv", kcv}, {"expected", *plan.kcv}});
        throw Error(ErrorCategory::verification,
                    fmt::format("the SMK recovered from {} has KCV {}, the plan records {}; "
                                "these cards do not hold the planned SMK{}. Nothing was "
                                "installed.",
                                quorum.sets_text(), kcv, *plan.kcv,
                                plan.policy.passphrase == PassphraseSource::none
                                    ? ""
                                    : ", or the passphrase is not the one used at issue"));
    }
    journal.record("smk-recovered", {{"set", quorum.sets_text()}},
                   {{"shares", std::to_string(shares.size())}, {"kcv", kcv}});
    journal.say(
        fmt::format("SMK recovered from {}: KCV {} matches the plan\n", quorum.sets_text(), kcv));
}

// The share of member `index` (1-based) of `set`, from the quorum's shares of that
// (whole) set, in secure memory.
Secret derive_share(const Quorum& quorum, unsigned set, unsigned index) {
    std::vector<slip39::Share> decoded;
    for (const auto& s : quorum.shares.at(set)) {
        decoded.push_back(slip39::decode(s.mnemonic.text(), s.source));
    }
    std::vector<shamir::Point> points;
    for (const auto& d : decoded) {
        points.push_back({static_cast<std::uint8_t>(d.info.member_index), d.value.bytes()});
    }
    slip39::Share share;
    share.info = decoded.front().info;
    share.info.member_index = index - 1;
    share.value = Secret(decoded.front().value.size());
    shamir::interpolate(points, static_cast<std::uint8_t>(index - 1), share.value.bytes());
    return slip39::encode(share);
}

}  // namespace smk::ceremony
