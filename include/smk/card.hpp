#pragma once
// Smartcards: the readers pcscd sees, waiting for a card, and the share store on
// an OpenPGP card (spec 3.4): one share record (smk/share_record.hpp) in the
// private-use data object 0103, which needs the user PIN (PW1) to read and write.
//
// Every card is named in messages by its OpenPGP serial and reader, e.g.
//   card FFFF:0000001A in "Virtual PCD 00 00"
// Failures are smk::Error: device (pcscd, reader, card), refused (would
// overwrite, last PIN try), verification (wrong PIN, read-back differs),
// invalid_input (a PIN of the wrong length, a new PIN breaking the rules below).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smk/secret.hpp"
#include "smk/share_record.hpp"
#include "smk/share_store.hpp"

namespace smk::card {

struct ReaderInfo {
    std::string name;
    bool card_present = false;
    bool exclusive = false;  // another program holds the card exclusively
    bool mute = false;       // a card that does not answer
    std::vector<std::uint8_t> atr;
};

// The readers pcscd knows and their state. Error(device) if pcscd is not running.
[[nodiscard]] std::vector<ReaderInfo> list_readers();

// The reader whose name is `name` exactly, or the only one containing it.
// Error(device) if there is no reader or none matches; Error(usage) if several do.
[[nodiscard]] std::string find_reader(std::string_view name);

enum class CardEvent { inserted, removed };

// Waits until a card is present (inserted) or absent (removed) in `reader`, or
// in any reader when `reader` is empty (readers plugged in meanwhile count).
// Returns the reader's name, or nullopt when `timeout` passes first.
[[nodiscard]] std::optional<std::string> wait_for_card(std::string_view reader, CardEvent event,
                                                       std::chrono::milliseconds timeout);

struct PinTries {
    unsigned user = 0;        // PW1
    unsigned reset_code = 0;  // RC
    unsigned admin = 0;       // PW3
};

// ---------------------------------------------------------------------------
// PINs a holder chooses (smartcard/pin_rules.cpp). Issuance has each holder set
// the user PIN of their card, and the plan's custodian the admin PIN, with
// ShareStore::change_pin; no card should leave the room with a factory PIN.
//
// A new PIN must be (new_pin_problem says which rule it breaks):
//   - 6 (user) or 8 (admin) to 127 bytes, and no longer than the card allows (C4);
//   - printable ASCII (32..126), not beginning or ending with a space: it must be
//     typed the same on any keyboard, and an edge space is lost by editors;
//   - not a factory default (123456, 12345678), nor one of a short list of the most
//     common PINs (keypad shapes like 147258, letter-digit habits like 1q2w3e4r,
//     "password"); letters compare in any case;
//   - not one character repeated (111111), not a straight run up or down (123456,
//     654321, 567890, abcdef), not a stretch of a keyboard row forwards or
//     backwards (qwerty, ytrewq, asdfgh, azerty), not a group repeated (121212,
//     123123, abcdabcd);
//   - at least 4 (user) or 5 (admin) different characters: half the shortest
//     length plus one, so a 6-digit PIN uses at least 4 different digits (112233
//     and 123321 are refused).
// A candidate PIN is a Secret; the rules look at every byte the same way (masks,
// no branch or table index on it; checked under valgrind: tests/ct, case
// pin-rules), and no message ever contains it.

enum class PinKind {
    user,   // PW1: reads and writes the share (DO 0103), answers attestations
    admin,  // PW3: key generation, unblocking PW1
};

inline constexpr std::size_t kMaxPinLength = 127;  // C4's length bytes have 7 bits

// "user PIN (PW1)" or "admin PIN (PW3)".
[[nodiscard]] std::string_view pin_name(PinKind kind) noexcept;
// 6 (user) or 8 (admin): OpenPGP card 3.4, section 4.3.
[[nodiscard]] std::size_t min_pin_length(PinKind kind) noexcept;
// 4 (user) or 5 (admin): min_pin_length / 2 + 1.
[[nodiscard]] std::size_t min_distinct_pin_characters(PinKind kind) noexcept;

// What is wrong with `candidate` as a new PIN of `kind`, as words that follow
// "the new user PIN (PW1) ...", e.g. "is one character repeated" or "has 5
// characters; a user PIN (PW1) needs 6 to 127"; nullopt when it may be used.
// `max_length` is the card's maximum (ShareStore::max_pin_length) once the card
// is known. The words never contain the PIN (its length they may: it is no secret
// from the card's reader, being the APDU's Lc).
[[nodiscard]] std::optional<std::string> new_pin_problem(PinKind kind, const Secret& candidate,
                                                         std::size_t max_length = kMaxPinLength);
// Error(invalid_input) unless new_pin_problem finds nothing: "the new user PIN
// (PW1) from SOURCE is one character repeated; nothing was sent to the card.
// Choose another (...the rules...)".
void check_new_pin(PinKind kind, const Secret& candidate, std::string_view source,
                   std::size_t max_length = kMaxPinLength);
// The rules in one line, for messages and prompts.
[[nodiscard]] std::string new_pin_rules(PinKind kind);

// Whether `pin` is the factory PIN of `kind` on OpenPGP cards (123456 for the
// user PIN, 12345678 for the admin PIN), compared in constant time. For the
// issuance's check that a card's PIN (as the plan's PIN source gives it) was
// changed from the factory one.
[[nodiscard]] bool is_factory_pin(PinKind kind, const Secret& pin) noexcept;
// The factory PIN of `kind` (123456, 12345678: OpenPGP card 3.4 section 4.3, and
// every profile smk knows): what a new card is verified with when the plan has its
// holder's PIN set at issuance.
[[nodiscard]] Secret factory_pin(PinKind kind);

// ---------------------------------------------------------------------------
// On-card attestation (docs/FORMAT.md "Card attestation"). At issuance the card
// generates its OpenPGP authentication key (key slot 3), which never leaves it;
// the public key goes into the plan. Later the card signs a fresh challenge
// (INTERNAL AUTHENTICATE, RSASSA-PKCS1-v1_5 with SHA-256), and anyone checks
// the answer against the plan's public key, e.g. with
//   openssl dgst -sha256 -verify key.pem -signature attest.sig attest.msg
// A holder proves the card is theirs without the share leaving it.

// An RSA public key as a SubjectPublicKeyInfo (what `openssl pkey -pubin` reads).
struct PublicKey {
    std::vector<std::uint8_t> der;  // SubjectPublicKeyInfo, DER

    // "-----BEGIN PUBLIC KEY-----" ... (PEM of der, with a final newline).
    [[nodiscard]] std::string pem() const;
    // SHA-256 of der in lower-case hex: how plans and people name the key
    // (`openssl pkey -pubin -in key.pem -outform DER | sha256sum`).
    [[nodiscard]] std::string sha256_hex() const;
    // Modulus length in bits.
    [[nodiscard]] unsigned bits() const;

    bool operator==(const PublicKey&) const = default;
};

// A public key from PEM ("PUBLIC KEY") or DER; RSA of at least 2048 bits only.
// Error(invalid_input) naming `source` otherwise.
[[nodiscard]] PublicKey parse_public_key(std::span<const std::uint8_t> pem_or_der,
                                         std::string_view source);

inline constexpr std::size_t kChallengeBytes = 32;
using Challenge = std::array<std::uint8_t, kChallengeBytes>;
inline constexpr std::size_t kMaxAttestContext = 200;  // bytes

// 32 fresh random bytes (libsodium).
[[nodiscard]] Challenge fresh_challenge();
// A challenge given by a verifier: 64 hex digits. Error(invalid_input) otherwise.
[[nodiscard]] Challenge parse_challenge(std::string_view hex);
// Error(invalid_input) unless `context` is at most kMaxAttestContext bytes of
// printable ASCII or UTF-8 without control characters (it is one line of the message).
void check_attest_context(std::string_view context);

// The exact bytes the card signs (docs/FORMAT.md):
//   "smk-attest-v1\n" "card: " SERIAL "\n" ["context: " CONTEXT "\n"] "challenge: " HEX64 "\n"
// with SERIAL as serial() names it ("FFFF:0000001A"); the context line only when
// the context is not empty. Error(invalid_input) for a bad context.
[[nodiscard]] std::string attestation_message(std::string_view card_serial,
                                              std::string_view context, const Challenge& challenge);

// True when `signature` is an RSASSA-PKCS1-v1_5 SHA-256 signature of `message`
// by `key` (exactly what `openssl dgst -sha256 -verify` checks).
[[nodiscard]] bool attestation_valid(const PublicKey& key, std::string_view message,
                                     std::span<const std::uint8_t> signature);

// A card's answer to a challenge.
struct Attestation {
    std::string card;    // label(): "card FFFF:0000001A in \"reader\""
    std::string serial;  // serial(): "FFFF:0000001A"
    std::string message;
    std::vector<std::uint8_t> signature;
    // The key the card reports now (read mode, no PIN): tells a card whose key
    // was replaced apart from a card from another issuance in messages.
    std::optional<PublicKey> card_key;
};

// Error(verification) naming the card unless the attestation verifies with
// `expected` (the key recorded at issuance): a card from another issuance, a
// regenerated key, or a wrong answer.
void check_attestation(const PublicKey& expected, const Attestation& attestation);

// StoredState and StoredShare (what a store holds): smk/share_record.hpp.

// One OpenPGP card, held in a PC/SC transaction from construction to destruction.
// It is the card's smk::ShareStore (smk/share_store.hpp): name() is label(),
// unlock() is verify_pin().
class ShareStore final : public smk::ShareStore {
  public:
    // Connects to the card in `reader` (an exact name), selects the OpenPGP
    // application and reads its AID (serial), capabilities (C0) and PIN status (C4).
    // Error(device) for no card, not an OpenPGP card, pcscd or reader trouble.
    explicit ShareStore(const std::string& reader);
    ~ShareStore();
    ShareStore(ShareStore&&) noexcept;
    ShareStore& operator=(ShareStore&&) noexcept;

    // "card FFFF:0000001A in \"Virtual PCD 00 00\"".
    [[nodiscard]] const std::string& label() const noexcept;
    // "FFFF:0000001A" (manufacturer:serial, hex).
    [[nodiscard]] const std::string& serial() const noexcept;
    // Maximum length of the private DO, 0 if the card has none (C0).
    [[nodiscard]] std::size_t capacity() const noexcept;
    // PIN retry counters, read from the card now (C4).
    [[nodiscard]] PinTries tries();

    // smk::ShareStore.
    [[nodiscard]] const std::string& name() const noexcept override { return label(); }
    [[nodiscard]] std::string_view kind() const noexcept override { return "card"; }
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> ids() const override;
    [[nodiscard]] std::string_view empty_text() const noexcept override {
        return "DO 0103 is empty";
    }
    // Nothing: the card's tries are checked in verify_pin, after the PIN is read.
    void refuse_last_try(bool /*allow_last_try*/) const override {}
    // Refuses a card without private DOs before the PIN costs a try there.
    void unlock(const Secret& pin, bool allow_last_try) override {
        require_private_dos();
        verify_pin(pin, allow_last_try);
    }
    [[nodiscard]] std::string wiped_text() const override;

    // Error(device) pointing at the PKCS#11 token store if the card has no
    // private DOs or they are shorter than `record_bytes`.
    void require_capacity(std::size_t record_bytes) const override;
    // Error(device), with the same pointer, if the card has no private DOs at
    // all; read_raw, read_share and wipe check it first.
    void require_private_dos() const;

    // VERIFY PW1 (mode 82) once; never retries. Refuses (Error(refused)) when one
    // try is left unless allow_last_try; Error(device) when blocked;
    // Error(verification) with the tries left for a wrong PIN.
    void verify_pin(const Secret& pin, bool allow_last_try);

    // The longest PIN of `kind` the card takes (PW status C4), at most kMaxPinLength.
    [[nodiscard]] std::size_t max_pin_length(PinKind kind) const noexcept;

    // Sets the user PIN (PW1) or the admin PIN (PW3) from `current` to `next`
    // with CHANGE REFERENCE DATA (P2 81 or 83, data current || next), then
    // VERIFYs `next` (PW1 in mode 82, or PW3) so a card that did not take it
    // exactly is caught while the holder is still there. Before anything is sent:
    // `next` must pass new_pin_problem with the card's maximum and differ from
    // `current`, and `current` must have a length the card allows
    // (Error(invalid_input)); the tries are checked as verify_pin does
    // (Error(refused) at the last try unless allow_last_try, Error(device) when
    // blocked). A wrong `current` is Error(verification) with the tries left,
    // never retried; the card answering anything else is Error(device). The card
    // forgets the PINs sent (VERIFY P1=FF for 81 and 82, or 83) when the store
    // is let go. Works on cards without private DOs too.
    void change_pin(PinKind kind, const Secret& current, const Secret& next, bool allow_last_try);

    // DO 0103 as it is (PIN verified first).
    [[nodiscard]] Secret read_raw();
    // What DO 0103 holds: nothing, a valid record, or garbage (and why).
    [[nodiscard]] StoredShare read_share() override;
    // Writes a record: refuses (Error(refused)) if the DO is not empty unless
    // `overwrite`; then reads it back and compares in constant time
    // (Error(verification) if it differs).
    void write_record(std::span<const std::uint8_t> record, bool overwrite) override;
    // Empties DO 0103 and checks that it reads back empty.
    void wipe() override;

    // The card's authentication key, as AuthKeyCard's functions of the same
    // names, on this already open card (a ceremony holds the card as its share
    // store; a second open card on the reader would wait for this one forever).
    [[nodiscard]] std::optional<PublicKey> auth_public_key();
    [[nodiscard]] PublicKey generate_auth_key(const Secret& admin_pin, bool overwrite,
                                              bool allow_last_try);
    // AuthKeyCard::attest once the user PIN is verified (verify_pin, mode 82).
    [[nodiscard]] Attestation attest(std::string_view context, const Challenge& challenge);

  private:
    struct Impl;  // smartcard/share_store.cpp
    std::unique_ptr<Impl> m_impl;
};

// One OpenPGP card, for its authentication key (key slot 3, CRT A4), held in a
// PC/SC transaction from construction to destruction. PINs it verified are
// cleared (VERIFY P1=FF) before it lets go of the card. Like ShareStore it holds
// a PC/SC transaction: never open both on one reader at the same time (the second
// would wait for the first forever); code holding an open card uses the same
// steps on it (smartcard/attest.hpp).
class AuthKeyCard final {
  public:
    // As ShareStore: connects, selects the OpenPGP application, reads the AID.
    explicit AuthKeyCard(const std::string& reader);
    ~AuthKeyCard();
    AuthKeyCard(AuthKeyCard&&) noexcept;
    AuthKeyCard& operator=(AuthKeyCard&&) noexcept;

    [[nodiscard]] const std::string& label() const noexcept;
    [[nodiscard]] const std::string& serial() const noexcept;

    // The authentication public key (no PIN needed), nullopt when there is none.
    // Error(device) for a key smk cannot use (not RSA, shorter than 2048 bits).
    [[nodiscard]] std::optional<PublicKey> public_key();

    // Generates a new authentication key on the card (admin PIN, PW3 in mode
    // 83; its tries are checked as verify_pin's), reads it back and compares,
    // and writes its OpenPGP fingerprint and creation time (C9, D0) as GnuPG
    // does, so `gpg --card-status` shows it. Refuses (Error(refused), nothing
    // sent but the PIN check) when the slot already holds a key unless
    // `overwrite`: the old key would be gone for good.
    [[nodiscard]] PublicKey generate(const Secret& admin_pin, bool overwrite, bool allow_last_try);

    // Verifies the user PIN (PW1, mode 82) and has the card sign
    // attestation_message(serial(), context, challenge). Error(device) before the
    // PIN is tried when the card has no authentication key. Does not check the
    // answer: check_attestation does, against the key the verifier trusts.
    [[nodiscard]] Attestation attest(const Secret& pin, std::string_view context,
                                     const Challenge& challenge, bool allow_last_try);

  private:
    struct Impl;  // smartcard/attest.cpp
    std::unique_ptr<Impl> m_impl;
};

// The message shown where a card cannot hold the record (no or too small
// private DOs): points at the PKCS#11 token store (smk/pkcs11.hpp).
[[nodiscard]] std::string pkcs11_store_hint();

}  // namespace smk::card
