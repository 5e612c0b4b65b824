// smk ceremony restore (phase 2 at the second facility): cards are read one
// after another until the policy's quorum is there (group_threshold sets, each
// with its threshold of shares; the KMP's: 5 of one set), each checked against
// the plan before its share is used (quorum.hpp). The SMK recovered must have the
// plan's KCV; then it is installed into the facility's tokens (KCV checked inside
// each token) and the facility's application-key backup is unwrapped under it. Any
// mismatch stops the flow before a token is touched.

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <vector>

#include "application_backup.hpp"
#include "flow_setup.hpp"
#include "holder_pins.hpp"
#include "quorum.hpp"
#include "remote_shares.hpp"
#include "smk/error.hpp"
#include "smk/hsm.hpp"
#include "smk/kcv.hpp"
#include "smk/sha256.hpp"
#include "smk/slip39.hpp"
#include "tokens.hpp"

namespace smk::ceremony {

void restore(const CeremonyOptions& options, Output& output) {
    const Plan plan = load_plan(options.plan);
    require_issued(plan);
    const Facility& facility = plan.facility(options.facility);
    check_token_pin_files(plan, options, facility);
    check_card_pin_files(plan, false);
    check_passphrase_file(plan);
    check_remote_holders(plan, options);
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
                    {"dry_run", options.dry_run ? "yes" : "no"},
                    {"remote_holders", std::to_string(options.remote_holders.size())}},
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
            "application backup {}; no card was read{}",
            tokens.open.size(), facility.name, missing, missing == 0 ? " (no card is needed)" : "",
            backup ? backup->file.string() + " checked (" + std::to_string(backup->keys.size()) +
                         " key(s))"
                   : std::string("none planned"),
            options.remote_holders.empty()
                ? std::string()
                : fmt::format("; {} remote holder(s) would seal their shares to the context \"{}\"",
                              options.remote_holders.size(),
                              transport_context(plan, facility, options))));
        return;
    }
    std::optional<Quorum> quorum;
    if (missing > 0) {
        const Secret passphrase = read_passphrase(plan, options, false);
        QuorumWanted wanted;
        wanted.only_set = only_set;
        Quorum received;
        if (!options.remote_holders.empty()) {
            receive_sealed_shares(plan, facility, options, wanted, received, journal);
        }
        if (have_quorum(plan, received, wanted)) {
            quorum = std::move(received);  // no card needed: no PC/SC session opened
        } else {
            HolderPins pins(plan, options, journal);
            CardSession session(card_session_options(options, pins, journal));
            quorum = gather_quorum(plan, session, journal, wanted, std::move(received));
        }
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
        std::string from;
        for (const auto& c : quorum->cards) {
            from += (from.empty() ? "cards " : " ") + c;
        }
        for (std::size_t i = 0; i < quorum->remote.size(); ++i) {
            const char* sealed = quorum->remote.size() == 1 ? "sealed share of holder "
                                                            : "sealed shares of holders ";
            from += (i == 0 ? (from.empty() ? "" : "; ") + std::string(sealed) : " ") +
                    std::to_string(quorum->remote[i]);
        }
        first = fmt::format("SMK restored at {} from {} ({})\n", facility.name, quorum->sets_text(),
                            from);
    } else {
        first = fmt::format("SMK already in every token at {}: no card was read\n", facility.name);
    }
    result_lines(journal, first + lines);
    journal.finish();
}

}  // namespace smk::ceremony
