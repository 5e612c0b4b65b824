#pragma once
// What the card flows (issue.cpp, restore.cpp) share: the journal, the card
// session and the one card writer bound to the plan.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smk/ceremony/card_session.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {

class HolderPins;  // holder_pins.hpp

// Error(usage) unless the plan is the one 'smk ceremony issue' wrote (it has the
// [issued] identifier and KCV): restore and backup-keys need the SMK's KCV.
void require_issued(const Plan& plan);

// Reads the PIN file the plan names at `field` ("[cards] pin_file") once and
// forgets it, so that a missing, unreadable or empty file stops a flow (and
// `smk ceremony check`) before anything irreversible, not at the first card.
// Error naming the plan, the field and the file; never the PIN.
void check_pin_file(const Plan& plan, const std::filesystem::path& file, std::string_view field);

// The people in the room as the plan lists them: said, confirmed (`confirm`; not
// asked in a dry run) and recorded ("participants", each as "NAME (ROLE)", and how
// they were confirmed). A plan without [[participants]] is recorded as such.
// Error(refused) when they are not confirmed, Error(usage) when there is no way to
// ask; both before anything is touched.
void record_participants(const Plan& plan, const ConfirmParticipants& confirm, Journal& journal);

// Every token PIN file of `facility` the flow will read, read once before
// anything else happens (no transcript line, no token opened): each token's
// pin_file (unless --token-pin-file) and so_pin_file. The cards' PIN files:
// HolderPins::check_files (holder_pins.hpp).
void check_token_pin_files(const Plan& plan, const CeremonyOptions& options,
                           const Facility& facility);

// The policy's passphrase file (passphrase = "file"), read and checked once before
// anything happens: missing, unreadable, empty or not printable ASCII is an Error
// naming the plan field and the file, never the passphrase.
void check_passphrase_file(const Plan& plan);

// The SLIP-39 passphrase the policy names: empty (none), the first line of its
// file, or options.ask_passphrase (asked twice when `confirm`, at issue).
[[nodiscard]] Secret read_passphrase(const Plan& plan, const CeremonyOptions& options,
                                     bool confirm);

// --set X as a set of the policy (nullopt when not given); Error(usage) naming the
// policy's sets when X is not one of them.
[[nodiscard]] std::optional<unsigned> set_option(const Plan& plan, std::string_view letter);

// The journal of one flow: nothing is written in a dry run.
[[nodiscard]] Journal open_journal(const Plan& plan, const CeremonyOptions& options,
                                   std::string flow, Output& output);

// The card session for a flow: each card's PIN from `pins`, the mode and wait
// from the options; its prompts go to the journal's output.
[[nodiscard]] CardSessionOptions card_session_options(const CeremonyOptions& options,
                                                      HolderPins& pins, const Journal& journal);

// The request for holder h's planned card c: "holder 3 (Name), set A, share 3
// (bag B-0413)", with the planned serial.
[[nodiscard]] CardRequest request_for(const Holder& h, const CardSpec& c);

// Each line of `text` (lines ending in '\n') as a result line.
void result_lines(const Journal& journal, std::string_view text);

// Writes every share of `split` to the planned cards holder by holder with
// the one card writer (split_to_cards.hpp: every card checked first, each
// record read back, each set self-checked, rolled back on failure), recording
// each step in the journal. When the plan attests, each card then generates
// its authentication key (the admin PIN from `pins`), and `issued` (the plan to
// be written) records every card's public key; last, `pins` puts the holder's
// PINs on a card issued anew.
// `checked_serials`: from check_planned_cards() (the cards were checked before
// the split existed); empty: checked here first (batch mode).
void write_split_to_cards(const Plan& plan, CardSession& session, const slip39::SplitResult& split,
                          const Secret& smk_key, const Secret& passphrase, bool overwrite,
                          HolderPins& pins, Plan& issued, Journal& journal,
                          std::vector<std::string> checked_serials = {});

// Batch mode, before the SMK exists (issue): every planned card checked as the
// writer will take it (present with its serial, PIN verified, room for a record
// of the policy's size, empty, no authentication key when the plan attests);
// the serial of each share for write_split_to_cards. A failure is recorded
// ("aborted") and says that nothing was written or generated.
[[nodiscard]] std::vector<std::string> check_planned_cards(const Plan& plan, CardSession& session,
                                                           HolderPins& pins, Journal& journal);

}  // namespace smk::ceremony
