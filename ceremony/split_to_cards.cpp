// One way to put a split on cards: check every card first, write and read back
// each, self-check the sets as read back, roll back on failure.

#include "smk/ceremony/split_to_cards.hpp"

#include <fmt/core.h>

#include <optional>
#include <utility>

#include "smk/interrupt.hpp"
#include "smk/share_record.hpp"

namespace smk::ceremony {
namespace {

// The share read back from a card is exactly the one written, and says so itself.
void check_read_back(const card::StoredShare& stored, const std::string& label,
                     std::uint16_t identifier, const CardShare& share, const Secret& mnemonic) {
    if (!stored.record) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} reads back {} instead of {}: {}", label,
                                stored.state == card::StoredState::empty ? "nothing" : "garbage",
                                share_name(share.group, share.member), stored.problem));
    }
    const auto& info = stored.record->info;
    if (info.identifier != identifier || info.group_index != share.group ||
        info.member_index != share.member ||
        !constant_time_equal(stored.record->mnemonic.bytes(), mnemonic.bytes())) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} reads back set {} #{} of identifier {} instead of {} of "
                                "identifier {}; the card is not trustworthy: use another card",
                                label, slip39::group_name(info.group_index).substr(4),
                                info.member_index + 1, info.identifier,
                                share_name(share.group, share.member), identifier));
    }
}

// What a card holds, as write_record() words it when it refuses.
std::string holding(const card::StoredShare& stored) {
    if (stored.state == card::StoredState::valid && stored.record) {
        return fmt::format("a share record ({} #{}, identifier {})",
                           slip39::group_name(stored.record->info.group_index),
                           stored.record->info.member_index + 1, stored.record->info.identifier);
    }
    return fmt::format("{} bytes that are not a valid share record", stored.bytes);
}

// Batch mode, before anything is written: every card the job needs is there,
// taken as the write will take it, fit for its record and (unless overwrite)
// empty. Returns the serial each share will go to.
std::vector<std::string> check_each_card(const CardSession& session, const SplitToCards& job,
                                         const std::vector<std::size_t>& record_sizes) {
    CardSession probe(session.options());
    std::vector<std::string> serials;
    for (std::size_t i = 0; i < job.shares.size(); ++i) {
        const CardShare& share = job.shares[i];
        HeldCard held = probe.acquire(share.request);
        held.store.require_capacity(record_sizes[i]);
        if (!job.overwrite) {
            const card::StoredShare stored = held.store.read_share();
            if (stored.state != card::StoredState::empty) {
                throw Error(ErrorCategory::refused,
                            fmt::format("{} (for {}) already holds {} in DO 0103; nothing was "
                                        "written. {}",
                                        held.store.label(), share.request.describe(),
                                        holding(stored), job.not_empty));
            }
        }
        if (job.admin_pin && !job.overwrite) {
            if (const auto key = held.store.auth_public_key()) {
                throw Error(
                    ErrorCategory::refused,
                    fmt::format("{} (for {}) already holds an authentication key (public "
                                "key SHA-256 {}); nothing was written. A card must come "
                                "to its issuance without a key, or its key proves nothing "
                                "about this issuance: reset it to its factory state ('gpg "
                                "--card-edit', admin, factory-reset) or plan another card",
                                held.store.label(), share.request.describe(), key->sha256_hex()));
            }
        }
        serials.push_back(held.store.serial());
        probe.release(std::move(held));
    }
    return serials;
}

std::string card_line(const CardWritten& card) {
    return fmt::format("\n  card {}: {}", card.serial,
                       share_name(card.share->group, card.share->member));
}

// Wipes the cards written, asking for each again; the lines say how it went.
std::string roll_back(const CardSession& session, const std::vector<CardWritten>& written,
                      SplitToCardsObserver& observer, bool& all_wiped) {
    session.say(
        fmt::format("Rolling back: wiping the {} card(s) written so far\n", written.size()));
    CardSession again(session.options());
    std::string lines;
    all_wiped = true;
    for (const auto& card : written) {
        try {
            CardRequest request = card.share->request;
            request.expected_serial = card.serial;
            HeldCard held = again.acquire(request);
            held.store.wipe();
            again.release(std::move(held));
            observer.card_wiped(card);
            session.say(fmt::format("  wiped card {}\n", card.serial));
            lines += card_line(card) + " wiped";
        } catch (const Error& e) {
            all_wiped = false;
            observer.card_wipe_failed(card, e);
            session.say(
                fmt::format("  could NOT wipe card {}: {}\n  Wipe it with 'smk card "
                            "wipe' before it is handed out.\n",
                            card.serial, e.what()));
            lines += card_line(card) + fmt::format(
                                           " could NOT be wiped ({}): wipe it with 'smk card wipe' "
                                           "before it is handed out",
                                           e.what());
        }
    }
    return lines;
}

// The error text after a failure: what became of the cards.
std::string failure_note(const CardSession& session, const SplitToCards& job,
                         const std::vector<CardWritten>& written, const Error& error,
                         SplitToCardsObserver& observer) {
    if (written.empty()) {
        return " No card was written; " + job.start_over + ".";
    }
    const std::string incomplete = fmt::format(
        " The split (identifier {}) is NOT complete and must not be used.", job.split->identifier);
    if (error.category() == ErrorCategory::interrupted) {
        std::string text = incomplete + " These cards already hold one of its shares:";
        for (const auto& card : written) {
            text += card_line(card);
        }
        return text + "\n" + job.after_interrupt;
    }
    bool all_wiped = true;
    const std::string lines = roll_back(session, written, observer, all_wiped);
    return incomplete + " The cards written were wiped again:" + lines + "\n" +
           (all_wiped ? "Every card is empty again; " + job.start_over + "."
                      : "Wipe the cards named above, then " + job.start_over + ".");
}

}  // namespace

std::vector<std::string> check_cards_first(const CardSession& session, const SplitToCards& job,
                                           std::size_t record_size) {
    return check_each_card(session, job, std::vector<std::size_t>(job.shares.size(), record_size));
}

std::string share_name(unsigned group, std::size_t member) {
    return fmt::format("{} #{}", slip39::group_name(group), member + 1);
}

std::vector<CardWritten> write_split_to_cards(CardSession& session, const SplitToCards& job,
                                              SplitToCardsObserver& observer) {
    const slip39::SplitResult& split = *job.split;
    std::vector<Secret> records;
    for (const auto& share : job.shares) {
        records.push_back(card::encode_share_record(
            split.mnemonics[share.group][share.member].text(), share.record_source));
    }
    std::vector<CardWritten> written;
    try {
        std::vector<std::string> planned = job.checked_serials;
        if (planned.empty() && !session.interactive()) {
            std::vector<std::size_t> sizes;
            for (const Secret& record : records) {
                sizes.push_back(record.size());
            }
            planned = check_each_card(session, job, sizes);
        }
        std::vector<std::vector<slip39::NamedMnemonic>> read_back(split.mnemonics.size());
        for (std::size_t i = 0; i < job.shares.size(); ++i) {
            const CardShare& share = job.shares[i];
            const Secret& mnemonic = split.mnemonics[share.group][share.member];
            throw_if_interrupted(
                fmt::format("stopped before the card of {}", share.request.describe()));
            HeldCard held = session.acquire(share.request);
            if (!planned.empty() && held.store.serial() != planned[i]) {
                throw Error(ErrorCategory::refused,
                            fmt::format("{} is offered for {}, but card {} was checked for it a "
                                        "moment ago; the cards changed while smk was working: "
                                        "leave them in their readers",
                                        held.store.label(), share.request.describe(), planned[i]));
            }
            held.store.require_capacity(records[i].size());
            held.store.write_record(records[i].bytes(), job.overwrite);  // reads back, compares
            written.push_back({&share, held.store.serial(), held.store.label(), std::nullopt});
            const card::StoredShare stored = held.store.read_share();
            check_read_back(stored, held.store.label(), split.identifier, share, mnemonic);
            read_back[share.group].push_back({fmt::format("card {} ({})", held.store.serial(),
                                                          share_name(share.group, share.member)),
                                              Secret::copy_of(stored.record->mnemonic.bytes())});
            if (job.admin_pin) {
                written.back().auth_key = held.store.generate_auth_key(
                    job.admin_pin(held.store.serial()), job.overwrite, session.options().last_try);
            }
            observer.card_written(written.back());
            if (job.finish_card) {
                job.finish_card(held, share);
            }
            session.release(std::move(held));
        }
        // Each set as read back from its cards gives the SMK (or all together do).
        const slip39::SelfCheck checked = slip39::self_check(read_back, job.master, job.passphrase);
        if (!checked.gives_secret) {
            throw Error(ErrorCategory::verification,
                        checked.per_set
                            ? fmt::format("{} as read back from its cards does not recombine to "
                                          "the SMK (KCV {}); do not use these cards",
                                          slip39::group_name(checked.failed_group), job.kcv)
                            : fmt::format("the shares read back from the cards do not recombine "
                                          "to the SMK (KCV {}); do not use these cards",
                                          job.kcv));
        }
        for (unsigned g = 0; g < checked.sets.size(); ++g) {
            observer.set_verified(g, checked.sets[g]);
        }
    } catch (const Error& error) {
        observer.aborted(error);
        throw Error(error.category(), std::string(error.what()) + "." +
                                          failure_note(session, job, written, error, observer));
    }
    return written;
}

}  // namespace smk::ceremony
