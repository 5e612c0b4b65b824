#pragma once
// Whose PIN each card gets in a ceremony flow (docs/CEREMONY.md "Card PINs").
//
// - A card's user PIN (PW1) is its holder's: [[holders]] pin_file, else the
//   holder types it (once per flow; their second card takes the same). Never one
//   PIN for every card.
// - The admin PIN (PW3) is the custodian's: [cards] admin_pin_file, else typed.
// - Under [cards] pins = "set-at-issuance" a card the flow issues anew (every card
//   at issue, the replacement card at reissue) comes with the factory PINs: the
//   flow verifies those, and once the card holds its share (and key) set_pins()
//   puts the holder's PIN and the custodian's admin PIN in their place (CHANGE
//   REFERENCE DATA, the new PIN verified). The new PINs are chosen before the SMK
//   exists (read_ahead(): files checked against the rules, or each holder typing
//   theirs twice), so that a slip stops the flow before anything is written.
// - Under "prepared" a factory PIN from a holder's or the custodian's source is
//   refused before it is sent; under "set-later" it is taken as it is.
//
// The PINs live in Secrets held here for the flow, and are never in a message.

#include <map>
#include <optional>
#include <set>
#include <string>

#include "smk/card.hpp"
#include "smk/ceremony/card_session.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/secret.hpp"

namespace smk::ceremony {

// Every PIN file of the cards a flow reads, read once before anything else
// happens (no transcript line, no card touched), and, when `issuing` under
// set-at-issuance, checked against the rules of a new PIN (prepared: refused when
// it is a factory PIN). Error naming the plan field and the file, never the PIN.
void check_card_pin_files(const Plan& plan, bool issuing);

class HolderPins final {
  public:
    // `plan`, `options` and `journal` must outlive this object.
    HolderPins(const Plan& plan, const CeremonyOptions& options, Journal& journal);

    // Cards the flow issues from blank (set-at-issuance only; otherwise ignored):
    // they are verified with the factory PINs until set_pins() changed them. One
    // that still has the authentication key the plan records for it was issued
    // before (and wiped since): it keeps its holder's PINs.
    void issue_anew(const std::string& serial);
    // Before the SMK exists, so that a slip stops the flow before anything is
    // written: the PIN of each holder of a card issued anew and the custodian's
    // admin PIN, as set_pins() will set them (chosen: the files checked against
    // the rules, or typed twice), and, when `generating_keys` needs it, the admin
    // PIN the cards hold now.
    void read_ahead(bool generating_keys);

    // Holder `number` takes no part in what follows (the quorum of a reissue for
    // them; 0: everyone does): their cards are handed out with no PIN sent, to be
    // passed over unread.
    void take_no_part(unsigned number) noexcept { m_not_taking_part = number; }

    // The card session's reader: the PIN the card holds now.
    [[nodiscard]] CardPinReader reader();
    // The admin PIN card `serial` holds now (to generate its key).
    [[nodiscard]] const Secret& admin_pin(const std::string& serial);
    // Set-at-issuance, a card issued anew: the holder's PIN and the custodian's
    // admin PIN replace the factory ones, recorded ("card-pins-set"). Otherwise
    // nothing is changed.
    void set_pins(card::ShareStore& card, const Holder& holder);

  private:
    // The card's holder; a card not in the plan is refused (recorded).
    [[nodiscard]] const Holder& holder_of(const card::ShareStore& card);
    [[nodiscard]] const Secret& holder_pin(const Holder& holder, std::string_view card_label,
                                           bool choosing);
    [[nodiscard]] Secret ask_chosen_pin(const Holder& holder) const;
    [[nodiscard]] Secret ask_current_pin(const Holder& holder, std::string_view card_label) const;
    [[nodiscard]] const Secret& custodian_pin();
    void choose_custodian_pin();
    [[nodiscard]] bool setting_pins() const noexcept;
    [[nodiscard]] std::string custodian() const;

    const Plan& m_plan;
    const CeremonyOptions& m_options;
    Journal& m_journal;
    std::map<unsigned, Secret> m_holder_pins;  // holder number -> their PIN
    std::optional<Secret> m_custodian_pin;
    std::set<std::string> m_anew;       // serials still with their factory PINs
    std::set<std::string> m_announced;  // serials whose factory PIN was said
    unsigned m_not_taking_part = 0;
    Secret m_factory_user;
    Secret m_factory_admin;
};

}  // namespace smk::ceremony
