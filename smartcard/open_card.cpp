// An OpenPGP card held open, and how it is let go.

#include "open_card.hpp"

namespace smk::card {

OpenCard::Transaction::Transaction(CardConnection& held) : m_held(held) {
    if (capabilities_from_atr(held.atr()).extended_length) {
        held.allow_long_responses();
    }
    held.begin_transaction();
}

OpenCard::Transaction::~Transaction() {
    m_held.end_transaction();
}

OpenCard::OpenCard(const std::string& reader)
    : connection(context, reader),
      transaction(connection),
      app(connection, connection.atr(), reader) {}

// No PIN session outlives the card's use, also when an operation failed: the
// card forgets every PIN smk sent (VERIFY P1=FF), and a card that answers but
// refuses P1=FF (2.x) is reset on disconnect. No reset after a confirmed P1=FF
// (it would add nothing to the PIN state and would drop the state of every
// other program sharing the card), nor for a card that stopped answering: on
// pcscd's vpcd reader a reset of a card that is gone leaves the reader blind to
// the next card inserted (measured: the card killed as smk disconnected, then
// the next card never seen, 1 run in 20).
OpenCard::~OpenCard() {
    if (app.pin_sent() && app.forget_verified_pins() == OpenPgpApp::Forgotten::refused) {
        connection.reset_on_disconnect();
    }
}

}  // namespace smk::card
