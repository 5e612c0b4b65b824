#pragma once
// One interface in front of every place that holds a share record (the card
// share record, smk/share_record.hpp): an OpenPGP card (smk::card::ShareStore,
// smk/card.hpp: private DO 0103) or a PKCS#11 token (smk::pkcs11::TokenStore,
// smk/pkcs11.hpp: one private data object). The card or token is chosen once,
// when the store is opened; a command then only uses this interface:
//
//   store.refuse_last_try(allow_last_try);   // before the PIN is even asked for
//   store.unlock(pin, allow_last_try);       // the PIN, checked once
//   store.write_record(record, overwrite);   // or read_share(), wipe()

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smk/secret.hpp"
#include "smk/share_record.hpp"

namespace smk {

class ShareStore {
  public:
    virtual ~ShareStore() = default;

    // How messages name the store: "card FFFF:0000001A in \"Virtual PCD 00 00\"",
    // "token \"smk-rksh-3\" (serial 7a1c0e2b9d3f4a11)".
    [[nodiscard]] virtual const std::string& name() const noexcept = 0;
    // "card" or "token".
    [[nodiscard]] virtual std::string_view kind() const noexcept = 0;
    // What identifies it, for JSON: {"card", serial}, {"reader", name} or
    // {"token", label}, {"serial", serial}.
    [[nodiscard]] virtual std::vector<std::pair<std::string, std::string>> ids() const = 0;
    // What an empty store holds: "DO 0103 is empty", "no smk data object".
    [[nodiscard]] virtual std::string_view empty_text() const noexcept = 0;

    // Error(refused) when the store already says that one PIN try is left, unless
    // allow_last_try (tokens; a card says so only in unlock).
    virtual void refuse_last_try(bool allow_last_try) const = 0;
    // Checks the user PIN once, never retried: Error(verification) for a wrong PIN,
    // Error(refused) for a last try not allowed, Error(device) when locked.
    virtual void unlock(const Secret& pin, bool allow_last_try) = 0;
    // Error(device) when the store cannot hold a record of `record_bytes`.
    virtual void require_capacity(std::size_t record_bytes) const = 0;

    // What the store holds: nothing, a valid record, or garbage (and why).
    [[nodiscard]] virtual card::StoredShare read_share() = 0;
    // Writes a record and reads it back (constant-time compare); Error(refused)
    // when the store holds something unless `overwrite`.
    virtual void write_record(std::span<const std::uint8_t> record, bool overwrite) = 0;
    // Erases the record and checks that none is left.
    virtual void wipe() = 0;
    // What the operator is told after wipe(): "wiped DO 0103 of NAME; it reads back empty".
    [[nodiscard]] virtual std::string wiped_text() const = 0;

  protected:
    ShareStore() = default;
    ShareStore(const ShareStore&) = default;
    ShareStore(ShareStore&&) noexcept = default;
    ShareStore& operator=(const ShareStore&) = default;
    ShareStore& operator=(ShareStore&&) noexcept = default;
};

}  // namespace smk
