#pragma once
// The ceremony flows of smk_ceremony. Each takes its options and an Output
// (smk/ceremony/journal.hpp) for the operator's words; nothing goes to stdout
// directly, so tests run them in-process. `smk ceremony` (cli/ceremony.cpp)
// maps its options to these calls.
//
// Each flow loads and validates the plan, checks the hardware in front of it
// against the plan before anything irreversible, records every step in the
// transcript (never a secret), and gives one result line per item for the
// paper script.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "smk/ceremony/card_session.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/transport.hpp"

namespace smk::ceremony {

// smk ceremony check: loads and validates the plan; one result line per
// facility, holder, drive and the issued share set.
void check_plan(const std::filesystem::path& plan, Output& output);

// Asks whether the people named in `participants` (one per line, "NAME, ROLE") are
// the ones present. Returns how they were confirmed ("typed yes at the prompt",
// "--confirm-participants"), or "" when they were not: the flow then stops before
// it touches anything. Only asked when the plan lists [[participants]].
using ConfirmParticipants = std::function<std::string(std::string_view participants)>;

// A drive whose USB serial differs from the plan's only in look-alike characters
// (O for 0 on the paper): with `allowed` (--look-alike-override) the Ceremony
// Administrator compares the drive by eye and types the serial they read there
// (`ask`, given the question); if it is exactly the drive's, the flow goes on and
// the decision is recorded as an exception. Anything else stays a mismatch.
struct LookAlikeOverride {
    bool allowed = false;
    std::function<std::string(std::string_view question)> ask;
};

struct BackupCopiesOptions {
    std::filesystem::path plan;
    std::string transcript;  // overrides the plan's
    bool dry_run = false;    // check the drives and read the source; write nothing
    bool no_eject = false;   // leave the drives mounted
    ConfirmParticipants confirm_participants;
    LookAlikeOverride look_alike;
    // --one-at-a-time: one drive plugged in at a time, each bagged before the next
    // (every planned drive needs a bag; not with no_eject).
    bool one_at_a_time = false;
    // One at a time: asks the operator to plug in and mount the drive the request
    // names, and returns once they say it is mounted (the CLI: Enter at the terminal).
    std::function<void(std::string_view request)> plug_in;
    // One at a time: the serial the operator reads on the bag the ejected drive goes
    // into (the CLI: a line typed at the terminal).
    std::function<std::string(std::string_view question)> read_bag;
};

// smk ceremony backup-copies: every planned drive's USB serial is checked before
// anything is written; then the Master Backup Copy is copied, verified from the
// device and ejected, then the Operative Backup Copies in one pass. With
// one_at_a_time, each drive in turn (the Master first) is plugged in, checked,
// copied, verified from the device, ejected and its bag serial compared with the
// plan's. Every copy is also checked against each `*.sha256sum` of the backup tree
// (checked on the source first). One result line per drive; a transcript line per
// check, copy, verification, eject and bag; the tree digest in hex and PGP words.
void backup_copies(const BackupCopiesOptions& options, Output& output);

// restore with remote holders (docs/TRANSPORT.md): what the facility asks for each
// remote holder's sealed share, once its key is shown.
struct SealedShareRequest {
    unsigned holder = 0;  // 1-based
    std::string holder_name;
    transport::PublicKey facility_key;  // public: the key the share must be sealed to
    std::string context;                // the ceremony context the share must bind
};
// A sealed share as presented: its text (docs/FORMAT.md section 10), where it came
// from ("typed", a file name) and who presented it at the facility.
struct SealedShareInput {
    std::string text;
    std::string source;
    std::string presented_by;
};

// The options of the card flows: issue, restore, reissue.
struct CeremonyOptions {
    std::filesystem::path plan;
    std::string transcript;  // overrides the plan's
    std::string facility;    // "": the plan's first facility
    bool dry_run = false;
    // Card PINs: each holder's from their [[holders]] pin_file, else ask_pin
    // (the holder types it) or, when they choose it at issuance, ask_new_pin
    // (docs/CEREMONY.md "Card PINs"). Never one PIN for every card.
    bool card_last_try = false;  // VERIFY even when one PIN try is left
    // Token PINs: the first line of token_pin_file, else each token's pin_file
    // in the plan, else ask_pin.
    std::string token_pin_file;
    PinReader ask_pin;  // the prompt (the CLI's: no-echo on /dev/tty)
    // A PIN chosen now (a holder's user PIN, the custodian's admin PIN), typed
    // twice without echo; `check` refuses a PIN that breaks the rules (it throws)
    // before it is typed again. The CLI's: /dev/tty.
    std::function<Secret(std::string_view who, const std::function<void(const Secret&)>& check)>
        ask_new_pin;
    // The SLIP-39 passphrase when the plan's policy.passphrase is "prompt" (asked
    // twice when `confirm`, at issue); the CLI's: no-echo on /dev/tty.
    std::function<Secret(bool confirm)> ask_passphrase;
    // The SO PIN of a token for a trusted SMK ([key] trusted), when the plan names no
    // so_pin_file for it: the prompt.
    PinReader ask_so_pin;
    // The cards' admin PIN (PW3) when the plan names no admin_pin_file and the
    // flow needs it as the cards hold it: the prompt, asked once per flow.
    PinReader ask_admin_pin;
    CardMode card_mode = CardMode::automatic;
    unsigned card_timeout_s = 600;
    std::string plan_out;    // issue/reissue: where the new plan goes
    unsigned holder = 0;     // reissue
    std::string set;         // reissue: the set of the card replaced; restore: the set to use
    bool new_split = false;  // reissue
    // restore: keys of the application backup whose label a token holds are replaced
    // (else such a token is refused before anything is written); also the plan's
    // replace_application_keys.
    bool replace_keys = false;
    ConfirmParticipants confirm_participants;
    LookAlikeOverride look_alike;  // restore: the drive of the application backup
    // inventory (interactive): the bag serial as the Ceremony Administrator reads it.
    std::function<std::string(std::string_view question)> read_bag;
    // inventory: only the cards' attestation (their authentication keys sign a
    // fresh challenge); the shares are not read, so they never leave the cards.
    bool attest_only = false;
    // restore: holders who cannot come present their shares sealed to this restore's
    // ephemeral facility key (docs/TRANSPORT.md); each is read with read_sealed_share
    // after the key is shown as words and a QR code (also written to
    // facility_key_out / facility_key_png when given).
    std::vector<unsigned> remote_holders;
    std::string transport_context;  // "": "smk restore of share set N at FACILITY"
    std::filesystem::path facility_key_out;
    std::filesystem::path facility_key_png;
    std::function<SealedShareInput(const SealedShareRequest&)> read_sealed_share;
};

// smk ceremony issue: the SMK generated, split as the plan's policy says onto
// every planned card, installed into the facility's tokens, the issued plan written.
void issue(const CeremonyOptions& options, Output& output);
// smk ceremony restore: the application backup checked first (its drive's USB
// serial, its SHA-256 against the plan), then every token (the SMK there already
// with the plan's KCV, or no key of its label; no application key of the backup's
// labels unless replace_keys); cards are read until the policy's quorum of whole
// sets only if a token lacks the SMK (each holder counts once); the SMK installed where it is
// missing, the application keys restored into every token. A failure part-way destroys what the
// restore created.
void restore(const CeremonyOptions& options, Output& output);
// smk ceremony backup-keys (phase 1): the plan's [application_keys] wrapped under
// the SMK in the planned token (the SMK there with the plan's KCV, every key
// present, no output file existing: all checked first) into the backup tree, the
// file read back from the device, its SHA-256 recorded and printed as hex, openssl's
// colon form and PGP words; each key pair's public key exported beside it.
void backup_keys(const CeremonyOptions& options, Output& output);
// smk ceremony inventory (KMP 3.9, the annual proof of possession): every planned
// card (or holder N's: `holder`) brought to the table, its serial the planned
// one, its bag serial typed and compared (interactive), the card's answer to a fresh
// challenge verified against the public key the issued plan records for it (when it
// records one), and its share exactly the one issued to it (the issued plan's
// commitment), not just a valid share of its set; with attest_only the share is not
// read. Every card is looked at; any finding is Error(verification) listing them all.
void inventory(const CeremonyOptions& options, Output& output);
// smk ceremony holder: a holder's custody event recorded in the transcript and
// a new plan ([[issued.event]]; default PLAN-idNNNNN-eventK.toml beside it).
struct HolderEventOptions {
    std::filesystem::path plan;  // an issued plan
    std::string transcript;      // overrides the plan's
    bool dry_run = false;
    unsigned holder = 0;
    std::string kind;      // "replaced", "lost" or "unavailable"
    std::string new_name;  // replaced: the new holder
    std::string bag;       // replaced: the bag serial as read on the bag handed over
    std::string ca;        // the Ceremony Administrator who records it
    std::string note;      // what happened, as told (may be empty)
    std::string plan_out;
    ConfirmParticipants confirm_participants;
};
// A replacement checks the bag handed over (Error(verification) if it is not the
// holder's) and renames the holder; a lost bag makes restore and reissue refuse the
// holder's cards of the current share set.
void holder_event(const HolderEventOptions& options, Output& output);

// smk ceremony reissue: the SMK rebuilt without holder N, then holder N's share
// written again (their card of `set`, or of the first of their sets the cards read
// make whole), or (new_split) a fresh share set onto every planned card.
void reissue(const CeremonyOptions& options, Output& output);

}  // namespace smk::ceremony
