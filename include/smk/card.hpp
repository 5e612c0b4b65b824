#pragma once
// Smartcards: the readers pcscd sees, waiting for a card, and the share store on
// an OpenPGP card (spec 3.4): one share record (smk/share_record.hpp) in the
// private-use data object 0103, which needs the user PIN (PW1) to read and write.
//
// Every card is named in messages by its OpenPGP serial and reader, e.g.
//   card FFFF:0000001A in "Virtual PCD 00 00"
// Failures are smk::Error: device (pcscd, reader, card), refused (would
// overwrite, last PIN try), verification (wrong PIN, read-back differs),
// invalid_input (a PIN of the wrong length).

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

  private:
    struct Impl;  // smartcard/share_store.cpp
    std::unique_ptr<Impl> m_impl;
};

// The message shown where a card cannot hold the record (no or too small
// private DOs): points at the PKCS#11 token store (smk/pkcs11.hpp).
[[nodiscard]] std::string pkcs11_store_hint();

}  // namespace smk::card
