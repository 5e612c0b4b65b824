// PKCS#11 modules, tokens and sessions: libp11 loads the module and lists the
// tokens; the raw function list of the same loaded module does the rest.

#include <dlfcn.h>
#include <fmt/core.h>
#include <libp11.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "pkcs11_raw.hpp"
#include "smk/error.hpp"

namespace smk::pkcs11 {
namespace {

std::string trimmed(const char* text) {
    std::string value = text != nullptr ? text : "";
    while (!value.empty() && (value.back() == ' ' || value.back() == '\0')) {
        value.pop_back();
    }
    return value;
}

TokenInfo token_info(const PKCS11_SLOT& slot) {
    const PKCS11_TOKEN& token = *slot.token;
    TokenInfo info;
    info.label = trimmed(token.label);
    info.serial = trimmed(token.serialnr);
    info.manufacturer = trimmed(token.manufacturer);
    info.model = trimmed(token.model);
    info.slot_id = PKCS11_get_slotid_from_slot(const_cast<PKCS11_SLOT*>(&slot));
    info.initialized = token.initialized != 0;
    info.login_required = token.loginRequired != 0;
    info.user_pin_set = token.userPinSet != 0;
    info.read_only = token.readOnly != 0;
    info.user_pin_count_low = token.userPinCountLow != 0;
    info.user_pin_final_try = token.userPinFinalTry != 0;
    info.user_pin_locked = token.userPinLocked != 0;
    return info;
}

std::string token_name(const TokenInfo& info) {
    return fmt::format("token \"{}\" (serial {})", info.label, info.serial);
}

// The flags of the token now (after a failed login they may have changed).
std::optional<CK_TOKEN_INFO> current_token_info(const SessionImpl& session) {
    CK_TOKEN_INFO info{};
    if (session.f().C_GetTokenInfo(session.token.slot_id, &info) != CKR_OK) {
        return std::nullopt;
    }
    return info;
}

}  // namespace

std::string_view rv_name(CK_RV rv) noexcept {
    switch (rv) {
        case CKR_OK:
            return "CKR_OK";
        case CKR_GENERAL_ERROR:
            return "CKR_GENERAL_ERROR";
        case CKR_FUNCTION_FAILED:
            return "CKR_FUNCTION_FAILED";
        case CKR_ARGUMENTS_BAD:
            return "CKR_ARGUMENTS_BAD";
        case CKR_ATTRIBUTE_READ_ONLY:
            return "CKR_ATTRIBUTE_READ_ONLY";
        case CKR_ATTRIBUTE_SENSITIVE:
            return "CKR_ATTRIBUTE_SENSITIVE";
        case CKR_ATTRIBUTE_TYPE_INVALID:
            return "CKR_ATTRIBUTE_TYPE_INVALID";
        case CKR_ATTRIBUTE_VALUE_INVALID:
            return "CKR_ATTRIBUTE_VALUE_INVALID";
        case CKR_DEVICE_ERROR:
            return "CKR_DEVICE_ERROR";
        case CKR_DEVICE_MEMORY:
            return "CKR_DEVICE_MEMORY";
        case CKR_DEVICE_REMOVED:
            return "CKR_DEVICE_REMOVED";
        case CKR_ENCRYPTED_DATA_INVALID:
            return "CKR_ENCRYPTED_DATA_INVALID";
        case CKR_KEY_HANDLE_INVALID:
            return "CKR_KEY_HANDLE_INVALID";
        case CKR_KEY_TYPE_INCONSISTENT:
            return "CKR_KEY_TYPE_INCONSISTENT";
        case CKR_KEY_FUNCTION_NOT_PERMITTED:
            return "CKR_KEY_FUNCTION_NOT_PERMITTED";
        case CKR_KEY_UNEXTRACTABLE:
            return "CKR_KEY_UNEXTRACTABLE";
        case CKR_MECHANISM_INVALID:
            return "CKR_MECHANISM_INVALID";
        case CKR_MECHANISM_PARAM_INVALID:
            return "CKR_MECHANISM_PARAM_INVALID";
        case CKR_OBJECT_HANDLE_INVALID:
            return "CKR_OBJECT_HANDLE_INVALID";
        case CKR_PIN_INCORRECT:
            return "CKR_PIN_INCORRECT";
        case CKR_PIN_INVALID:
            return "CKR_PIN_INVALID";
        case CKR_PIN_LEN_RANGE:
            return "CKR_PIN_LEN_RANGE";
        case CKR_PIN_EXPIRED:
            return "CKR_PIN_EXPIRED";
        case CKR_PIN_LOCKED:
            return "CKR_PIN_LOCKED";
        case CKR_SESSION_CLOSED:
            return "CKR_SESSION_CLOSED";
        case CKR_SESSION_HANDLE_INVALID:
            return "CKR_SESSION_HANDLE_INVALID";
        case CKR_SESSION_READ_ONLY:
            return "CKR_SESSION_READ_ONLY";
        case CKR_TEMPLATE_INCOMPLETE:
            return "CKR_TEMPLATE_INCOMPLETE";
        case CKR_TEMPLATE_INCONSISTENT:
            return "CKR_TEMPLATE_INCONSISTENT";
        case CKR_TOKEN_NOT_PRESENT:
            return "CKR_TOKEN_NOT_PRESENT";
        case CKR_TOKEN_WRITE_PROTECTED:
            return "CKR_TOKEN_WRITE_PROTECTED";
        case CKR_UNWRAPPING_KEY_HANDLE_INVALID:
            return "CKR_UNWRAPPING_KEY_HANDLE_INVALID";
        case CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT:
            return "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT";
        case CKR_USER_ALREADY_LOGGED_IN:
            return "CKR_USER_ALREADY_LOGGED_IN";
        case CKR_USER_NOT_LOGGED_IN:
            return "CKR_USER_NOT_LOGGED_IN";
        case CKR_USER_PIN_NOT_INITIALIZED:
            return "CKR_USER_PIN_NOT_INITIALIZED";
        case CKR_WRAPPED_KEY_INVALID:
            return "CKR_WRAPPED_KEY_INVALID";
        case CKR_WRAPPED_KEY_LEN_RANGE:
            return "CKR_WRAPPED_KEY_LEN_RANGE";
        case CKR_WRAPPING_KEY_HANDLE_INVALID:
            return "CKR_WRAPPING_KEY_HANDLE_INVALID";
        case CKR_WRAPPING_KEY_TYPE_INCONSISTENT:
            return "CKR_WRAPPING_KEY_TYPE_INCONSISTENT";
        case CKR_CRYPTOKI_NOT_INITIALIZED:
            return "CKR_CRYPTOKI_NOT_INITIALIZED";
        case CKR_FUNCTION_NOT_SUPPORTED:
            return "CKR_FUNCTION_NOT_SUPPORTED";
        case CKR_USER_TYPE_INVALID:
            return "CKR_USER_TYPE_INVALID";
        case CKR_KEY_NOT_WRAPPABLE:
            return "CKR_KEY_NOT_WRAPPABLE";
        case CKR_ACTION_PROHIBITED:
            return "CKR_ACTION_PROHIBITED";
        case CKR_BUFFER_TOO_SMALL:
            return "CKR_BUFFER_TOO_SMALL";
        default:
            return "";
    }
}

std::string rv_text(unsigned long rv) {
    const std::string_view name = rv_name(rv);
    return name.empty() ? fmt::format("PKCS#11 error 0x{:x}", rv)
                        : fmt::format("{} (0x{:x})", name, rv);
}

namespace {

// Return values with which a module says the token went away or its storage
// failed under it (SoftHSM2 answers CKR_GENERAL_ERROR when its token directory
// has vanished: tests/faults/test_hsm_token_faults.cpp).
bool token_gone(CK_RV rv) {
    return rv == CKR_GENERAL_ERROR || rv == CKR_DEVICE_ERROR || rv == CKR_DEVICE_REMOVED ||
           rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SESSION_CLOSED ||
           rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_DEVICE_MEMORY;
}

}  // namespace

void check_rv(CK_RV rv, std::string_view what, const SessionImpl& session) {
    if (rv == CKR_OK) {
        return;
    }
    std::string advice;
    if (token_gone(rv)) {
        advice = fmt::format(
            ". The token may have been removed, or its storage failed (SoftHSM2: the token's "
            "directory under directories.tokendir is gone or unreadable). Check that {} is "
            "present ('smk hsm tokens'), reconnect or restore it, and run the command again",
            session.name);
    }
    throw Error(ErrorCategory::device,
                fmt::format("{} on {} failed: {}{}", what, session.name, rv_text(rv), advice));
}

// --- Module --------------------------------------------------------------------

ModuleImpl::~ModuleImpl() {
    if (ctx != nullptr) {
        if (slots != nullptr) {
            PKCS11_release_all_slots(ctx, slots, slot_count);
        }
        PKCS11_CTX_unload(ctx);
        PKCS11_CTX_free(ctx);
    }
    if (dl != nullptr) {
        ::dlclose(dl);
    }
}

Module::Module(const std::string& path) : m_impl(std::make_shared<ModuleImpl>()) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) {
        throw Error(ErrorCategory::io,
                    fmt::format("PKCS#11 module \"{}\" does not exist; give the path of the "
                                "token's module with --pkcs11-module (SoftHSM2: "
                                "/usr/lib/softhsm/libsofthsm2.so)",
                                path));
    }
    m_impl->path = path;
    m_impl->ctx = PKCS11_CTX_new();
    if (m_impl->ctx == nullptr) {
        throw Error(ErrorCategory::internal, "out of memory creating a PKCS#11 context");
    }
    if (PKCS11_CTX_load(m_impl->ctx, path.c_str()) != 0) {
        // libp11 frees nothing on failure; the destructor must not unload.
        PKCS11_CTX_free(m_impl->ctx);
        m_impl->ctx = nullptr;
        throw Error(ErrorCategory::device,
                    fmt::format("cannot load PKCS#11 module \"{}\" (not a PKCS#11 module, or "
                                "its C_Initialize failed: for SoftHSM2 check SOFTHSM2_CONF and "
                                "its token directory)",
                                path));
    }
    // The same path gives the same handle libp11 holds: the module is loaded
    // (and initialised) once, and we reach its functions.
    m_impl->dl = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (m_impl->dl == nullptr) {
        throw Error(
            ErrorCategory::internal,
            fmt::format("PKCS#11 module \"{}\" loaded by libp11 is not found by dlopen", path));
    }
    auto* get_list =
        reinterpret_cast<CK_C_GetFunctionList>(::dlsym(m_impl->dl, "C_GetFunctionList"));
    if (get_list == nullptr || get_list(&m_impl->functions) != CKR_OK ||
        m_impl->functions == nullptr) {
        throw Error(ErrorCategory::device,
                    fmt::format("PKCS#11 module \"{}\" has no C_GetFunctionList", path));
    }
    if (PKCS11_enumerate_slots(m_impl->ctx, &m_impl->slots, &m_impl->slot_count) != 0) {
        m_impl->slots = nullptr;
        m_impl->slot_count = 0;
        throw Error(ErrorCategory::device,
                    fmt::format("cannot list the slots of PKCS#11 module \"{}\"", path));
    }
}

Module::~Module() = default;
Module::Module(Module&&) noexcept = default;
Module& Module::operator=(Module&&) noexcept = default;

const std::string& Module::path() const noexcept {
    return m_impl->path;
}

std::vector<TokenInfo> Module::tokens() const {
    std::vector<TokenInfo> tokens;
    for (unsigned int i = 0; i < m_impl->slot_count; ++i) {
        const PKCS11_SLOT& slot = m_impl->slots[i];
        if (slot.token != nullptr) {
            tokens.push_back(token_info(slot));
        }
    }
    return tokens;
}

// --- Session -------------------------------------------------------------------

Session::Session(const Module& module, std::string_view label)
    : m_impl(std::make_unique<SessionImpl>()) {
    m_impl->module = module.m_impl;
    std::vector<TokenInfo> matches;
    std::string present;
    for (const auto& token : module.tokens()) {
        if (!token.initialized) {
            continue;
        }
        present += fmt::format("{}\"{}\"", present.empty() ? "" : ", ", token.label);
        if (token.label == label) {
            matches.push_back(token);
        }
    }
    if (matches.empty()) {
        throw Error(ErrorCategory::usage,
                    fmt::format("no token labelled \"{}\" in PKCS#11 module \"{}\"; tokens "
                                "present: {}",
                                label, module.path(), present.empty() ? "none" : present));
    }
    if (matches.size() > 1) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} tokens are labelled \"{}\" in PKCS#11 module \"{}\" (serials "
                                "{} and {}); relabel one so that the label names one token",
                                matches.size(), label, module.path(), matches[0].serial,
                                matches[1].serial));
    }
    m_impl->token = matches.front();
    m_impl->name = token_name(m_impl->token);
    const CK_RV rv =
        m_impl->f().C_OpenSession(m_impl->token.slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                  nullptr, nullptr, &m_impl->handle);
    check_rv(rv, "opening a session", *m_impl);
}

Session::~Session() {
    if (m_impl && m_impl->handle != CK_INVALID_HANDLE) {
        // Logged out explicitly first: a login belongs to the token, not to the
        // session, and lives on in the module while other sessions stay open.
        // CKR_USER_NOT_LOGGED_IN when nobody logged in is fine.
        m_impl->f().C_Logout(m_impl->handle);
        m_impl->f().C_CloseSession(m_impl->handle);
    }
}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const TokenInfo& Session::token() const noexcept {
    return m_impl->token;
}
const std::string& Session::name() const noexcept {
    return m_impl->name;
}

void Session::refuse_final_try(bool allow_last_try) const {
    if (m_impl->token.user_pin_final_try && !allow_last_try) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} says one PIN try is left; a wrong PIN would lock it. Check "
                                "the PIN and give --last-try to use that try",
                                m_impl->name));
    }
}

void Session::login(const Secret& pin) {
    auto& s = *m_impl;
    if (s.token.user_pin_locked) {
        throw Error(ErrorCategory::device,
                    fmt::format("the user PIN of {} is locked; the token's security officer "
                                "must unlock it (e.g. softhsm2-util / pkcs11-tool --init-pin)",
                                s.name));
    }
    const CK_RV rv =
        s.f().C_Login(s.handle, CKU_USER, const_cast<std::uint8_t*>(pin.data()), pin.size());
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
        return;
    }
    if (rv == CKR_PIN_INCORRECT) {
        std::string tries;
        if (const auto now = current_token_info(s)) {
            if ((now->flags & CKF_USER_PIN_LOCKED) != 0) {
                throw Error(ErrorCategory::device,
                            fmt::format("wrong PIN for {}: the user PIN is now locked; the "
                                        "token's security officer must unlock it",
                                        s.name));
            }
            if ((now->flags & CKF_USER_PIN_FINAL_TRY) != 0) {
                tries = " ONE TRY IS LEFT before the PIN locks.";
            } else if ((now->flags & CKF_USER_PIN_COUNT_LOW) != 0) {
                tries = " Few tries are left before the PIN locks.";
            }
        }
        throw Error(ErrorCategory::verification,
                    fmt::format("wrong PIN for {} (CKR_PIN_INCORRECT); nothing was changed. "
                                "Check the PIN file and try again.{}",
                                s.name, tries));
    }
    if (rv == CKR_PIN_LOCKED) {
        throw Error(ErrorCategory::device,
                    fmt::format("the user PIN of {} is locked (CKR_PIN_LOCKED); the token's "
                                "security officer must unlock it",
                                s.name));
    }
    if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the PIN for {} has a length or characters the token does not "
                                "accept ({}); check the PIN file",
                                s.name, rv_text(rv)));
    }
    check_rv(rv, "logging in", s);
}

void Session::logout() noexcept {
    m_impl->f().C_Logout(m_impl->handle);
}

void Session::login_so(const Secret& so_pin, bool allow_last_try) {
    auto& s = *m_impl;
    // A wrong SO PIN on its last try would lock the token's administration: never tried
    // without the operator's word, and never on a locked SO PIN.
    if (const auto now = current_token_info(s)) {
        if ((now->flags & CKF_SO_PIN_LOCKED) != 0) {
            throw Error(ErrorCategory::device,
                        fmt::format("the security officer (SO) PIN of {} is locked; nothing was "
                                    "changed",
                                    s.name));
        }
        if ((now->flags & CKF_SO_PIN_FINAL_TRY) != 0 && !allow_last_try) {
            throw Error(ErrorCategory::refused,
                        fmt::format("{} says one security officer (SO) PIN try is left; a wrong "
                                    "SO PIN would lock it. Nothing was changed. Check the SO PIN "
                                    "and give --last-try (smk hsm install) to use that try",
                                    s.name));
        }
    }
    s.f().C_Logout(s.handle);  // SO and user cannot be logged in at once
    const CK_RV rv =
        s.f().C_Login(s.handle, CKU_SO, const_cast<std::uint8_t*>(so_pin.data()), so_pin.size());
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
        return;
    }
    if (rv == CKR_PIN_INCORRECT) {
        throw Error(ErrorCategory::verification,
                    fmt::format("wrong security officer (SO) PIN for {} (CKR_PIN_INCORRECT); "
                                "nothing was changed. Check the SO PIN and try again",
                                s.name));
    }
    if (rv == CKR_PIN_LOCKED) {
        throw Error(ErrorCategory::device,
                    fmt::format("the security officer (SO) PIN of {} is locked "
                                "(CKR_PIN_LOCKED); nothing was changed",
                                s.name));
    }
    // CKR_USER_TYPE_INVALID, CKR_FUNCTION_NOT_SUPPORTED, ...: this token (or this session)
    // takes no SO login.
    throw Error(ErrorCategory::refused,
                fmt::format("{} refused the security officer's login ({}); nothing was changed",
                            s.name, rv_text(rv)));
}

}  // namespace smk::pkcs11
