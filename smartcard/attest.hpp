#pragma once
// The attestation steps on a card that is already open (smartcard/attest.cpp).
// AuthKeyCard (smk/card.hpp) is built on them; so can be any other holder of
// an open OpenPgpApp, e.g. the share store of a ceremony's held card: a PC/SC
// transaction is held per connection, so opening an AuthKeyCard on a reader
// whose ShareStore is still open would wait for it forever.

#include <optional>
#include <string_view>

#include "openpgp.hpp"
#include "smk/card.hpp"
#include "smk/secret.hpp"

namespace smk::card {

// The authentication public key (read mode, no PIN), nullopt when there is none.
[[nodiscard]] std::optional<PublicKey> auth_public_key(OpenPgpApp& app);

// AuthKeyCard::generate on `app`. The PINs it sends are forgotten when the
// card is let go (OpenCard, smartcard/open_card.hpp).
[[nodiscard]] PublicKey generate_auth_key(OpenPgpApp& app, const Secret& admin_pin, bool overwrite,
                                          bool allow_last_try);

// The first half of AuthKeyCard::attest: the message and the card's current key;
// Error(device) when the card has none (before any PIN is tried).
[[nodiscard]] Attestation attestation_request(OpenPgpApp& app, std::string_view context,
                                              const Challenge& challenge);
// The second half, once PW1 is verified in mode 82: INTERNAL AUTHENTICATE of
// DigestInfo(SHA-256(message)) fills in the signature.
void answer_attestation(OpenPgpApp& app, Attestation& request);

}  // namespace smk::card
