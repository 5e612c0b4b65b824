// The ceremony plan's field table (include/smk/ceremony/plan_schema.hpp). The
// descriptions are docs/CEREMONY.md's "The plan" table, one key at a time; the
// checks themselves stay in the reader and validate() (ceremony/plan_read*.cpp).

#include "smk/ceremony/plan_schema.hpp"

#include <stdexcept>
#include <string>

namespace smk::ceremony::plan_schema {
namespace {

constexpr bool kRequired = true;
constexpr bool kOptional = false;

constexpr Field kTop[] = {
    {"version", "integer", kRequired, "", "The plan format: must be 1."},
    {"name", "string", kRequired, "", "The ceremony, for the transcript and the receipt."},
    {"transcript", "string", kOptional, "STEM.transcript.jsonl beside the plan",
     "The hash-chained transcript every flow appends to. STEM is the plan's name without any "
     "-idNNNNN suffix, so issued plans share their origin's transcript."},
    {"key", "table", kRequired, "", "The SMK as every token holds it ([key] below)."},
    {"policy", "table", kOptional, "the KMP's two sets of 5-of-7",
     "How the SMK is split ([policy] below)."},
    {"cards", "table", kOptional, "", "Where and how the cards' PINs are set ([cards] below)."},
    {"facilities", "array of tables", kRequired, "",
     "The facilities and their HSMs, at least one ([[facilities]] below)."},
    {"holders", "array of tables", kRequired, "",
     "The Recovery Key Share Holders and their cards, at least one ([[holders]] below)."},
    {"participants", "array of tables", kOptional, "",
     "The people in the room and their roles ([[participants]] below)."},
    {"backup", "table", kOptional, "",
     "The HSM backup tree backup-copies copies; needed when drives are planned ([backup] "
     "below)."},
    {"application_keys", "table", kOptional, "",
     "Phase 1: the application keys backup-keys wraps under the SMK ([application_keys] "
     "below)."},
    {"drives", "array of tables", kOptional, "",
     "The USB drives of the backup copies ([[drives]] below)."},
    {"issued", "table", kOptional, "",
     "Written by smk after issuance, in a new plan; never by hand ([issued] below)."},
};

constexpr Field kKey[] = {
    {"label", "string", kRequired, "", "CKA_LABEL of the SMK in every token."},
    {"id", "hex string", kRequired, "",
     "CKA_ID of the SMK: an even number of hex digits, e.g. \"01\"."},
    {"trusted", "boolean", kOptional, "false",
     "true: the SMK is installed with CKA_TRUSTED (each token's security officer PIN is "
     "needed) and a token that already holds it must hold it so; keys with "
     "CKA_WRAP_WITH_TRUSTED then leave the HSM under it and nothing else."},
};

constexpr Field kPolicy[] = {
    {"sets", "array of tables", kRequired, "",
     "The SLIP-39 sets, A, B, C, D in order: 1 to 4 sets of { threshold, count }."},
    {"group_threshold", "integer", kOptional, "1",
     "How many whole sets a restore needs: 1 to the number of sets."},
    {"smk_bytes", "integer", kOptional, "32", "The SMK's length: 32 (AES-256) or 16 (AES-128)."},
    {"passphrase", "string", kOptional, "\"none\"",
     "The SLIP-39 passphrase: \"none\", \"file\" (the first line of passphrase_file) or "
     "\"prompt\" (no-echo on the terminal; asked twice at issue)."},
    {"passphrase_file", "string", kOptional, "",
     "The file that holds the passphrase, with passphrase = \"file\" only; never the "
     "passphrase itself."},
};

constexpr Field kPolicySet[] = {
    {"threshold", "integer", kRequired, "",
     "How many cards of the set recover it: 1 to count (1 only when count is 1)."},
    {"count", "integer", kRequired, "", "How many cards the set has: 1 to 16."},
};

constexpr Field kCards[] = {
    {"pins", "string", kOptional, "\"set-at-issuance\"",
     "Where the cards' PINs are set: \"set-at-issuance\" (the cards come with their factory "
     "PINs; each holder's PIN and the custodian's admin PIN replace them once a card holds "
     "its share), \"prepared\" (set before the ceremony; a factory PIN is refused) or "
     "\"set-later\" (the holders set theirs after the ceremony). A pin_file here (one PIN "
     "for every card) is refused."},
    {"attest", "boolean", kOptional, "true",
     "At issuance each card generates its OpenPGP authentication key after its share is "
     "written; the issued plan records the public key and smk ceremony inventory has the "
     "card sign a challenge with it."},
    {"admin_pin_file", "string", kOptional, "",
     "The cards' admin PIN (PW3) as the custodian holds it (first line); without it the "
     "custodian types it at a no-echo prompt, twice when it is set."},
    {"admin_pin_custodian", "string", kOptional, "",
     "Who holds the admin PIN, named in prompts and the transcript; one of the participants "
     "when they are listed."},
};

constexpr Field kFacility[] = {
    {"name", "string", kRequired, "", "The facility, e.g. WELLINGTON; unique."},
    {"module", "string", kRequired, "", "The PKCS#11 module (.so) of its HSM."},
    {"tokens", "array of tables", kRequired, "",
     "The tokens the SMK goes into, at least one; labels unique per facility."},
    {"application_backup", "string", kOptional, "",
     "The wrapped application-key backup restore unwraps there; it must lie on a planned "
     "drive (a [[drives]] mount), whose USB serial restore checks first."},
    {"application_backup_sha256", "string", kOptional, "",
     "The backup's SHA-256 as the phase-1 paper script records it: 64 hex digits or the "
     "colon form of openssl dgst -sha256 -c; restore refuses a file with another before any "
     "token is opened."},
    {"replace_application_keys", "boolean", kOptional, "false",
     "true: keys of the backup whose label a token holds are replaced (as --replace-keys); "
     "otherwise such a token is refused."},
};

constexpr Field kToken[] = {
    {"label", "string", kRequired, "", "The token's label (CKA_LABEL of its token info)."},
    {"pin_file", "string", kOptional, "",
     "The token's user PIN (first line); without it smk asks (or --token-pin-file)."},
    {"so_pin_file", "string", kOptional, "",
     "The token's security officer PIN for a trusted SMK, only with [key] trusted = true; "
     "without it smk asks at a no-echo prompt."},
    {"serial", "string", kOptional, "",
     "The HSM's serial as its acceptance record names it (pkcs11-tool -L shows it), at most "
     "16 characters: a token with this label and another serial is refused before any PIN "
     "is sent. A serial is pinned once per plan."},
    {"manufacturer", "string", kOptional, "",
     "The token's manufacturer, at most 32 characters; only with a serial."},
    {"model", "string", kOptional, "",
     "The token's model, at most 16 characters; only with a serial."},
};

constexpr Field kHolder[] = {
    {"name", "string", kRequired, "", "The holder; holder N is the N-th [[holders]] table."},
    {"cards", "array of tables", kRequired, "",
     "The holder's cards, at least one, at most one of each set."},
    {"pin_file", "string", kOptional, "",
     "The user PIN of this holder's cards (first line); without it the holder types it "
     "(twice when they choose it at issuance). Two holders never name the same file."},
};

constexpr Field kCard[] = {
    {"set", "string", kRequired, "", "A letter of the policy's sets, \"A\" to \"D\"."},
    {"index", "integer", kRequired, "", "The share's index within its set: 1 to the set's count."},
    {"serial", "string", kRequired, "",
     "The OpenPGP card serial as smk card list shows it, e.g. \"FFFF:5AC00001\"; unique."},
    {"bag", "string", kRequired, "",
     "The serial of the tamper-evident bag; a bag belongs to one holder."},
};

constexpr Field kParticipant[] = {
    {"name", "string", kRequired, "", "The person; listed once per role."},
    {"role", "string", kRequired, "",
     "One of ceremony-administrator, internal-witness, system-administrator, "
     "safe-security-controller, crypto-officer, share-holder, auditor, external-witness; at "
     "least one ceremony-administrator when any are listed."},
};

constexpr Field kBackup[] = {
    {"source", "string", kRequired, "",
     "The HSM backup tree backup-copies copies; a trailing / is implied: its content lands "
     "at each drive's root."},
};

constexpr Field kApplicationKeys[] = {
    {"facility", "string", kRequired, "", "The facility whose HSM holds the application keys."},
    {"token", "string", kOptional, "the facility's first token", "One of that facility's tokens."},
    {"labels", "array of strings", kRequired, "",
     "The keys (CKA_LABEL) to back up: at least one, unique, not the SMK's label."},
    {"backup", "string", kRequired, "",
     "The backup file within [backup] source (relative, no ..), e.g. "
     "hsm-backup/application-keys.wrapped; each key pair's public key goes beside it as "
     "LABEL.public.der."},
    {"wrap_with_trusted", "boolean", kOptional, "false",
     "true: every key gets CKA_WRAP_WITH_TRUSTED before the wrap (irreversible), so it leaves "
     "the HSM under the trusted SMK alone; needs [key] trusted = true."},
};

constexpr Field kDrive[] = {
    {"name", "string", kRequired, "",
     "The first must be MASTER (the Master Backup Copy), then the Operative Backup Copies, "
     "e.g. WELLINGTON; unique."},
    {"usb_serial", "string", kRequired, "",
     "As written on the paper (spaces, dashes and case do not matter; look-alikes such as "
     "O/0 do); unique."},
    {"mount", "string", kRequired, "", "Where the drive is mounted: an absolute path; unique."},
    {"facility", "string", kOptional, "",
     "The [[facilities]] name that keeps the drive: when one drive names its facility, all "
     "do, two per facility, the Master counting among its facility's two."},
    {"bag", "string", kOptional, "",
     "The serial printed on the drive's tamper-evident bag; unique among drives and cards."},
    {"recipient", "string", kOptional, "", "The person the bagged drive is handed to."},
};

constexpr Field kIssued[] = {
    {"identifier", "integer", kRequired, "", "The SLIP-39 share-set identifier, 0 to 32767."},
    {"kcv", "string", kRequired, "", "The SMK's key check value: 6 hex digits."},
    {"card", "array of tables", kOptional, "", "A card replaced by reissue."},
    {"share", "array of tables", kOptional, "", "The commitment to each issued share."},
    {"card_key", "array of tables", kOptional, "",
     "Each card's authentication key, with [cards] attest."},
    {"event", "array of tables", kOptional, "",
     "A holder's custody event, written by smk ceremony holder, applied in order."},
};

constexpr Field kIssuedCard[] = {
    {"holder", "integer", kRequired, "", "The holder's number (1 for the first [[holders]])."},
    {"set", "string", kRequired, "", "The set letter of the card replaced."},
    {"serial", "string", kRequired, "", "The new card's serial."},
    {"bag", "string", kRequired, "", "The new card's bag."},
};

constexpr Field kIssuedShare[] = {
    {"holder", "integer", kRequired, "", "The holder's number."},
    {"set", "string", kRequired, "", "The set letter of the holder's card."},
    {"sha256", "string", kRequired, "", "The commitment to the share on that card: 64 hex digits."},
};

constexpr Field kIssuedCardKey[] = {
    {"holder", "integer", kRequired, "", "The holder's number."},
    {"set", "string", kRequired, "", "The set letter of the holder's card."},
    {"sha256", "string", kRequired, "",
     "The SHA-256 of the key's DER SubjectPublicKeyInfo, 64 hex digits."},
    {"public_key", "string", kRequired, "",
     "The card's RSA authentication key as PEM (a multi-line literal string)."},
};

constexpr Field kIssuedEvent[] = {
    {"holder", "integer", kRequired, "", "The holder's number."},
    {"kind", "string", kRequired, "", "\"replaced\", \"lost\" or \"unavailable\"."},
    {"time", "string", kRequired, "", "UTC, as the transcript line that records it."},
    {"by", "string", kRequired, "", "The Ceremony Administrator who recorded it."},
    {"identifier", "integer", kRequired, "",
     "The share set the holder's cards held at the time, 0 to 32767."},
    {"note", "string", kOptional, "", "What happened, as --note gave it."},
    {"name", "string", kOptional, "",
     "A replacement only: the new holder, who is holder N from then on."},
    {"previous", "string", kOptional, "", "A replacement only: who held the bag before."},
};

constexpr Table kTables[] = {
    {"", "(top level)", false, "The plan's own keys, and its tables.", kTop},
    {"key", "[key]", false, "The SMK's PKCS#11 identity in every token.", kKey},
    {"policy", "[policy]", false,
     "How the SMK is split with SLIP-39. Without [policy]: the KMP's two independent sets of "
     "7 cards, any 5 of either set recovering the SMK.",
     kPolicy},
    {"policy.sets", "[[policy.sets]]", false,
     "One SLIP-39 set: threshold-of-count cards, usually written inline: sets = [ { threshold = 5, "
     "count = 7 }, ... ].",
     kPolicySet},
    {"cards", "[cards]", false,
     "The OpenPGP cards' PINs and keys. Each card's user PIN is its holder's ([[holders]] "
     "pin_file, or typed by them), never one for all.",
     kCards},
    {"facilities", "[[facilities]]", false, "A facility and the HSM tokens the SMK goes into.",
     kFacility},
    {"facilities.tokens", "[[facilities.tokens]]", false,
     "One token of the facility's HSM, usually written inline: tokens = [ { label = \"...\" } ]; "
     "pinned to its acceptance record by serial, manufacturer and model.",
     kToken},
    {"holders", "[[holders]]", false, "A Recovery Key Share Holder.", kHolder},
    {"holders.cards", "[[holders.cards]]", false,
     "One card of the holder and the share (set, index) it carries, usually written inline: "
     "cards = [ { set = \"A\", index = 1, serial = \"...\", bag = \"...\" }, ... ].",
     kCard},
    {"participants", "[[participants]]", false,
     "A person in the room, confirmed at the start of every flow.", kParticipant},
    {"backup", "[backup]", false, "The System Administrator's HSM backup.", kBackup},
    {"application_keys", "[application_keys]", false,
     "Phase 1: what smk ceremony backup-keys wraps under the SMK, into the backup tree.",
     kApplicationKeys},
    {"drives", "[[drives]]", false,
     "A USB drive of the backup copies: the Master Backup Copy first, then the Operative "
     "Backup Copies, and optionally its custody.",
     kDrive},
    {"issued", "[issued]", true,
     "What an issue or reissue recorded, below the marker line smk writes into a new plan.",
     kIssued},
    {"issued.card", "[[issued.card]]", true, "A card replaced by reissue.", kIssuedCard},
    {"issued.share", "[[issued.share]]", true, "The commitment to one issued share.", kIssuedShare},
    {"issued.card_key", "[[issued.card_key]]", true,
     "The authentication key a card generated at issuance.", kIssuedCardKey},
    {"issued.event", "[[issued.event]]", true, "A holder's custody event.", kIssuedEvent},
};

}  // namespace

std::span<const Table> tables() {
    return kTables;
}

const Table& table(std::string_view path) {
    for (const Table& t : kTables) {
        if (t.path == path) {
            return t;
        }
    }
    throw std::logic_error("plan_schema: no table \"" + std::string(path) + "\"");
}

}  // namespace smk::ceremony::plan_schema
