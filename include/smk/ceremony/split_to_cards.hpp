#pragma once
// One way to put a split on cards, for `smk split --to-cards` and the ceremony
// flows (issue, reissue --new-split):
//
// 1. Before anything is written (batch mode: the cards are in the readers):
//    every card needed is acquired once as the flow will acquire it (present,
//    serial as planned, never twice, PIN verified), able to hold its record and,
//    without `overwrite`, empty. One card missing or unfit: Error, no card written.
//    (Interactive mode cannot see the cards ahead; each is checked as it comes.)
// 2. Card by card: the record is written, read back and compared with the share;
//    with an admin PIN, the card then generates its authentication key, and
//    finish_card() has the last word (the ceremony's holder PINs).
// 3. Each set as read back from its cards passes slip39::self_check.
// A failure after a card was written rolls back: every card written is wiped
// again (asking for it anew in interactive mode), and the Error says which
// cards were wiped and which could not be. An interrupt (Ctrl-C, SIGTERM;
// smk/interrupt.hpp) stops between cards and wipes nothing: the operator asked
// to stop now, and the Error lists the cards that hold a share of the
// unfinished split.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "smk/ceremony/card_session.hpp"
#include "smk/error.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {

// One share and who receives it.
struct CardShare {
    CardRequest request;        // holder, set, index, the planned serial and bag if any
    unsigned group = 0;         // 0-based
    std::size_t member = 0;     // 0-based
    std::string record_source;  // the source text stored in the record
};

struct CardWritten {
    const CardShare* share = nullptr;
    std::string serial;
    std::string label;
    std::optional<card::PublicKey> auth_key;  // generated after the share (job.admin_pin)
};

// What the writer reports as it goes (the ceremony records it in its transcript).
class SplitToCardsObserver {
  public:
    SplitToCardsObserver() = default;
    SplitToCardsObserver(const SplitToCardsObserver&) = delete;
    SplitToCardsObserver& operator=(const SplitToCardsObserver&) = delete;
    virtual ~SplitToCardsObserver() = default;

    virtual void card_written(const CardWritten& /*card*/) {}
    virtual void set_verified(unsigned /*group*/, const slip39::SetVerification& /*set*/) {}
    virtual void aborted(const Error& /*error*/) {}
    virtual void card_wiped(const CardWritten& /*card*/) {}
    virtual void card_wipe_failed(const CardWritten& /*card*/, const Error& /*error*/) {}
};

struct SplitToCards {
    const slip39::SplitResult* split = nullptr;
    std::span<const std::uint8_t> master;      // the SMK the shares must give
    std::span<const std::uint8_t> passphrase;  // may be empty
    std::string kcv;                           // of the SMK, for messages
    std::vector<CardShare> shares;             // in the order they are written
    bool overwrite = false;  // replaces shares, and authentication keys when generating
    // Set: after its share, each card generates its authentication key
    // (card::ShareStore::generate_auth_key) with the admin PIN this gives for the
    // card's serial. The check before anything is written then also refuses a
    // card that holds a key already, unless `overwrite`.
    std::function<const Secret&(const std::string& serial)> admin_pin;
    // Set: called last for each card while it is held, after card_written (the
    // ceremony puts its holder's PINs on it there). What it throws stops the job
    // as any failure does.
    std::function<void(HeldCard& card, const CardShare& share)> finish_card;
    // Added to errors: how to start over (e.g. "run 'smk split --to-cards' again
    // (a new split)"), and, after an interrupt, what to do with the cards that
    // hold shares of the unfinished split.
    std::string start_over;
    std::string after_interrupt;
    // Added when a card is not empty (without overwrite), e.g. "To replace it,
    // run again with --overwrite".
    std::string not_empty;
    // Set: step 1 was done before (check_cards_first, when the flow checks its
    // cards before the split exists), the serial each share goes to.
    std::vector<std::string> checked_serials;
};

// Step 1 alone (batch mode), for a flow that checks its cards before it has the
// split (the ceremony's issue, before the SMK exists): `job` without `split`
// (only its shares, overwrite, admin_pin and not_empty are used), each record of
// `record_size` bytes (share_record_size_for_secret). Returns the serial each
// share will go to, for job.checked_serials. Errors as write_split_to_cards' step 1,
// without the note on what became of the cards (none was written).
[[nodiscard]] std::vector<std::string> check_cards_first(const CardSession& session,
                                                         const SplitToCards& job,
                                                         std::size_t record_size);

// Writes, reads back and checks every share (see above); returns the cards
// written, in order. Errors keep their category; their text ends with what
// became of the cards.
[[nodiscard]] std::vector<CardWritten> write_split_to_cards(CardSession& session,
                                                            const SplitToCards& job,
                                                            SplitToCardsObserver& observer);

// "set A #1" for group 0, member 0.
[[nodiscard]] std::string share_name(unsigned group, std::size_t member);

}  // namespace smk::ceremony
