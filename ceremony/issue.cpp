// smk ceremony issue: the SMK is generated in secure memory, split as the plan's
// policy says (by default 2x(5-of-7)), written card by card to the planned cards (each card's
// serial checked against the plan, each record read back), each set verified as a whole from what
// the cards returned, installed into the facility's HSM tokens with the KCV checked inside each
// token, and recorded in a new plan file and the receipt.
//
// Order of checks: the plan and its PIN files, the tokens (module, label, PIN, no
// key of the label yet) and, in batch mode, every planned card (present, PIN,
// room, empty, no key) come before anyone types a passphrase or a new PIN and
// before the key is generated. If a card step fails after some cards were written, those
// cards are wiped again (they hold shares of a key that will never exist).

#include <fmt/core.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "flow_setup.hpp"
#include "holder_pins.hpp"
#include "share_commitment.hpp"
#include "smk/atomic_file.hpp"
#include "smk/card.hpp"
#include "smk/ceremony/split_to_cards.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/fingerprint.hpp"
#include "smk/hsm.hpp"
#include "smk/kcv.hpp"
#include "smk/random.hpp"
#include "smk/sha256.hpp"
#include "smk/share_record.hpp"
#include "smk/slip39.hpp"
#include "tokens.hpp"

namespace smk::ceremony {
namespace {

// Batch mode: every planned card must be in a reader before anything starts.
void check_cards_present(const Plan& plan, Journal& journal) {
    std::set<std::string> present;
    for (const auto& reader : card::list_readers()) {
        if (!reader.card_present) {
            continue;
        }
        try {
            const card::ShareStore store(reader.name);
            present.insert(store.serial());
        } catch (const Error&) {
            // not an OpenPGP card: it cannot be a planned one
        }
    }
    std::string missing;
    for (const auto& h : plan.holders) {
        for (const auto& c : h.cards) {
            if (!present.contains(c.serial)) {
                missing +=
                    fmt::format("\n  card {} (holder {} {}, set {} share {}, bag {})", c.serial,
                                h.number, h.name, slip39::set_letter(c.set), c.index, c.bag);
            }
        }
    }
    if (!missing.empty()) {
        journal.record("cards-missing", {}, {{"result", "planned cards not present"}});
        throw Error(ErrorCategory::device,
                    fmt::format("these planned cards are not in any reader (batch mode needs all "
                                "{}):{}\nNothing was generated or written.",
                                plan.policy.card_count(), missing));
    }
    journal.say(fmt::format("  all {} planned cards are present\n", plan.policy.card_count()));
}

// The ceremony's transcript and paper script, step by step.
class JournalProgress final : public SplitToCardsObserver {
  public:
    JournalProgress(Journal& journal, std::uint16_t identifier, std::string kcv)
        : m_journal(journal), m_identifier(identifier), m_kcv(std::move(kcv)) {}

    void card_written(const CardWritten& card) override {
        const CardRequest& request = card.share->request;
        m_journal.record(
            "card-written",
            {{"holder", m_holders.at(card.share)}, {"card", card.serial}, {"bag", request.bag}},
            {{"set", request.set},
             {"index", std::to_string(request.index)},
             {"identifier", std::to_string(m_identifier)},
             {"read_back", "ok"}});
        m_journal.say(
            fmt::format("  {}: card {} written and read back\n", request.describe(), card.serial));
        if (card.auth_key) {
            m_journal.record("card-key-generated",
                             {{"holder", m_holders.at(card.share)}, {"card", card.serial}},
                             {{"key", fmt::format("RSA {}", card.auth_key->bits())},
                              {"public_key_sha256", card.auth_key->sha256_hex()}});
            m_journal.say(fmt::format("    its authentication key: RSA {}, SHA-256 {}\n",
                                      card.auth_key->bits(), card.auth_key->sha256_hex()));
        }
    }
    void set_verified(unsigned group, const slip39::SetVerification& set) override {
        m_journal.record("set-verified", {{"set", slip39::set_letter(group)}},
                         {{"shares", std::to_string(set.share_count)},
                          {"subsets_checked", std::to_string(set.subsets_checked)},
                          {"kcv", m_kcv}});
    }
    void aborted(const Error& error) override {
        m_journal.record("aborted", {}, {{"error", error.what()}});
        m_journal.say(fmt::format("Issue stopped: {}\n", error.what()));
    }
    void card_wiped(const CardWritten& card) override {
        m_journal.record("card-wiped", {{"card", card.serial}, {"bag", card.share->request.bag}},
                         {{"reason", "issue aborted"}});
    }
    void card_wipe_failed(const CardWritten& card, const Error& error) override {
        m_journal.record("card-wipe-failed", {{"card", card.serial}}, {{"error", error.what()}});
    }
    void holder_of(const CardShare* share, unsigned holder) {
        m_holders[share] = std::to_string(holder);
    }

  private:
    Journal& m_journal;
    std::uint16_t m_identifier;
    std::string m_kcv;
    std::map<const CardShare*, std::string> m_holders;
};

}  // namespace

namespace {

// The card writer's job for every planned card, holder by holder, without the
// split yet; holder_numbers[i] is the holder of job.shares[i].
SplitToCards planned_cards_job(const Plan& plan, HolderPins& pins, bool overwrite,
                               std::vector<unsigned>& holder_numbers) {
    SplitToCards job;
    job.overwrite = overwrite;
    if (plan.card_attest) {
        job.admin_pin = [&pins](const std::string& serial) -> const Secret& {
            return pins.admin_pin(serial);
        };
    }
    job.start_over = "start the ceremony step again";
    job.not_empty =
        "A planned card must be empty: check what it holds ('smk card verify'), then empty "
        "it with 'smk card wipe' or plan another card";
    job.after_interrupt = "Wipe them with 'smk card wipe' before they are handed out.";
    for (const auto& h : plan.holders) {
        for (const auto& c : h.cards) {
            CardShare share;
            share.request = request_for(h, c);
            share.group = c.set;
            share.member = c.index - 1;
            share.record_source = fmt::format("set {} share {}", share.request.set, c.index);
            job.shares.push_back(std::move(share));
            holder_numbers.push_back(h.number);
        }
    }
    return job;
}

}  // namespace

std::vector<std::string> check_planned_cards(const Plan& plan, CardSession& session,
                                             HolderPins& pins, Journal& journal) {
    std::vector<unsigned> holder_numbers;
    const SplitToCards job = planned_cards_job(plan, pins, false, holder_numbers);
    try {
        return check_cards_first(session, job,
                                 card::share_record_size_for_secret(plan.policy.smk_bytes));
    } catch (const Error& error) {
        journal.record("aborted", {}, {{"error", error.what()}});
        throw Error(error.category(),
                    std::string(error.what()) +
                        ". No card was written and no SMK generated; start the ceremony step "
                        "again.");
    }
}

void write_split_to_cards(const Plan& plan, CardSession& session, const slip39::SplitResult& split,
                          const Secret& smk_key, const Secret& passphrase, bool overwrite,
                          HolderPins& pins, Plan& issued, Journal& journal,
                          std::vector<std::string> checked_serials) {
    std::vector<unsigned> holder_numbers;
    SplitToCards job = planned_cards_job(plan, pins, overwrite, holder_numbers);
    job.split = &split;
    job.master = smk_key.bytes();
    job.passphrase = passphrase.bytes();
    job.kcv = kcv_hex(key_check_value(smk_key.bytes()));
    job.checked_serials = std::move(checked_serials);
    JournalProgress progress(journal, split.identifier, job.kcv);
    for (std::size_t i = 0; i < job.shares.size(); ++i) {
        progress.holder_of(&job.shares[i], holder_numbers[i]);
    }
    job.finish_card = [&pins, &plan, &holder_numbers, &job](HeldCard& card,
                                                            const CardShare& share) {
        const auto i = static_cast<std::size_t>(&share - job.shares.data());
        pins.set_pins(card.store, plan.holder(holder_numbers[i]));
    };
    const std::vector<CardWritten> written = write_split_to_cards(session, job, progress);
    for (const CardWritten& card : written) {
        if (!card.auth_key) {
            continue;
        }
        for (auto& h : issued.holders) {
            for (auto& c : h.cards) {
                if (c.serial == card.serial) {
                    c.auth_key_pem = card.auth_key->pem();
                    c.auth_key_sha256 = card.auth_key->sha256_hex();
                }
            }
        }
    }
}

void issue(const CeremonyOptions& options, Output& output) {
    const Plan plan = load_plan(options.plan);
    if (plan.identifier) {
        throw Error(ErrorCategory::refused,
                    fmt::format("plan {} already records share set {} (KCV {}); a plan is issued "
                                "once. To replace the shares use 'smk ceremony reissue "
                                "--new-split'. Nothing was touched.",
                                plan.file.string(), *plan.identifier, *plan.kcv));
    }
    const Facility& facility = plan.facility(options.facility);
    check_token_pin_files(plan, options, facility);
    check_card_pin_files(plan, true);
    check_passphrase_file(plan);
    Journal journal = open_journal(plan, options, "issue", output);
    HolderPins pins(plan, options, journal);
    for (const auto& h : plan.holders) {
        for (const auto& c : h.cards) {
            pins.issue_anew(c.serial);  // every card comes to its issuance new
        }
    }
    journal.say(fmt::format("Issue at {} (plan {})\n", facility.name, plan.file.string()));
    journal.record("start", {{"plan", plan.file.string()}, {"facility", facility.name}},
                   {{"dry_run", options.dry_run ? "yes" : "no"},
                    {"card_pins", std::string(card_pins_name(plan.card_pins))}},
                   {{"plan", sha256_hex(plan.text)}});
    record_participants(plan, options.confirm_participants, journal);

    // 1. Tokens: loaded, logged in, no key of the label yet (and, for a trusted SMK,
    // able to hold one).
    Tokens tokens = open_tokens(plan, facility, options, journal);
    for (auto& t : tokens.open) {
        require_no_key(t, plan.key_label, journal);
        check_smk_trust(t, plan, false, options, journal);
    }
    // 2. Cards: all present (batch), the output plan name free.
    if (!options.plan_out.empty()) {
        refuse_existing(options.plan_out);  // before anything irreversible
    }
    CardSessionOptions card_options = card_session_options(options, pins, journal);
    CardSession session(card_options);
    if (!session.interactive()) {
        check_cards_present(plan, journal);
    }
    if (options.dry_run) {
        journal.result(fmt::format(
            "dry run: plan OK; {} token(s) at {} ready, no key \"{}\" "
            "in them{}; nothing was generated or written",
            tokens.open.size(), facility.name, plan.key_label,
            session.interactive()
                ? ""
                : fmt::format("; all {} planned cards present", plan.policy.card_count())));
        return;
    }
    // Batch mode: every planned card checked as it will be written (serial, PIN,
    // room for its record, empty, no key yet) before anyone types anything.
    std::vector<std::string> checked_serials;
    if (!session.interactive()) {
        checked_serials = check_planned_cards(plan, session, pins, journal);
    }
    // Asked (twice, when typed) before the SMK exists: a typing slip stops here.
    const Secret passphrase = read_passphrase(plan, options, true);
    pins.read_ahead(plan.card_attest);

    // 3. The SMK, in secure memory, and its shares.
    Secret smk_key(plan.policy.smk_bytes);
    system_random().fill(smk_key.bytes());
    const Kcv kcv = key_check_value(smk_key.bytes());
    const std::string kcv_text_hex = kcv_hex(kcv);
    const Fingerprint fingerprint_bytes = key_fingerprint(smk_key.bytes());
    const std::string fingerprint = fingerprint_hex(fingerprint_bytes);
    slip39::SplitResult split = slip39::split(smk_key.bytes(), passphrase.bytes(),
                                              plan.policy.split_params(), system_random());
    journal.record("smk-generated", {},
                   {{"identifier", std::to_string(split.identifier)},
                    {"kcv", kcv_text_hex},
                    {"fingerprint", fingerprint},
                    {"bytes", std::to_string(plan.policy.smk_bytes)},
                    {"sets", plan.policy.describe()},
                    {"passphrase", std::string(passphrase_source_name(plan.policy.passphrase))}});
    journal.say(
        fmt::format("SMK generated: share set {}, KCV {}\n", split.identifier, kcv_text_hex));

    // 4-5. Every planned card (and its authentication key), then each set verified
    // from what the cards returned.
    Plan issued = plan;
    write_split_to_cards(plan, session, split, smk_key, passphrase, false, pins, issued, journal,
                         std::move(checked_serials));

    // 6. Into every token of the facility; the KCV is computed inside each.
    const InstalledKcvs token_kcvs =
        install_in_facility(tokens, plan, facility, smk_key, kcv, journal);

    // 7. The issued plan.
    issued.identifier = split.identifier;
    issued.kcv = kcv_text_hex;
    record_share_commitments(issued, split);
    const std::filesystem::path out = options.plan_out.empty()
                                          ? issued_plan_path(plan, split.identifier)
                                          : std::filesystem::path(options.plan_out);
    write_issued_plan(issued, out);
    journal.record("plan-written", {{"plan", out.string()}},
                   {{"identifier", std::to_string(split.identifier)}, {"kcv", kcv_text_hex}},
                   {{"plan", sha256_hex(load_plan(out).text)}});

    // 8. The receipt.
    std::string receipt = fmt::format(
        "SMK issued at {}\n  share set identifier: {}\n  KCV {}  ({})\n  fingerprint: {}\n"
        "  fingerprint in PGP words: {}\n"
        "  sets: {}{}\n",
        facility.name, split.identifier, kcv_text_hex, pgp_words(kcv), fingerprint,
        pgp_words(fingerprint_bytes), plan.policy.describe(),
        plan.policy.passphrase == PassphraseSource::none ? "" : "; with the passphrase, not shown");
    for (const auto& h : plan.holders) {
        std::string cards;
        for (const CardSpec& c : h.cards) {
            cards += fmt::format("  set {} share {} card {}", slip39::set_letter(c.set), c.index,
                                 c.serial);
        }
        receipt += fmt::format("  holder {} {:<16}{}  bag {}\n", h.number, h.name, cards,
                               h.cards.front().bag);
    }
    for (const auto& [label, token_kcv] : token_kcvs) {
        receipt += fmt::format("  KCV {} {}: {}\n", facility.name, label, token_kcv);
    }
    receipt += fmt::format("  plan with identifier and KCV: {}\n  transcript: {}\n", out.string(),
                           journal.path());
    result_lines(journal, receipt);
    journal.finish();
}

}  // namespace smk::ceremony
