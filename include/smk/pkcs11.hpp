#pragma once
// PKCS#11 tokens: loading a module, the tokens it offers, a session on one token
// found by its label, user login, and the token share store (the card share
// record of smk/share_record.hpp as a private data object).
//
// The module is loaded with libp11 (PKCS11_CTX_load: C_Initialize, slots and
// tokens). libp11 has no data objects, secret keys or wrapping, so everything
// else goes through the function list of the same loaded module (dlopen of the
// same path returns the same handle; C_GetFunctionList), p11-kit's pkcs11.h.
// Login is a raw C_Login too: libp11 keeps a heap copy of the PIN for
// re-login, and a PIN lives only in a Secret here.
//
// Tokens are found by label, exactly, never by slot id: SoftHSM2 reassigns slot
// ids when a token is initialised. Every token is named in messages as
//   token "smk-rksh-3" (serial 7a1c0e2b9d3f4a11)
// Failures are smk::Error: io (no module file), device (module, token, PIN
// locked), usage (no such label, several tokens with the label), verification
// (wrong PIN, read-back differs), refused (would overwrite).
//
// Token share store: one object per token, CKO_DATA, CKA_TOKEN and CKA_PRIVATE
// true, CKA_APPLICATION "smk", CKA_LABEL "smk share", CKA_VALUE the record
// (docs/FORMAT.md section 5). An smk object is any data object whose
// CKA_APPLICATION is "smk", whatever its label (pkcs11-tool writes none).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smk/secret.hpp"
#include "smk/share_record.hpp"
#include "smk/share_store.hpp"

namespace smk::pkcs11 {

inline constexpr std::string_view kShareApplication = "smk";
inline constexpr std::string_view kShareObjectLabel = "smk share";

struct TokenInfo {
    std::string label;
    std::string serial;
    std::string manufacturer;
    std::string model;
    unsigned long slot_id = 0;  // for diagnostics only: it changes, never look tokens up by it
    bool initialized = false;
    bool login_required = false;
    bool user_pin_set = false;
    bool read_only = false;
    bool user_pin_count_low = false;
    bool user_pin_final_try = false;
    bool user_pin_locked = false;
};

class Session;

namespace detail {
// Defined in pkcs11/pkcs11_raw.hpp, beside the sources: never part of the public API.
struct ModuleImpl;
struct SessionImpl;
struct Access;
}  // namespace detail

// A loaded PKCS#11 module (C_Initialize done). Error(io) if the file does not
// exist, Error(device) if it cannot be loaded or initialised.
class Module final {
  public:
    explicit Module(const std::string& path);
    ~Module();
    Module(Module&&) noexcept;
    Module& operator=(Module&&) noexcept;

    [[nodiscard]] const std::string& path() const noexcept;
    // Every slot that holds a token, initialised or not, in slot order.
    [[nodiscard]] std::vector<TokenInfo> tokens() const;

  private:
    friend class Session;
    friend struct detail::Access;
    std::shared_ptr<detail::ModuleImpl> m_impl;
};

// A read-write session on the initialised token whose label is exactly `label`.
// Error(usage) listing the labels present when there is none, or naming the
// slots when several tokens carry it. The module stays loaded while a session
// lives. The session is closed on destruction.
class Session final {
  public:
    Session(const Module& module, std::string_view label);
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;

    [[nodiscard]] const TokenInfo& token() const noexcept;
    // "token \"LABEL\" (serial S)".
    [[nodiscard]] const std::string& name() const noexcept;

    // C_Login as the user (once, never retried). Wrong PIN: Error(verification)
    // saying what to do (and when the token says few tries are left);
    // locked PIN: Error(device). Already logged in counts as success.
    void login(const Secret& pin);
    // C_Login as the token's security officer (CKU_SO), for what only the SO may do
    // (set CKA_TRUSTED). Logs a user out first. Wrong SO PIN: Error(verification);
    // locked: Error(device); one try left without allow_last_try, or a token that takes
    // no SO login: Error(refused). The PIN comes from a file, descriptor or prompt, never argv.
    void login_so(const Secret& so_pin, bool allow_last_try = false);
    // C_Logout (whoever is logged in). Handles to private objects are invalid after it.
    void logout() noexcept;
    // Error(refused) when the token said, as the session was opened, that one
    // user PIN try is left, unless allow_last_try (--last-try).
    void refuse_final_try(bool allow_last_try) const;

  private:
    friend struct detail::Access;
    std::unique_ptr<detail::SessionImpl> m_impl;
};

// The smk share object of one token (the session must be logged in).
class TokenShareStore final {
  public:
    explicit TokenShareStore(Session& session) noexcept : m_session(session) {}

    // empty (no smk object), valid (one object holding a valid record), or
    // garbage (one object that is not a valid record, or several smk objects).
    [[nodiscard]] card::StoredShare read_share();
    // The value of the one smk object; Error(verification) if there is none or several.
    [[nodiscard]] Secret read_raw();
    // Writes the record as a new object, reads it back and compares it in
    // constant time, and only then destroys the object(s) it replaces: a failure
    // never leaves the token without its previous record. Refuses
    // (Error(refused)) when an smk object exists unless `overwrite`.
    void write_record(std::span<const std::uint8_t> record, bool overwrite);
    // Destroys every smk object and checks that none is left.
    void wipe();

  private:
    Session& m_session;
};

// The token share store as one smk::ShareStore (smk/share_store.hpp): loads the
// module, opens a session on the token labelled `label` (as Session does);
// unlock() logs in. What `smk card` uses for --pkcs11-module/--token.
class TokenStore final : public ShareStore {
  public:
    TokenStore(const std::string& module_path, std::string_view label);

    [[nodiscard]] const std::string& name() const noexcept override;
    [[nodiscard]] std::string_view kind() const noexcept override { return "token"; }
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> ids() const override;
    [[nodiscard]] std::string_view empty_text() const noexcept override {
        return "no smk data object";
    }
    void refuse_last_try(bool allow_last_try) const override;
    void unlock(const Secret& pin, bool allow_last_try) override;
    void require_capacity(std::size_t /*record_bytes*/) const override {}
    [[nodiscard]] card::StoredShare read_share() override;
    void write_record(std::span<const std::uint8_t> record, bool overwrite) override;
    void wipe() override;
    [[nodiscard]] std::string wiped_text() const override;

    [[nodiscard]] Session& session() noexcept { return m_session; }

  private:
    Module m_module;
    Session m_session;
};

// Short text for a PKCS#11 return value: "CKR_PIN_INCORRECT (0xa0)".
[[nodiscard]] std::string rv_text(unsigned long rv);

}  // namespace smk::pkcs11
