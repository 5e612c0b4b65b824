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
#include <string>

#include "smk/ceremony/card_session.hpp"
#include "smk/ceremony/journal.hpp"

namespace smk::ceremony {

// smk ceremony check: loads and validates the plan; one result line per
// facility, holder, drive and the issued share set.
void check_plan(const std::filesystem::path& plan, Output& output);

struct BackupCopiesOptions {
    std::filesystem::path plan;
    std::string transcript;  // overrides the plan's
    bool dry_run = false;    // check the drives and read the source; write nothing
    bool no_eject = false;   // leave the drives mounted
};

// smk ceremony backup-copies: every planned drive's USB serial is checked before
// anything is written; then the Master Backup Copy is copied, verified from the
// device and ejected, then the Operative Backup Copies in one pass. One result
// line per drive; a transcript line per check, copy, verification and eject.
void backup_copies(const BackupCopiesOptions& options, Output& output);

// The options of the card flows: issue, restore, reissue.
struct CeremonyOptions {
    std::filesystem::path plan;
    std::string transcript;  // overrides the plan's
    std::string facility;    // "": the plan's first facility
    bool dry_run = false;
    // Card PINs: card_pin when the operator gave one (--pin-file, --pin-fd),
    // else the plan's [cards] pin_file, else ask_pin.
    PinReader card_pin;
    bool card_last_try = false;  // VERIFY even when one PIN try is left
    // Token PINs: the first line of token_pin_file, else each token's pin_file
    // in the plan, else ask_pin.
    std::string token_pin_file;
    PinReader ask_pin;  // the prompt (the CLI's: no-echo on /dev/tty)
    CardMode card_mode = CardMode::automatic;
    unsigned card_timeout_s = 600;
    std::string plan_out;    // issue/reissue: where the new plan goes
    unsigned holder = 0;     // reissue
    std::string set;         // reissue: "A" or "B"; restore: the set to use
    bool new_split = false;  // reissue
};

// smk ceremony issue: the SMK generated, split 2x(5-of-7) onto the 14 planned
// cards, installed into the facility's tokens, the issued plan written.
void issue(const CeremonyOptions& options, Output& output);
// smk ceremony restore: cards read until one set has a quorum, the KCV checked,
// the SMK installed into the facility's tokens, the application keys restored.
void restore(const CeremonyOptions& options, Output& output);
// smk ceremony reissue: the SMK rebuilt without holder N, then holder N's share
// written again, or (new_split) a fresh share set onto all 14 cards.
void reissue(const CeremonyOptions& options, Output& output);

}  // namespace smk::ceremony
