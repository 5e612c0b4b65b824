#pragma once
// Internal: the raw PKCS#11 side of smk/pkcs11.hpp (p11-kit's pkcs11.h), shared
// by the share store and the HSM functions (and the tests, which look at
// attributes smk itself never reads). Only smk_pkcs11's sources and its tests
// include it: the public header names these types but never defines them.

#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smk/pkcs11.hpp"
#include "smk/secret.hpp"

struct PKCS11_ctx_st;
struct PKCS11_slot_st;

namespace smk::pkcs11 {

namespace detail {

struct ModuleImpl {
    std::string path;
    PKCS11_ctx_st* ctx = nullptr;
    PKCS11_slot_st* slots = nullptr;
    unsigned int slot_count = 0;
    void* dl = nullptr;  // our own reference to the module libp11 loaded
    CK_FUNCTION_LIST* functions = nullptr;

    ModuleImpl() = default;
    ~ModuleImpl();
    ModuleImpl(const ModuleImpl&) = delete;
    ModuleImpl& operator=(const ModuleImpl&) = delete;
};

struct SessionImpl {
    std::shared_ptr<ModuleImpl> module;
    TokenInfo token;
    std::string name;
    CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;

    [[nodiscard]] CK_FUNCTION_LIST& f() const noexcept { return *module->functions; }
};

struct Access {
    [[nodiscard]] static SessionImpl& session(Session& session) noexcept { return *session.m_impl; }
};

}  // namespace detail

using detail::ModuleImpl;
using detail::SessionImpl;

// The raw side of a session: its function list, handle and token.
[[nodiscard]] inline SessionImpl& raw(Session& session) noexcept {
    return detail::Access::session(session);
}

// Error(category) "WHAT on NAME failed: CKR_... (0x..)" unless rv is CKR_OK.
void check_rv(CK_RV rv, std::string_view what, const SessionImpl& session);

// A CK_ATTRIBUTE pointing at a value that outlives the call (no copies).
template <typename T>
CK_ATTRIBUTE attribute(CK_ATTRIBUTE_TYPE type, T& value) {
    return {type, &value, sizeof value};
}
inline CK_ATTRIBUTE attribute_bytes(CK_ATTRIBUTE_TYPE type, std::span<const std::uint8_t> bytes) {
    return {type, const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
}
inline CK_ATTRIBUTE attribute_text(CK_ATTRIBUTE_TYPE type, std::string_view text) {
    return {type, const_cast<char*>(text.data()), text.size()};
}

// Every object matching `match`.
[[nodiscard]] std::vector<CK_OBJECT_HANDLE> find_objects(SessionImpl& session,
                                                         std::span<CK_ATTRIBUTE> match);
// A public attribute's bytes; nullopt if the object has no such attribute or
// refuses to reveal it (CKR_ATTRIBUTE_SENSITIVE / TYPE_INVALID).
[[nodiscard]] std::optional<std::vector<std::uint8_t>> get_attribute(SessionImpl& session,
                                                                     CK_OBJECT_HANDLE object,
                                                                     CK_ATTRIBUTE_TYPE type);
// An attribute that may be secret (CKA_VALUE of a data object), into a Secret.
[[nodiscard]] Secret get_secret_attribute(SessionImpl& session, CK_OBJECT_HANDLE object,
                                          CK_ATTRIBUTE_TYPE type);
[[nodiscard]] std::optional<bool> get_bool(SessionImpl& session, CK_OBJECT_HANDLE object,
                                           CK_ATTRIBUTE_TYPE type);
[[nodiscard]] std::optional<CK_ULONG> get_ulong(SessionImpl& session, CK_OBJECT_HANDLE object,
                                                CK_ATTRIBUTE_TYPE type);
void destroy_object(SessionImpl& session, CK_OBJECT_HANDLE object);

// The secret keys (CKO_SECRET_KEY) whose CKA_LABEL is exactly `label`.
[[nodiscard]] std::vector<CK_OBJECT_HANDLE> find_secret_keys(SessionImpl& session,
                                                             std::string_view label);

// The PKCS#11 name of a return value, "CKR_PIN_INCORRECT".
[[nodiscard]] std::string_view rv_name(CK_RV rv) noexcept;

}  // namespace smk::pkcs11
