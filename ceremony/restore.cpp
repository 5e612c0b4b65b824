// smk ceremony restore (phase 2 at the second facility) and reissue.
//
// restore: cards are read one after another until one set has 5 valid shares.
// Every card is checked against the plan before its share is used: its serial
// must be planned, its share must be of the plan's share set (identifier), of
// the set being collected, with the planned index, and no holder may give two
// cards. The SMK recovered must have the plan's KCV; then it is installed into
// the facility's tokens (KCV checked inside each token) and the facility's
// application-key backup is unwrapped under it. Any mismatch stops the flow
// before a token is touched.
//
// reissue --holder N: rebuilds from a quorum in which holder N takes no part,
// then either writes a replacement card for holder N carrying the same share
// (--set, --card-serial, --bag), or (--new-split) a fresh share set to all 14
// planned cards; either way a new plan is written.

#include <fmt/core.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "application_backup.hpp"
#include "flow_setup.hpp"
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
    unsigned set = 0;
    std::vector<slip39::NamedMnemonic> shares;  // the set's shares, as read
    std::vector<std::string> cards;
};

// Reads cards until one set has its threshold of shares checked against the plan.
Quorum gather_quorum(const Plan& plan, CardSession& session, Journal& journal,
                     std::optional<unsigned> wanted_set, unsigned excluded_holder) {
    std::set<unsigned> holders_seen;
    std::optional<unsigned> set = wanted_set;
    Quorum quorum;
    while (quorum.shares.size() < kSetThreshold) {
        CardRequest request;
        if (set) {
            request.set = slip39::set_letter(*set);
        }
        std::optional<HeldCard> held = session.next_card(request);
        if (!held) {
            throw Error(ErrorCategory::insufficient,
                        fmt::format("only {} of {} shares{} were found on the cards present; "
                                    "bring more holders' cards. Nothing was installed.",
                                    quorum.shares.size(), kSetThreshold,
                                    set ? " of set " + slip39::set_letter(*set) : std::string()));
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
        if (spec == nullptr) {
            refuse("card-not-in-plan", "this card is not in the plan " + plan.file.string() +
                                           " (a card from another ceremony?)");
        }
        if (holder->number == excluded_holder) {
            // The holder whose card is replaced takes no part in the quorum.
            journal.record(
                "card-skipped", {{"card", serial}},
                {{"reason", "holder " + std::to_string(holder->number) + " is being reissued"}});
            journal.say(
                fmt::format("  card {} is holder {}'s, whose card is being replaced: "
                            "not used\n",
                            serial, holder->number));
            session.release(std::move(*held));
            continue;
        }
        if (holders_seen.contains(holder->number)) {
            refuse("holder-twice", fmt::format("holder {} ({}) already gave a card; each holder "
                                               "counts once, bring another holder's card",
                                               holder->number, holder->name));
        }
        if (set && spec->set != *set) {
            refuse("wrong-set",
                   fmt::format("this card (holder {}, bag {}) is of set {}, but "
                               "set {} is being collected",
                               holder->number, spec->bag, slip39::set_letter(spec->set),
                               slip39::set_letter(*set)));
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
        set = spec->set;
        holders_seen.insert(holder->number);
        quorum.cards.push_back(serial);
        quorum.shares.push_back(
            {fmt::format("card {}", serial), std::move(stored.record->mnemonic)});
        journal.record(
            "card-read",
            {{"holder", std::to_string(holder->number)}, {"card", serial}, {"bag", spec->bag}},
            {{"set", slip39::set_letter(spec->set)},
             {"index", std::to_string(spec->index)},
             {"identifier", std::to_string(info.identifier)}});
        journal.say(fmt::format("  holder {} ({}): card {} set {} share {} read ({} of {})\n",
                                holder->number, holder->name, serial, slip39::set_letter(spec->set),
                                spec->index, quorum.shares.size(), kSetThreshold));
        session.release(std::move(*held));
    }
    quorum.set = *set;
    auto combined = slip39::combine(quorum.shares, {});
    quorum.smk = std::move(combined.master_secret);
    const std::string kcv = kcv_hex(key_check_value(quorum.smk.bytes()));
    if (kcv != *plan.kcv) {
        journal.record("kcv-mismatch", {}, {{"kcv", kcv}, {"expected", *plan.kcv}});
        throw Error(ErrorCategory::verification,
                    fmt::format("the SMK recovered from set {} has KCV {}, the plan records {}; "
                                "these cards do not hold the planned SMK. Nothing was installed.",
                                slip39::set_letter(quorum.set), kcv, *plan.kcv));
    }
    journal.record("smk-recovered", {{"set", slip39::set_letter(quorum.set)}},
                   {{"shares", std::to_string(quorum.shares.size())}, {"kcv", kcv}});
    journal.say(fmt::format("SMK recovered from set {}: KCV {} matches the plan\n",
                            slip39::set_letter(quorum.set), kcv));
    return quorum;
}

// The share of member `index` (1-based) of the quorum's set, in secure memory.
Secret derive_share(const Quorum& quorum, unsigned index) {
    std::vector<slip39::Share> decoded;
    for (const auto& s : quorum.shares) {
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
    check_pin_files(plan, options, &facility, true);
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
        CardSession session(card_session_options(plan, options, journal));
        std::optional<unsigned> wanted;
        if (!options.set.empty()) {
            wanted = options.set == "A" ? 0U : 1U;
        }
        quorum = gather_quorum(plan, session, journal, wanted, 0);
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
        first = fmt::format("SMK restored at {} from set {} (cards {})\n", facility.name,
                            slip39::set_letter(quorum->set), cards);
    } else {
        first = fmt::format("SMK already in every token at {}: no card was read\n", facility.name);
    }
    result_lines(journal, first + lines);
    journal.finish();
}

void reissue(const CeremonyOptions& options, Output& output) {
    const Plan plan = load_plan(options.plan);
    require_issued(plan);
    check_pin_files(plan, options, nullptr, true);
    const Holder& holder = plan.holder(options.holder);
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
    CardSession session(card_session_options(plan, options, journal));
    Plan updated = plan;
    if (!options.new_split) {
        // The same share again: holder N's card of the quorum's set, on the card
        // planned for it (the plan's serial, or the one given with --card-serial in
        // the plan written by hand before the ceremony).
        std::optional<unsigned> wanted;
        if (!options.set.empty()) {
            wanted = options.set == "A" ? 0U : 1U;
        }
        const Quorum quorum = gather_quorum(plan, session, journal, wanted, holder.number);
        const CardSpec& spec = holder.cards[quorum.set];
        const Secret mnemonic = derive_share(quorum, spec.index);
        {
            // Self-check: the derived share lies on the set's polynomial.
            std::vector<slip39::NamedMnemonic> six;
            for (const auto& q : quorum.shares) {
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
        CardSession writer(card_session_options(plan, options, journal));
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
        writer.release(std::move(held));
        result_lines(
            journal,
            fmt::format("holder {} ({}): replacement card {} holds set {} share {} of share "
                        "set {} (KCV {}); bag {}\n",
                        holder.number, holder.name, spec.serial, slip39::set_letter(spec.set),
                        spec.index, *plan.identifier, *plan.kcv, spec.bag));
        journal.finish();
        return;
    }
    const Quorum quorum = gather_quorum(plan, session, journal, std::nullopt, holder.number);
    const slip39::SplitParams params;
    const slip39::SplitResult split =
        slip39::split(quorum.smk.bytes(), {}, params, system_random());
    journal.record("split-generated", {},
                   {{"identifier", std::to_string(split.identifier)}, {"kcv", *plan.kcv}});
    CardSession writer(card_session_options(plan, options, journal));
    write_split_to_cards(plan, writer, split, quorum.smk, true, journal);
    updated.identifier = split.identifier;
    record_share_commitments(updated, split);
    const std::filesystem::path out = options.plan_out.empty()
                                          ? issued_plan_path(plan, split.identifier)
                                          : std::filesystem::path(options.plan_out);
    write_issued_plan(updated, out);
    journal.record("plan-written", {{"plan", out.string()}},
                   {{"identifier", std::to_string(split.identifier)}, {"kcv", *plan.kcv}});
    result_lines(journal,
                 fmt::format("new share set {} (KCV {}) written to all 14 planned cards; the old "
                             "share set {} is void; plan {}\n",
                             split.identifier, *plan.kcv, *plan.identifier, out.string()));
    journal.finish();
}

}  // namespace smk::ceremony
