// smk ceremony restore (phase 2 at the second facility) and reissue.
//
// restore: cards are read one after another until the policy's quorum is there
// (group_threshold sets, each with its threshold of shares; the KMP's: 5 of one
// set). Every card is checked against the plan before its share is used: its
// serial must be planned, its share must be of the plan's share set
// (identifier), of the set being collected (--set), with the planned index, and
// no holder may give two cards. The SMK recovered must have the plan's KCV; then it is installed
// into the facility's tokens (KCV checked inside each token) and the facility's application-key
// backup is unwrapped under it. Any mismatch stops the flow before a token is touched.
//
// reissue --holder N: rebuilds from a quorum in which holder N takes no part,
// then either writes holder N's card of one set again with the same share (the
// set by --set or the first of theirs made whole; the card by set, never by its
// position), or (--new-split) a fresh share set to every planned card; either way a new plan is
// written.

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "application_backup.hpp"
#include "flow_setup.hpp"
#include "holder_pins.hpp"
#include "share_commitment.hpp"
#include "smk/atomic_file.hpp"
#include "smk/card.hpp"
#include "smk/ceremony/split_to_cards.hpp"
#include "smk/error.hpp"
#include "smk/hsm.hpp"
#include "smk/kcv.hpp"
#include "smk/random.hpp"
#include "smk/sha256.hpp"
#include "smk/shamir.hpp"
#include "smk/share_record.hpp"
#include "smk/slip39.hpp"
#include "tokens.hpp"

namespace smk::ceremony {
namespace {

struct Quorum {
    Secret smk;
    std::vector<unsigned> whole_sets;  // the sets read to their threshold, in that order
    std::map<unsigned, std::vector<slip39::NamedMnemonic>> shares;  // per set, as read
    std::vector<std::string> cards;

    // "set A", "sets A and C"
    [[nodiscard]] std::string sets_text() const {
        std::string text = whole_sets.size() == 1 ? "set " : "sets ";
        for (std::size_t i = 0; i < whole_sets.size(); ++i) {
            text += (i == 0                       ? ""
                     : i + 1 == whole_sets.size() ? " and "
                                                  : ", ") +
                    slip39::set_letter(whole_sets[i]);
        }
        return text;
    }
};

// Which cards a flow collects.
struct QuorumWanted {
    std::optional<unsigned> only_set;  // restore --set: cards of this set only
    // reissue: one of these sets must be whole (the share replaced is derived from it)
    std::set<unsigned> one_whole_of;
    unsigned excluded_holder = 0;  // reissue: the holder whose card is replaced
};

// "set A: 3 of 5; set B: 1 of 5"
std::string progress_text(const Plan& plan, const Quorum& quorum) {
    std::string text;
    for (const auto& [set, shares] : quorum.shares) {
        text += fmt::format("{}{}: {} of {}", text.empty() ? "" : "; ", slip39::group_name(set),
                            shares.size(), plan.policy.sets[set].threshold);
    }
    return text.empty() ? "no share" : text;
}

bool is_whole(const Plan& plan, const Quorum& quorum, unsigned set) {
    const auto it = quorum.shares.find(set);
    return it != quorum.shares.end() && it->second.size() >= plan.policy.sets[set].threshold;
}

bool have_quorum(const Plan& plan, const Quorum& quorum, const QuorumWanted& wanted) {
    if (quorum.whole_sets.size() < plan.policy.group_threshold) {
        return false;
    }
    return wanted.one_whole_of.empty() ||
           std::any_of(wanted.one_whole_of.begin(), wanted.one_whole_of.end(),
                       [&](unsigned set) { return is_whole(plan, quorum, set); });
}

// What the policy needs, for messages: "5 shares of one set", "3 shares of each of 2 sets".
std::string needed_text(const Plan& plan, const QuorumWanted& wanted) {
    if (wanted.only_set) {
        return fmt::format("{} shares of {}", plan.policy.sets[*wanted.only_set].threshold,
                           slip39::group_name(*wanted.only_set));
    }
    return fmt::format("{} whole set(s) ({})", plan.policy.group_threshold, plan.policy.describe());
}

// Reads cards until the whole sets make the policy's quorum, each card checked
// against the plan. A holder gives one card (counts once), whatever sets they hold.
Quorum gather_quorum(const Plan& plan, CardSession& session, Journal& journal,
                     const QuorumWanted& wanted) {
    std::set<unsigned> holders_seen;
    Quorum quorum;
    while (!have_quorum(plan, quorum, wanted)) {
        CardRequest request;
        if (wanted.only_set) {
            request.set = slip39::set_letter(*wanted.only_set);
        }
        std::optional<HeldCard> held = session.next_card(request);
        if (!held) {
            throw Error(ErrorCategory::insufficient,
                        fmt::format("the cards present give {}; {} are needed; bring more "
                                    "holders' cards. Nothing was installed.",
                                    progress_text(plan, quorum), needed_text(plan, wanted)));
        }
        const std::string serial = held->store.serial();
        const Holder* holder = nullptr;
        const CardSpec* spec = plan.card_by_serial(serial, &holder);
        const auto refuse = [&](const std::string& step, const std::string& why) {
            journal.record(step, {{"card", serial}}, {{"result", "refused"}});
            throw Error(
                ErrorCategory::refused,
                fmt::format("card {}: {}. The flow stopped; nothing was installed.", serial, why));
        };
        const auto skip = [&](const std::string& reason, const std::string& said) {
            journal.record("card-skipped", {{"card", serial}}, {{"reason", reason}});
            journal.say(fmt::format("  card {} {}: not used\n", serial, said));
            session.release(std::move(*held));
        };
        if (spec == nullptr) {
            refuse("card-not-in-plan", "this card is not in the plan " + plan.file.string() +
                                           " (a card from another ceremony?)");
        }
        if (holder->number == wanted.excluded_holder) {
            skip("holder " + std::to_string(holder->number) + " is being reissued",
                 fmt::format("is holder {}'s, whose card is being replaced", holder->number));
            continue;
        }
        if (const HolderEvent* lost = plan.lost_cards(holder->number)) {
            refuse("card-reported-lost",
                   fmt::format("holder {}'s cards of share set {} were reported lost ({}, "
                               "recorded by {}); a card of that bag is not used. Issue a new "
                               "share set without them: smk ceremony reissue --holder {} "
                               "--new-split",
                               holder->number, lost->identifier, lost->time, lost->by,
                               holder->number));
        }
        if (holders_seen.contains(holder->number)) {
            refuse("holder-twice", fmt::format("holder {} ({}) already gave a card; each holder "
                                               "counts once, bring another holder's card",
                                               holder->number, holder->name));
        }
        if (wanted.only_set && spec->set != *wanted.only_set) {
            refuse("wrong-set",
                   fmt::format("this card (holder {}, bag {}) is of set {}, but "
                               "set {} is being collected",
                               holder->number, spec->bag, slip39::set_letter(spec->set),
                               slip39::set_letter(*wanted.only_set)));
        }
        if (is_whole(plan, quorum, spec->set)) {
            skip(
                slip39::group_name(spec->set) + " is whole already",
                fmt::format("(holder {}) is of {}, which has its {} shares already", holder->number,
                            slip39::group_name(spec->set), plan.policy.sets[spec->set].threshold));
            continue;
        }
        card::StoredShare stored = held->store.read_share();
        if (stored.state != card::StoredState::valid || !stored.record) {
            refuse("card-unreadable", stored.state == card::StoredState::empty
                                          ? std::string("the card holds no share")
                                          : "the card's record is not valid: " + stored.problem);
        }
        const auto& info = stored.record->info;
        if (info.identifier != *plan.identifier) {
            refuse("foreign-identifier",
                   fmt::format("the card holds a share of share set {}, the plan's is {} (a "
                               "card of another split)",
                               info.identifier, *plan.identifier));
        }
        if (info.group_index != spec->set || info.member_index + 1 != spec->index) {
            refuse("card-share-mismatch",
                   fmt::format("the card holds set {} share {}, the plan says set {} share {}",
                               slip39::set_letter(info.group_index), info.member_index + 1,
                               slip39::set_letter(spec->set), spec->index));
        }
        holders_seen.insert(holder->number);
        quorum.cards.push_back(serial);
        quorum.shares[spec->set].push_back(
            {fmt::format("card {}", serial), std::move(stored.record->mnemonic)});
        if (is_whole(plan, quorum, spec->set)) {
            quorum.whole_sets.push_back(spec->set);
        }
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

}  // namespace

void restore(const CeremonyOptions& options, Output& output) {
    const Plan plan = load_plan(options.plan);
    require_issued(plan);
    const Facility& facility = plan.facility(options.facility);
    check_token_pin_files(plan, options, facility);
    check_card_pin_files(plan, false);
    check_passphrase_file(plan);
    const std::optional<unsigned> only_set = set_option(plan, options.set);
    if (only_set && plan.policy.group_threshold > 1) {
        throw Error(ErrorCategory::usage,
                    fmt::format("--set {}: plan {} needs {} whole sets ({}); one set cannot "
                                "restore the SMK",
                                options.set, plan.file.string(), plan.policy.group_threshold,
                                plan.policy.describe()));
    }
    const Kcv expected = hsm::parse_kcv(*plan.kcv, "the plan's KCV");
    const bool replace = options.replace_keys || facility.replace_application_keys;
    Journal journal = open_journal(plan, options, "restore", output);
    journal.say(fmt::format("Restore at {} (plan {}, share set {}, KCV {})\n", facility.name,
                            plan.file.string(), *plan.identifier, *plan.kcv));
    journal.record("start", {{"plan", plan.file.string()}, {"facility", facility.name}},
                   {{"identifier", std::to_string(*plan.identifier)},
                    {"kcv", *plan.kcv},
                    {"replace_keys", replace ? "yes" : "no"},
                    {"dry_run", options.dry_run ? "yes" : "no"}},
                   {{"plan", sha256_hex(plan.text)}});
    record_participants(plan, options.confirm_participants, journal);
    // The backup first, from its planned drive, before any token is opened.
    std::optional<hsm::BackupSummary> backup;
    if (!facility.application_backup.empty()) {
        backup = check_application_backup(plan, facility, options.look_alike, journal);
    }
    Tokens tokens = open_tokens(plan, facility, options, journal);
    // Every token checked before anything is written to any of them.
    std::vector<bool> has_smk;
    std::vector<std::vector<std::string>> new_labels;  // per token
    for (auto& t : tokens.open) {
        has_smk.push_back(holds_planned_smk(t, plan, expected, journal));
        check_smk_trust(t, plan, has_smk.back(), options, journal);
        new_labels.emplace_back();
        if (backup) {
            hsm::require_restore_mechanisms(t.session);
            new_labels.back() = new_labels_in(t, *backup, replace, journal);
        }
    }
    const auto missing =
        static_cast<std::size_t>(std::count(has_smk.begin(), has_smk.end(), false));
    if (options.dry_run) {
        journal.result(fmt::format(
            "dry run: plan OK; {} token(s) at {} ready, {} of them without the SMK{}; "
            "application backup {}; no card was read",
            tokens.open.size(), facility.name, missing, missing == 0 ? " (no card is needed)" : "",
            backup ? backup->file.string() + " checked (" + std::to_string(backup->keys.size()) +
                         " key(s))"
                   : std::string("none planned")));
        return;
    }
    std::optional<Quorum> quorum;
    if (missing > 0) {
        const Secret passphrase = read_passphrase(plan, options, false);
        HolderPins pins(plan, options, journal);
        CardSession session(card_session_options(options, pins, journal));
        QuorumWanted wanted;
        wanted.only_set = only_set;
        quorum = gather_quorum(plan, session, journal, wanted);
        recover_smk(plan, *quorum, passphrase, journal);
    } else {
        journal.say(fmt::format("every token at {} holds the SMK (KCV {}): no card is needed\n",
                                facility.name, *plan.kcv));
    }
    std::string lines;
    std::vector<TokenChanges> changes;
    try {
        for (std::size_t i = 0; i < tokens.open.size(); ++i) {
            OpenToken& t = tokens.open[i];
            const std::string kcv =
                has_smk[i] ? *plan.kcv
                           : install_in_token(t, plan, facility, quorum->smk, expected, journal);
            // install_in_token leaves nothing behind when it fails.
            changes.push_back({&t, !has_smk[i], new_labels[i]});
            if (backup) {
                lines += restore_application_keys(t, plan, *backup, replace, journal);
            }
            lines += fmt::format("KCV {} {}: {}{}\n", facility.name, t.label, kcv,
                                 has_smk[i] ? " (the SMK was there already)" : "");
        }
    } catch (...) {
        roll_back(changes, plan, journal);
        throw;
    }
    std::string first;
    if (quorum) {
        std::string cards;
        for (const auto& c : quorum->cards) {
            cards += (cards.empty() ? "" : " ") + c;
        }
        first = fmt::format("SMK restored at {} from {} (cards {})\n", facility.name,
                            quorum->sets_text(), cards);
    } else {
        first = fmt::format("SMK already in every token at {}: no card was read\n", facility.name);
    }
    result_lines(journal, first + lines);
    journal.finish();
}

void reissue(const CeremonyOptions& options, Output& output) {
    const Plan plan = load_plan(options.plan);
    require_issued(plan);
    check_card_pin_files(plan, true);
    check_passphrase_file(plan);
    const Holder& holder = plan.holder(options.holder);
    (void)set_option(plan, options.set);  // a set the plan has, before anything happens
    Journal journal = open_journal(plan, options, "reissue", output);
    journal.record("start",
                   {{"plan", plan.file.string()}, {"holder", std::to_string(holder.number)}},
                   {{"identifier", std::to_string(*plan.identifier)},
                    {"new_split", options.new_split ? "yes" : "no"},
                    {"dry_run", options.dry_run ? "yes" : "no"}},
                   {{"plan", sha256_hex(plan.text)}});
    record_participants(plan, options.confirm_participants, journal);
    if (options.dry_run) {
        journal.result(fmt::format(
            "dry run: plan OK; holder {} ({}) {}; no card was read", holder.number, holder.name,
            options.new_split ? "and everyone get a fresh share set" : "gets a replacement card"));
        return;
    }
    if (options.new_split && !options.plan_out.empty()) {
        refuse_existing(options.plan_out);  // before any card is written
    }
    const Secret passphrase = read_passphrase(plan, options, false);
    HolderPins pins(plan, options, journal);
    // A new share set gives every card a new authentication key too (the single
    // replacement card does not get one: no plan is written for it). It goes to
    // the cards issued before, which hold their holders' PINs already.
    pins.read_ahead(options.new_split && plan.card_attest);
    CardSession session(card_session_options(options, pins, journal));
    Plan updated = plan;
    if (!options.new_split) {
        // The same share again: holder N's card of the quorum's set, on the card
        // planned for it (the plan's serial, or the one given with --card-serial in
        // the plan written by hand before the ceremony).
        // The set of the card replaced: --set, else one of the holder's sets that the
        // cards read make whole first. The card is the holder's card of that set.
        QuorumWanted wanted;
        wanted.excluded_holder = holder.number;
        if (const auto set = set_option(plan, options.set)) {
            if (holder.card_of_set(*set) == nullptr) {
                throw Error(
                    ErrorCategory::usage,
                    fmt::format("holder {} ({}) holds no card of {} in plan {}", holder.number,
                                holder.name, slip39::group_name(*set), plan.file.string()));
            }
            wanted.one_whole_of = {*set};
        } else {
            for (const CardSpec& c : holder.cards) {
                wanted.one_whole_of.insert(c.set);
            }
        }
        pins.take_no_part(holder.number);
        Quorum quorum = gather_quorum(plan, session, journal, wanted);
        pins.take_no_part(0);
        recover_smk(plan, quorum, passphrase, journal);
        unsigned set = 0;
        for (const unsigned whole : quorum.whole_sets) {
            if (wanted.one_whole_of.contains(whole)) {
                set = whole;
                break;
            }
        }
        const CardSpec& spec = *holder.card_of_set(set);
        // The replacement card comes new: under set-at-issuance its holder's PIN
        // and the custodian's admin PIN replace the factory ones once it holds
        // the share; chosen now, before it is written.
        pins.issue_anew(spec.serial);
        pins.read_ahead(false);
        const Secret mnemonic = derive_share(quorum, set, spec.index);
        {
            // Self-check: the derived share lies on the set's polynomial.
            std::vector<slip39::NamedMnemonic> six;
            for (const auto& q : quorum.shares.at(set)) {
                six.push_back({q.source, Secret::copy_of(q.mnemonic.bytes())});
            }
            six.push_back({"the replacement share", Secret::copy_of(mnemonic.bytes())});
            (void)slip39::verify_set(six);
        }
        // And it is the share issued to that card, when the plan records its commitment.
        if (!spec.share_sha256.empty() && share_commitment(mnemonic.bytes()) != spec.share_sha256) {
            journal.record("share-commitment-mismatch",
                           {{"holder", std::to_string(holder.number)}, {"card", spec.serial}},
                           {{"result", "the derived share is not the one the plan records"}});
            throw Error(
                ErrorCategory::verification,
                fmt::format("the share derived for holder {} set {} is not the one plan {} "
                            "records as issued (its commitment differs): the plan or the "
                            "cards read are not of this issue. No card was written.",
                            holder.number, slip39::set_letter(spec.set), plan.file.string()));
        }
        CardSession writer(card_session_options(options, pins, journal));
        CardRequest request = request_for(holder, spec);
        request.holder += ", replacement";
        HeldCard held = writer.acquire(request);
        const Secret record = card::encode_share_record(
            mnemonic.text(),
            fmt::format("set {} share {}", slip39::set_letter(spec.set), spec.index));
        held.store.write_record(record.bytes(), false);  // reads back and compares
        const card::StoredShare stored = held.store.read_share();
        if (stored.state != card::StoredState::valid || !stored.record ||
            stored.record->info.identifier != *plan.identifier ||
            stored.record->info.group_index != spec.set ||
            stored.record->info.member_index + 1 != spec.index) {
            throw Error(
                ErrorCategory::verification,
                fmt::format("card {} does not read back as the replacement share", spec.serial));
        }
        journal.record(
            "card-written",
            {{"holder", std::to_string(holder.number)}, {"card", spec.serial}, {"bag", spec.bag}},
            {{"set", slip39::set_letter(spec.set)},
             {"index", std::to_string(spec.index)},
             {"identifier", std::to_string(*plan.identifier)},
             {"read_back", "ok"}});
        pins.set_pins(held.store, holder);
        writer.release(std::move(held));
        result_lines(
            journal,
            fmt::format(
                "holder {} ({}): replacement card {} holds set {} share {} of share "
                "set {} (KCV {}); bag {}{}\n",
                holder.number, holder.name, spec.serial, slip39::set_letter(spec.set), spec.index,
                *plan.identifier, *plan.kcv, spec.bag,
                holder.cards.size() > 1 ? "; the holder's other card(s) are unchanged" : ""));
        journal.finish();
        return;
    }
    QuorumWanted wanted;
    wanted.excluded_holder = holder.number;
    pins.take_no_part(holder.number);
    Quorum quorum = gather_quorum(plan, session, journal, wanted);
    pins.take_no_part(0);
    recover_smk(plan, quorum, passphrase, journal);
    const slip39::SplitResult split = slip39::split(quorum.smk.bytes(), passphrase.bytes(),
                                                    plan.policy.split_params(), system_random());
    journal.record("split-generated", {},
                   {{"identifier", std::to_string(split.identifier)}, {"kcv", *plan.kcv}});
    CardSession writer(card_session_options(options, pins, journal));
    write_split_to_cards(plan, writer, split, quorum.smk, passphrase, true, pins, updated, journal);
    updated.identifier = split.identifier;
    record_share_commitments(updated, split);
    const std::filesystem::path out = options.plan_out.empty()
                                          ? issued_plan_path(plan, split.identifier)
                                          : std::filesystem::path(options.plan_out);
    write_issued_plan(updated, out);
    journal.record("plan-written", {{"plan", out.string()}},
                   {{"identifier", std::to_string(split.identifier)}, {"kcv", *plan.kcv}});
    result_lines(journal,
                 fmt::format("new share set {} (KCV {}) written to all {} planned cards; the old "
                             "share set {} is void; plan {}\n",
                             split.identifier, *plan.kcv, plan.policy.card_count(),
                             *plan.identifier, out.string()));
    journal.finish();
}

}  // namespace smk::ceremony
