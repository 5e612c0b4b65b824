#pragma once
// Remote holders in a restore (issue 15, docs/TRANSPORT.md): a holder who cannot
// come to the facility seals their share on their own machine (`smk transport
// seal`) to a key that exists only inside this restore. The facility makes the
// key, shows it (words, a terminal QR code, the fingerprint to read aloud on the
// call), opens each sealed share in guarded memory and counts it exactly like a
// card's share: the same plan checks, the same refusals. The private key never
// leaves the process and is gone when receive_sealed_shares returns.

#include <string>

#include "quorum.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"

namespace smk::ceremony {

// The remote holders named (options.remote_holders), before anything is touched:
// each a holder of the plan, named once, so never more sealed shares than holders;
// a way to read them; the key's files new. Error(usage) naming the fault
// (Error(refused) for a key file that exists).
void check_remote_holders(const Plan& plan, const CeremonyOptions& options);

// The ceremony context each sealed share binds: options.transport_context, else
// "smk restore of share set N at FACILITY".
[[nodiscard]] std::string transport_context(const Plan& plan, const Facility& facility,
                                            const CeremonyOptions& options);

// Makes this restore's facility key and shows it; reads, opens and checks each
// remote holder's sealed share and counts it in `quorum` (recorded with the
// holder, who presented it, the sealed bytes' SHA-256 and remote=yes). A share
// that does not read or open, binds another key, context or share set, repeats a
// member index, or is not the holder's planned share stops the flow: Error naming
// the holder's sealed share.
void receive_sealed_shares(const Plan& plan, const Facility& facility,
                           const CeremonyOptions& options, const QuorumWanted& wanted,
                           Quorum& quorum, Journal& journal);

}  // namespace smk::ceremony
