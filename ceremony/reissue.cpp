// smk ceremony reissue --holder N: rebuilds the SMK from a quorum in which holder
// N takes no part (quorum.hpp), then either writes holder N's card of one set
// again with the same share (the set by --set or the first of theirs made whole;
// the card by set, never by its position), or (--new-split) a fresh share set to
// every planned card, with a new plan. A replacement card that gets a new
// authentication key gets a new plan too, recording the key.

#include <fmt/core.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "flow_setup.hpp"
#include "holder_pins.hpp"
#include "quorum.hpp"
#include "share_commitment.hpp"
#include "smk/atomic_file.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/random.hpp"
#include "smk/sha256.hpp"
#include "smk/share_record.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {

namespace {

// reissue without --new-split: the same share again, onto holder N's card of the
// quorum's set (see the top of this file).
void replace_one_card(const Plan& plan, const Holder& holder, const CeremonyOptions& options,
                      CardSession& session, HolderPins& pins, const Secret& passphrase,
                      Journal& journal) {
    // The same share again: holder N's card of the quorum's set, on the card
    // planned for it (the plan's serial, or the one given with --card-serial in
    // the plan written by hand before the ceremony).
    // The set of the card replaced: --set, else one of the holder's sets that the
    // cards read make whole first. The card is the holder's card of that set.
    QuorumWanted wanted;
    wanted.excluded_holder = holder.number;
    if (const auto set = set_option(plan, options.set)) {
        if (holder.card_of_set(*set) == nullptr) {
            throw Error(ErrorCategory::usage,
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
    pins.read_ahead(plan.card_attest);
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
        throw Error(ErrorCategory::verification,
                    fmt::format("the share derived for holder {} set {} is not the one plan {} "
                                "records as issued (its commitment differs): the plan or the "
                                "cards read are not of this issue. No card was written.",
                                holder.number, slip39::set_letter(spec.set), plan.file.string()));
    }
    CardSession writer(card_session_options(options, pins, journal));
    CardRequest request = request_for(holder, spec);
    request.holder += ", replacement";
    HeldCard held = writer.acquire(request);
    // With [cards] attest the card must prove itself at the next inventory: one
    // that still has the key the plan records for it keeps it; a new card gets one
    // after its share, and a new plan records it. A card with another key is not
    // new: refused before anything is written.
    const std::optional<card::PublicKey> old_key =
        plan.card_attest ? held.store.auth_public_key() : std::nullopt;
    const bool new_key =
        plan.card_attest && !(old_key && old_key->sha256_hex() == spec.auth_key_sha256);
    const std::filesystem::path plan_out =
        options.plan_out.empty() ? replacement_plan_path(plan, holder.number, spec.set)
                                 : std::filesystem::path(options.plan_out);
    if (new_key) {
        if (old_key) {
            throw Error(ErrorCategory::refused,
                        fmt::format("{} holds an authentication key (public key SHA-256 {}) "
                                    "that plan {} does not record for it: it is not a new card. "
                                    "Reset it to its factory state ('gpg --card-edit', admin, "
                                    "factory-reset) or plan another card; nothing was written",
                                    held.store.label(), old_key->sha256_hex(), plan.file.string()));
        }
        refuse_existing(plan_out);  // the plan that will record its key, before the write
    }
    const Secret record = card::encode_share_record(
        mnemonic.text(), fmt::format("set {} share {}", slip39::set_letter(spec.set), spec.index));
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
    std::optional<card::PublicKey> key;
    if (new_key) {
        key =
            held.store.generate_auth_key(pins.admin_pin(spec.serial), false, options.card_last_try);
        journal.record("card-key-generated",
                       {{"holder", std::to_string(holder.number)}, {"card", spec.serial}},
                       {{"key", fmt::format("RSA {}", key->bits())},
                        {"public_key_sha256", key->sha256_hex()}});
        journal.say(fmt::format("    its authentication key: RSA {}, SHA-256 {}\n", key->bits(),
                                key->sha256_hex()));
    }
    pins.set_pins(held.store, holder);
    writer.release(std::move(held));
    std::string plan_line;
    if (key) {
        Plan updated = plan;
        for (CardSpec& c : updated.holders[holder.number - 1].cards) {
            if (c.set == spec.set) {
                c.auth_key_pem = key->pem();
                c.auth_key_sha256 = key->sha256_hex();
            }
        }
        write_issued_plan(updated, plan_out);
        journal.record("plan-written", {{"plan", plan_out.string()}},
                       {{"identifier", std::to_string(*plan.identifier)}, {"kcv", *plan.kcv}},
                       {{"plan", sha256_hex(load_plan(plan_out).text)}});
        plan_line = fmt::format(
            "the card's authentication key is recorded in plan {}: use it "
            "from now on\n",
            plan_out.string());
    }
    result_lines(
        journal,
        fmt::format("holder {} ({}): replacement card {} holds set {} share {} of share "
                    "set {} (KCV {}); bag {}{}\n{}",
                    holder.number, holder.name, spec.serial, slip39::set_letter(spec.set),
                    spec.index, *plan.identifier, *plan.kcv, spec.bag,
                    holder.cards.size() > 1 ? "; the holder's other card(s) are unchanged" : "",
                    plan_line));
    journal.finish();
}

}  // namespace

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
        replace_one_card(plan, holder, options, session, pins, passphrase, journal);
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
