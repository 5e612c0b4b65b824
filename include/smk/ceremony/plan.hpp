#pragma once
// The ceremony plan: one strict TOML file (docs/CEREMONY.md) naming every
// physical item a ceremony handles, so that each flow can check the card, drive
// or token in front of it against what the printed script recorded.
//
// Strict like boulder's ceremony config: an unknown key is an error, every field
// has one type, and validate() runs before any device is touched. Every error
// names the field path ("holders[3].cards[1].serial: ...") and the plan file.
//
// Nothing secret is ever in a plan: PINs come from files the plan may name
// (pin_file) or from a prompt; each holder's card PIN from their own source.
//
// The share-set identifier and KCV become known at issuance. The flows never
// rewrite the user's plan: they write a new plan next to it, the original bytes
// followed by an [issued] table under a marker comment (write_issued_plan()).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smk/slip39.hpp"

namespace smk::ceremony {

inline constexpr unsigned kPlanVersion = 1;
// A plan is a page or two of TOML; anything larger is the wrong file.
inline constexpr std::size_t kMaxPlanBytes = 1024 * 1024;
inline constexpr std::string_view kMasterDrive = "MASTER";
// [policy] limits: sets A to D, each of at most 16 shares (the SLIP-39 limit).
inline constexpr unsigned kMaxSets = 4;
inline constexpr unsigned kMaxSetCount = 16;
// The line that starts the block smk writes at the end of a plan.
inline constexpr std::string_view kIssuedMarker =
    "# ---- written by smk ceremony; do not edit below this line ----";

// The roles of the people in the room (the KMP's): each flow starts by naming
// them, and `smk transcript exception` needs a Ceremony Administrator's decision.
inline constexpr std::string_view kParticipantRoles[] = {"ceremony-administrator",
                                                         "internal-witness",
                                                         "system-administrator",
                                                         "safe-security-controller",
                                                         "crypto-officer",
                                                         "share-holder",
                                                         "auditor",
                                                         "external-witness"};
inline constexpr std::string_view kCeremonyAdministrator = "ceremony-administrator";

struct Participant {
    std::string name;
    std::string role;  // one of kParticipantRoles
};

// One set of the split: `count` shares (one card each), any `threshold` of which
// rebuild the part of the set.
struct SetPolicy {
    unsigned threshold = 5;
    unsigned count = 7;
};

// Where the SLIP-39 passphrase comes from: none, the first line of a file the plan
// names, or a no-echo prompt (asked twice at issue). Never from the plan itself.
enum class PassphraseSource { none, file, prompt };
// "none", "file", "prompt": as the plan spells it and the transcript records it.
[[nodiscard]] std::string_view passphrase_source_name(PassphraseSource source) noexcept;

// [policy]: how the SMK is split. Without the table, the KMP default: sets A and B,
// each 5-of-7, either set alone recovers the SMK, a 32-byte SMK, no passphrase.
struct Policy {
    std::vector<SetPolicy> sets = {{5, 7}, {5, 7}};  // set A first; 1 to kMaxSets
    unsigned group_threshold = 1;                    // how many whole sets a restore needs
    std::size_t smk_bytes = 32;                      // 16 or 32
    PassphraseSource passphrase = PassphraseSource::none;
    std::filesystem::path passphrase_file;  // passphrase = "file"

    [[nodiscard]] slip39::SplitParams split_params() const;
    // "set A 5-of-7, set B 5-of-7; any 1 set recovers the SMK"
    [[nodiscard]] std::string describe() const;
    [[nodiscard]] unsigned card_count() const;  // the shares of every set
};

struct CardSpec {
    unsigned set = 0;    // 0 = set A, 1 = set B, ...
    unsigned index = 0;  // share index, 1 to the count of its set
    std::string serial;  // OpenPGP card serial "FFFF:5AC00001", upper case
    std::string bag;     // tamper-evident bag serial, as written on the bag
    // [issued]: the commitment to the share issued onto this card (lower-case hex,
    // ceremony/share_commitment.hpp); empty in a plan issued before smk recorded it.
    std::string share_sha256;
    // [issued]: the public key of the authentication key the card generated at
    // issuance (PEM SubjectPublicKeyInfo) and the SHA-256 of its DER, by which
    // transcripts name it; empty when the card was issued without attestation.
    std::string auth_key_pem;
    std::string auth_key_sha256;
};

// A custody event of a holder (KMP 6.7 replacement, 6.8 an unavailable holder, a
// lost bag), recorded by `smk ceremony holder` in the [issued] block of a new plan
// ([[issued.event]]) and in the transcript. Events are history: never edited.
inline constexpr std::string_view kHolderEventKinds[] = {"replaced", "lost", "unavailable"};
struct HolderEvent {
    unsigned holder = 0;           // 1-based
    std::string kind;              // one of kHolderEventKinds
    std::string time;              // UTC, as the transcript line that records it
    std::string by;                // the Ceremony Administrator who recorded it
    std::string note;              // what happened, as told; may be empty
    std::string name;              // replaced: the new holder (the holder's name from now on)
    std::string previous;          // replaced: who held the bag before
    std::uint16_t identifier = 0;  // the share set the holder's cards held at the time
};

struct Holder {
    unsigned number = 0;  // 1-based, the order in the plan
    std::string name;
    std::vector<CardSpec> cards;  // at most one per set, in plan order
    // The user PIN of this holder's cards (the first line of the file); empty: the
    // holder types it (twice when they choose it at issuance). Never one file for
    // two holders.
    std::filesystem::path pin_file;
    // The holder card of `set`, or nullptr.
    [[nodiscard]] const CardSpec* card_of_set(unsigned set) const;
};

// [cards] pins: where the cards' PINs are set (docs/CEREMONY.md "Card PINs").
enum class CardPins {
    // The cards come with the factory PINs; at issuance, once a card holds its
    // share (and key), its holder's PIN and the custodian's admin PIN replace them.
    set_at_issuance,
    // The cards come with their holders' PINs and the custodian's admin PIN set
    // beforehand; a factory PIN is refused before it is sent.
    prepared,
    // The cards keep the PINs they came with (factory ones allowed); the holders
    // set theirs after the ceremony. Recorded as such.
    set_later,
};
// "set-at-issuance", "prepared", "set-later": as the plan spells it.
[[nodiscard]] std::string_view card_pins_name(CardPins pins) noexcept;

struct Token {
    std::string label;
    std::filesystem::path pin_file;     // empty: --pin-file or a prompt
    std::filesystem::path so_pin_file;  // the SO PIN for a trusted SMK; empty: a prompt
    // The HSM as its acceptance record names it (PKCS#11 token info, trailing blanks
    // removed). A token whose serial, manufacturer or model differs is refused before
    // anything is sent to it; empty: not pinned (recorded as such).
    std::string serial;
    std::string manufacturer;
    std::string model;
    [[nodiscard]] bool pinned() const noexcept { return !serial.empty(); }
};

struct Facility {
    std::string name;
    std::filesystem::path module;  // the PKCS#11 module
    std::vector<Token> tokens;
    // The application-key backup this facility restores (restore flow); empty: none.
    // It lies on a planned drive (validate() requires it), whose USB serial restore
    // checks before it reads the file.
    std::filesystem::path application_backup;
    // The SHA-256 recorded when the backup was made (the paper script), lower-case
    // hex; empty: none recorded (the file's .sha256sum is still checked).
    std::string application_backup_sha256;
    // Keys of the backup whose label a token already holds are replaced (the new
    // key unwrapped first); false: such a token is refused before anything is written.
    bool replace_application_keys = false;
};

struct Drive {
    std::string name;        // MASTER, WELLINGTON, ...
    std::string usb_serial;  // as written on the paper (normalised when compared)
    std::filesystem::path mount;
    // Custody (all optional; "" when not planned). The facility that keeps the drive
    // (one of [[facilities]]; when any drive names one, every drive must, and each
    // facility keeps exactly two, the Master counting among its facility's two), the
    // serial of the tamper-evident bag it travels in, as written on the bag, and the
    // person it is handed to.
    std::string facility;
    std::string bag;
    std::string recipient;
};

// [application_keys]: the keys `smk ceremony backup-keys` backs up under the SMK
// at phase 1, from one token of one facility, into the backup tree.
struct ApplicationKeys {
    std::string facility;             // the plan's facility whose HSM holds them
    std::string token;                // one of its tokens ("": its first)
    std::vector<std::string> labels;  // the keys (CKA_LABEL), each extractable
    // The backup file within [backup] source (a relative path without ".."), so
    // that backup-copies carries it to every drive; the public key of each key pair
    // goes beside it as LABEL.public.der.
    std::filesystem::path backup;
    // Every key gets CKA_WRAP_WITH_TRUSTED before the wrap (irreversible), so it leaves
    // the HSM under the trusted SMK alone; needs [key] trusted.
    bool wrap_with_trusted = false;
};

struct Plan {
    std::filesystem::path file;  // where it was read from
    std::string text;            // its exact bytes
    std::string name;
    std::filesystem::path transcript;  // resolved against the plan's directory
    std::string key_label;
    std::string key_id;  // lower-case hex, CKA_ID
    // [key] trusted: the SMK is installed with CKA_TRUSTED (the SO PIN of each token
    // is needed) and a token that already holds it must hold it so.
    bool key_trusted = false;
    CardPins card_pins = CardPins::set_at_issuance;
    // [cards] attest (default true): at issuance each card generates its OpenPGP
    // authentication key, whose public key the issued plan records, so that an
    // inventory can have the card prove itself (docs/CEREMONY.md "Attestation").
    bool card_attest = true;
    // The cards' admin PIN (PW3) as the custodian holds it: the first line of
    // admin_pin_file, else a prompt (typed twice when it is set at issuance).
    // Generating keys needs it, and set_at_issuance sets it on every new card.
    std::filesystem::path card_admin_pin_file;
    std::string card_admin_pin_custodian;  // who holds it; "": not named
    Policy policy;
    std::vector<Facility> facilities;
    std::vector<Holder> holders;
    std::vector<Participant> participants;  // [[participants]], in plan order; may be empty
    std::filesystem::path backup_source;    // the tree backup-copies copies
    std::optional<ApplicationKeys> application_keys;
    std::vector<Drive> drives;                // MASTER first
    std::optional<std::uint16_t> identifier;  // [issued], once known
    std::optional<std::string> kcv;           // [issued], 6 lower-case hex digits
    std::vector<HolderEvent> holder_events;   // [[issued.event]], oldest first

    [[nodiscard]] const Facility& facility(std::string_view name) const;  // "": the first
    [[nodiscard]] const Holder& holder(unsigned number) const;            // 1-based
    // application_keys: the facility, the token label, the backup's full path and
    // the public key file of key `label` (beside the backup).
    [[nodiscard]] const Facility& application_facility() const;
    [[nodiscard]] const std::string& application_token() const;
    [[nodiscard]] std::filesystem::path application_backup_path() const;
    [[nodiscard]] std::filesystem::path public_key_path(std::string_view label) const;
    // The planned drive whose mount holds `file`, or nullptr.
    [[nodiscard]] const Drive* drive_holding(const std::filesystem::path& path) const;
    // The holder and card planned for `serial` (upper case), or nullptr.
    [[nodiscard]] const CardSpec* card_by_serial(std::string_view serial,
                                                 const Holder** holder = nullptr) const;
    // The event that reported holder `number`'s cards of the current share set lost,
    // or nullptr: such cards are refused by restore and reissue.
    [[nodiscard]] const HolderEvent* lost_cards(unsigned number) const;
    // The participant called `name` with `role` ("": any role), or nullptr.
    [[nodiscard]] const Participant* participant(std::string_view name,
                                                 std::string_view role = {}) const;
};

// Parses and validates plan text. `file` names the plan in errors and anchors
// relative paths. Error(invalid_input) "PLAN: FIELD.PATH: what is wrong".
[[nodiscard]] Plan parse_plan(std::string_view text, const std::filesystem::path& file);
// Reads, parses and validates a plan file (Error(io) if it cannot be read).
[[nodiscard]] Plan load_plan(const std::filesystem::path& file);

// The consistency rules (the policy within the SLIP-39 limits, every share of every
// set planned on exactly one card, at most one card per set per holder, unique
// serials...).
// parse_plan() calls it; flows call it again after changing a plan in memory.
void validate(const Plan& plan);

// Where write_issued_plan() puts the plan for share set `identifier` by default:
// "DIR/STEM-idNNNNN.toml" beside the plan (a previous "-idNNNNN" suffix replaced),
// or after a holder event "DIR/STEM-idNNNNN-eventK.toml" (K: the events recorded).
[[nodiscard]] std::filesystem::path issued_plan_path(const Plan& plan, std::uint16_t identifier);
[[nodiscard]] std::filesystem::path event_plan_path(const Plan& plan);
// After a single card replacement that gave the card a new authentication key:
// "DIR/STEM-idNNNNN-holderN-setX.toml".
[[nodiscard]] std::filesystem::path replacement_plan_path(const Plan& plan, unsigned holder,
                                                          unsigned set);

// Writes a new plan (never replacing a file: Error(refused) if `out` exists):
// the plan's bytes up to any previous smk block, then the marker and an
// [issued] table with the identifier and KCV, plus any card serial and bag
// changes in `updated` (reissue), the share commitments and the holder events. The text is parsed
// back and compared before it is committed (temp + fsync + rename + fsync of the directory).
void write_issued_plan(const Plan& updated, const std::filesystem::path& out);

}  // namespace smk::ceremony
