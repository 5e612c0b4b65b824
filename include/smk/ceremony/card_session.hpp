#pragma once
// "A card at the table": the helper every flow that handles shares card by card
// uses (smk split --to-cards, smk combine --from-cards, the ceremony flows).
//
// How to use it:
//
//   CardSessionOptions options;           // PIN source, wait timeout, mode
//   options.read_pin = my_pin_reader;     // the card's PIN: a file, a descriptor, a prompt
//   options.timeout = std::chrono::seconds(300);
//   CardSession session(options);
//   CardRequest request{.holder = "holder 3", .set = "A", .index = 3,
//                       .expected_serial = "FFFF:5AC00002", .bag = "B-0413"};
//   HeldCard card = session.acquire(request);   // prompts/waits, checks, VERIFYs the PIN
//   card.store.write_record(...);               // or read_share(), wipe(), ...
//   session.release(std::move(card));           // "Remove the card ...", waits (interactive)
//
// Modes (CardSessionOptions::mode):
// - interactive (the default when stdin is a terminal, or forced): acquire()
//   says "Insert the card of holder 3, set A, share 3 (bag B-0413)" and waits
//   for a card in any reader (card::wait_for_card, up to `timeout`; then
//   Error(device)). release() says "Remove the card ..." and waits for it to go.
// - batch (stdin is not a terminal: rehearsals, tests): acquire() takes the card
//   with the expected serial among the cards present, or without one the next
//   present card (reader order) not used yet in this session; release() only
//   closes the card. next_card() returns nullopt when no such card is left.
//
// Rules: a card serial is "used" once acquire() handed it out; a second
// acquire() of the same serial is Error(refused) naming the card, what it was
// used for and what was asked. A card whose serial differs from
// expected_serial is Error(refused) naming both. The PIN is read per card with
// options.read_pin(card), once the card's serial is known (the CLI's reader for
// split/combine: --pin-file, --pin-fd or a prompt naming the card; the ceremony's:
// the PIN of the card's holder, ceremony/card_pins.hpp) and VERIFYed once, never
// retried (ShareStore::verify_pin).
//
// Interrupts: a flow that runs in an InterruptScope (smk/interrupt.hpp) is not
// held up by the waits: acquire() and release() look at the interrupt flag
// every half second while they wait for a card and throw Error(interrupted)
// saying what they were waiting for. Outside a scope nothing changes.
//
// Messages for the operator (prompts, notes) go to `say` (stderr by default).
// Nothing secret ever passes through this class except the PIN, which stays
// in a Secret.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "smk/card.hpp"
#include "smk/secret.hpp"

namespace smk::ceremony {

// The PIN of `holder` ("card FFFF:0000001A in ...", "token \"smk-rksh-3\""),
// from wherever the caller takes PINs (a file, a descriptor, a prompt).
using PinReader = std::function<Secret(std::string_view holder)>;
// The current user PIN of `card` (open, its serial known, no PIN sent yet). An
// empty PIN: the card is handed out without a VERIFY, for a flow that will pass
// it over without reading it (the ceremony's card of a holder taking no part).
using CardPinReader = std::function<Secret(card::ShareStore& card)>;

enum class CardMode {
    automatic,    // interactive if stdin is a terminal, batch otherwise
    interactive,  // prompt and wait for each card
    batch,        // take the cards that are present, never wait
};

struct CardSessionOptions {
    CardPinReader read_pin;  // required
    bool last_try = false;   // VERIFY even when one PIN try is left
    std::chrono::milliseconds timeout = std::chrono::minutes(10);  // each wait for a card
    CardMode mode = CardMode::automatic;
    // Where prompts and notes go; default: stderr.
    std::function<void(std::string_view)> say;
};

// What the operator is asked for. Every field is optional: an empty request
// (as combine --from-cards makes) asks for "the next card".
struct CardRequest {
    std::string holder;                          // "holder 3" or a name from the plan
    std::string set;                             // "A", "B", ...
    unsigned index = 0;                          // share index, 1-based; 0: not known
    std::optional<std::string> expected_serial;  // "FFFF:5AC00002" as ShareStore::serial()
    std::string bag;                             // tamper-evident bag serial

    // "holder 3, set A, share 3 (bag B-0413)", or "the next card".
    [[nodiscard]] std::string describe() const;
};

// A card acquired for a request: open, in its PC/SC transaction, PIN verified.
struct HeldCard {
    card::ShareStore store;
    std::string reader;
    CardRequest request;
};

class CardSession final {
  public:
    explicit CardSession(CardSessionOptions options);

    [[nodiscard]] bool interactive() const noexcept { return m_interactive; }
    [[nodiscard]] const CardSessionOptions& options() const noexcept { return m_options; }

    // The card for `request`, PIN verified. Interactive: waits (Error(device)
    // after the timeout). Batch: Error(device) naming the request when no card
    // fits (next_card() tells that case apart).
    [[nodiscard]] HeldCard acquire(const CardRequest& request);

    // As acquire(), but in batch mode nullopt when no present card is left that
    // was not used or tried in this session (for loops such as combine).
    [[nodiscard]] std::optional<HeldCard> next_card(const CardRequest& request);

    // Closes the card; interactive: asks for its removal and waits for it
    // (Error(device) after the timeout).
    void release(HeldCard&& card);
    // The same for a reader whose card was refused or could not be opened.
    void release_reader(const std::string& reader, std::string_view why);

    // The reader of the card the last acquire()/next_card() looked at (also when
    // opening it failed), for release_reader() after an error; empty when that
    // call failed before any card (pcscd, timeout).
    [[nodiscard]] const std::string& last_reader() const noexcept { return m_last_reader; }

    // Card serial -> what it was used for, in this session.
    [[nodiscard]] const std::map<std::string, std::string>& used() const noexcept { return m_used; }

    void say(std::string_view text) const;

  private:
    [[nodiscard]] std::optional<HeldCard> take_batch(const CardRequest& request);
    // " (in \"READER\")": where a serial was first seen in this session, or "".
    [[nodiscard]] std::string first_reader_text(const std::string& serial) const;
    [[nodiscard]] HeldCard take_interactive(const CardRequest& request);
    // Checks the serial against the request and the session, verifies the PIN.
    [[nodiscard]] HeldCard claim(card::ShareStore store, const std::string& reader,
                                 const CardRequest& request);

    CardSessionOptions m_options;
    bool m_interactive = false;
    std::map<std::string, std::string> m_used;  // serial -> request description
    std::set<std::string> m_tried_readers;      // batch: readers already looked at
    std::string m_last_reader;
    std::map<std::string, std::string> m_reader_serials;  // batch: reader -> serial seen there
    std::vector<std::string> m_present_used;              // batch: used serials seen last call
};

}  // namespace smk::ceremony
