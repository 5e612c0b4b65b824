#pragma once
// One OpenPGP card held open for an operation: a PC/SC context, a shared
// connection, a transaction held from construction to destruction, and the
// selected application. The share store (share_store.cpp) and the
// authentication key (attest.cpp) are both built on it, so both leave the card
// the same way: no PIN verified behind them (smartcard/open_card.cpp).

#include <string>

#include "openpgp.hpp"
#include "pcsc.hpp"

namespace smk::card {

struct OpenCard {
    // Error(device) for no card, not an OpenPGP card, pcscd or reader trouble.
    explicit OpenCard(const std::string& reader);
    ~OpenCard();
    OpenCard(const OpenCard&) = delete;
    OpenCard& operator=(const OpenCard&) = delete;

    // Holds the PC/SC transaction for as long as the card is open.
    struct Transaction {
        explicit Transaction(CardConnection& held);
        ~Transaction();
        Transaction(const Transaction&) = delete;
        Transaction& operator=(const Transaction&) = delete;
        CardConnection& m_held;
    };

    PcscContext context;
    CardConnection connection;
    Transaction transaction;
    OpenPgpApp app;
};

}  // namespace smk::card
