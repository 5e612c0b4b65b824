#pragma once
// `smk combine --from-cards`: the shares from the cards of a card session, one
// card after another, until the shares read make a quorum of one split.

#include <vector>

#include "smk/ceremony/card_session.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {

// Reads card after card (session.next_card) until the shares read are a quorum.
// A card that cannot contribute (not an OpenPGP card, empty, garbage, a share of
// another split, the same share twice, a PIN typed wrong) is named on the
// session's `say` and skipped. Errors before any card was looked at (pcscd, no
// card in time) stop, and so does a wrong PIN when `pin_from_file` (it would be
// wrong for every card). Error(insufficient) naming what was read and skipped
// when the cards present are not enough.
[[nodiscard]] std::vector<slip39::NamedMnemonic> read_cards_until_quorum(CardSession& session,
                                                                         bool pin_from_file);

}  // namespace smk::ceremony
