// The SMK as a token AES key and its KCV computed inside the token, plus what
// wrapping and unwrapping share (hsm_keys.hpp): the one key of a label, its KCV.

#include <fmt/core.h>

#include <array>
#include <string>
#include <vector>

#include "hsm_keys.hpp"
#include "pkcs11_raw.hpp"
#include "smk/error.hpp"
#include "smk/hsm.hpp"
#include "smk/random.hpp"

namespace smk::hsm {
namespace detail {

std::string key_name(const SessionImpl& session, std::string_view label) {
    return fmt::format("key \"{}\" on {}", label, session.name);
}

// The one secret key labelled `label`.
CK_OBJECT_HANDLE one_key(SessionImpl& session, std::string_view label) {
    const auto keys = pkcs11::find_secret_keys(session, label);
    if (keys.empty()) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} holds no secret key labelled \"{}\" (or the user is not "
                                "logged in)",
                                session.name, label));
    }
    if (keys.size() > 1) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} holds {} secret keys labelled \"{}\"; a label must name one "
                                "key",
                                session.name, keys.size(), label));
    }
    return keys.front();
}

void require_mechanism(SessionImpl& session, CK_MECHANISM_TYPE mechanism, CK_FLAGS flags,
                       std::string_view name, std::string_view step) {
    CK_MECHANISM_INFO info{};
    const CK_RV rv = session.f().C_GetMechanismInfo(session.token.slot_id, mechanism, &info);
    if (rv == CKR_OK && (info.flags & flags) == flags) {
        return;
    }
    std::string needed;
    for (const auto& [flag, text] :
         {std::pair{CKF_WRAP, "wrap"}, std::pair{CKF_UNWRAP, "unwrap"}, std::pair{CKF_SIGN, "sign"},
          std::pair{CKF_VERIFY, "verify"}}) {
        if ((flags & flag) != 0) {
            needed += needed.empty() ? text : std::string(", ") + text;
        }
    }
    throw Error(
        ErrorCategory::refused,
        fmt::format("{} does not offer {} ({}), which smk needs to {}; nothing was "
                    "changed or written. Use a token that offers it",
                    session.name, name,
                    rv == CKR_OK ? "not for " + needed : std::string(pkcs11::rv_name(rv)), step));
}

std::vector<CK_OBJECT_HANDLE> find_keys_labelled(SessionImpl& session, std::string_view label) {
    std::vector<CK_OBJECT_HANDLE> found;
    for (CK_OBJECT_CLASS key_class : {CKO_SECRET_KEY, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
        CK_ATTRIBUTE match[] = {pkcs11::attribute(CKA_CLASS, key_class),
                                pkcs11::attribute_text(CKA_LABEL, label)};
        const auto objects = pkcs11::find_objects(session, match);
        found.insert(found.end(), objects.begin(), objects.end());
    }
    return found;
}

std::optional<Kcv> try_kcv(SessionImpl& session, CK_OBJECT_HANDLE key, CK_RV* failure) {
    CK_MECHANISM ecb{CKM_AES_ECB, nullptr, 0};
    CK_RV rv = session.f().C_EncryptInit(session.handle, &ecb, key);
    if (rv == CKR_OK) {
        std::array<std::uint8_t, 16> zero{};
        std::array<std::uint8_t, 16> out{};
        CK_ULONG out_len = out.size();
        rv = session.f().C_Encrypt(session.handle, zero.data(), zero.size(), out.data(), &out_len);
        if (rv == CKR_OK && out_len == out.size()) {
            return Kcv{out[0], out[1], out[2]};
        }
        if (rv == CKR_OK) {
            rv = CKR_FUNCTION_FAILED;
        }
    }
    if (failure != nullptr) {
        *failure = rv;
    }
    return std::nullopt;
}

Kcv kcv_of(SessionImpl& session, CK_OBJECT_HANDLE key, std::string_view label) {
    CK_RV rv = CKR_OK;
    const auto kcv = try_kcv(session, key, &rv);
    if (!kcv) {
        throw Error(ErrorCategory::device,
                    fmt::format("computing the KCV of {} (AES-ECB of a zero block) failed: {}",
                                key_name(session, label), pkcs11::rv_text(rv)));
    }
    return *kcv;
}

void destroy_quietly(SessionImpl& session, const std::vector<CK_OBJECT_HANDLE>& objects) {
    for (const CK_OBJECT_HANDLE object : objects) {
        session.f().C_DestroyObject(session.handle, object);
    }
}

}  // namespace detail

namespace {

using detail::kcv_of;
using detail::kcv_text;
using pkcs11::attribute;
using pkcs11::attribute_bytes;
using pkcs11::attribute_text;
using pkcs11::check_rv;

}  // namespace

Kcv parse_kcv(std::string_view text, std::string_view what) {
    return smk::parse_kcv(text, what);
}

void check_kcv(const pkcs11::Session& session, std::string_view label, const Kcv& actual,
               const Kcv& expected) {
    if (actual != expected) {
        throw Error(ErrorCategory::verification,
                    fmt::format("the KCV of key \"{}\" on {} is {}, expected {}", label,
                                session.name(), kcv_text(actual), kcv_text(expected)));
    }
}

Kcv kcv_in_token(pkcs11::Session& session, std::string_view label) {
    auto& s = pkcs11::raw(session);
    return kcv_of(s, detail::one_key(s, label), label);
}

namespace {

// The SMK's attributes (smk/hsm.hpp says why each usage flag): the caller adds
// CKA_TOKEN, CKA_PRIVATE and, for a trusted SMK, CKA_TRUSTED.
struct SmkTemplate {
    CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
    CK_KEY_TYPE key_type = CKK_AES;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    std::vector<CK_ATTRIBUTE> attributes;

    SmkTemplate(const Secret& smk, const InstallOptions& options) {
        attributes = {
            attribute(CKA_CLASS, key_class),
            attribute(CKA_KEY_TYPE, key_type),
            attribute(CKA_SENSITIVE, yes),
            attribute(CKA_EXTRACTABLE, no),
            attribute(CKA_ENCRYPT, yes),
            attribute(CKA_DECRYPT, yes),
            attribute(CKA_WRAP, yes),
            attribute(CKA_UNWRAP, yes),
            // Sign and verify: the MAC of a key backup (CKM_AES_CMAC) is made under the SMK.
            attribute(CKA_SIGN, yes),
            attribute(CKA_VERIFY, yes),
            attribute(CKA_DERIVE, no),
            attribute_text(CKA_LABEL, options.label),
            attribute_bytes(CKA_VALUE, smk.bytes()),
        };
        if (!options.id.empty()) {
            attributes.push_back(attribute_bytes(CKA_ID, options.id));
        }
    }
    SmkTemplate(const SmkTemplate&) = delete;
    SmkTemplate& operator=(const SmkTemplate&) = delete;
};

[[noreturn]] void trusted_refused(const pkcs11::SessionImpl& s, std::string_view step, CK_RV rv) {
    throw Error(ErrorCategory::refused,
                fmt::format("{} cannot hold a trusted SMK: {} failed ({}). Nothing was "
                            "installed. Install the SMK without CKA_TRUSTED (no --trusted; in a "
                            "plan, [key] trusted = false): the token then cannot hold keys to "
                            "leave under the SMK alone (CKA_WRAP_WITH_TRUSTED)",
                            s.name, step, pkcs11::rv_text(rv)));
}

// Logs the user in again after the SO's part, whatever happened there.
void back_to_user(pkcs11::Session& session, const Secret& user_pin) {
    session.logout();
    session.login(user_pin);
}

// The SMK as a private token key with CKA_TRUSTED. Only the SO may set CKA_TRUSTED,
// and an SO session cannot create a private object, so the SO makes the key as a
// public *session* object (never stored in the token; visible only to this process),
// and the user, logged in again, copies it into a private token object (C_CopyObject
// may raise CKA_TOKEN and CKA_PRIVATE, PKCS#11 3.0 section 4.4); the session object is
// destroyed on every path. The copy must state CKA_TRUSTED, CKA_PRIVATE and CKA_TOKEN
// true, or it is removed again.
CK_OBJECT_HANDLE create_trusted(pkcs11::Session& session, SmkTemplate& key,
                                const TrustedLogin& login) {
    auto& s = pkcs11::raw(session);
    try {
        session.login_so(login.so_pin, login.allow_so_last_try);
    } catch (const Error&) {
        try {
            back_to_user(session, login.user_pin);
        } catch (const Error&) {
            // The SO's refusal is the error to report; the session is closed at exit.
        }
        throw;
    }
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    std::vector<CK_ATTRIBUTE> as_session_object = key.attributes;
    as_session_object.push_back(attribute(CKA_TOKEN, no));
    as_session_object.push_back(attribute(CKA_PRIVATE, no));
    as_session_object.push_back(attribute(CKA_TRUSTED, yes));
    CK_OBJECT_HANDLE made = CK_INVALID_HANDLE;
    const CK_RV create_rv =
        s.f().C_CreateObject(s.handle, as_session_object.data(), as_session_object.size(), &made);
    CK_OBJECT_HANDLE copied = CK_INVALID_HANDLE;
    CK_RV copy_rv = CKR_OK;
    try {
        back_to_user(session, login.user_pin);
        if (create_rv == CKR_OK) {
            std::vector<CK_ATTRIBUTE> to_token = {attribute(CKA_TOKEN, yes),
                                                  attribute(CKA_PRIVATE, yes)};
            copy_rv = s.f().C_CopyObject(s.handle, made, to_token.data(), to_token.size(), &copied);
        }
    } catch (...) {
        if (create_rv == CKR_OK) {
            detail::destroy_quietly(s, {made});
        }
        throw;
    }
    if (create_rv != CKR_OK) {
        trusted_refused(s, "creating a key with CKA_TRUSTED as the security officer", create_rv);
    }
    detail::destroy_quietly(s, {made});
    if (copy_rv != CKR_OK) {
        trusted_refused(s, "copying the trusted key into a private token key", copy_rv);
    }
    if (pkcs11::get_bool(s, copied, CKA_TRUSTED) != true ||
        pkcs11::get_bool(s, copied, CKA_PRIVATE) != true ||
        pkcs11::get_bool(s, copied, CKA_TOKEN) != true) {
        detail::destroy_quietly(s, {copied});
        trusted_refused(s, "checking CKA_TRUSTED, CKA_PRIVATE and CKA_TOKEN of the copy",
                        CKR_GENERAL_ERROR);
    }
    return copied;
}

CK_OBJECT_HANDLE create_untrusted(pkcs11::SessionImpl& s, SmkTemplate& key,
                                  std::string_view label) {
    CK_BBOOL yes = CK_TRUE;
    std::vector<CK_ATTRIBUTE> as_token_key = key.attributes;
    as_token_key.push_back(attribute(CKA_TOKEN, yes));
    as_token_key.push_back(attribute(CKA_PRIVATE, yes));
    CK_OBJECT_HANDLE created = CK_INVALID_HANDLE;
    const CK_RV rv =
        s.f().C_CreateObject(s.handle, as_token_key.data(), as_token_key.size(), &created);
    try {
        check_rv(rv, fmt::format("installing the SMK as key \"{}\"", label), s);
    } catch (const Error& error) {
        // A failed C_CreateObject creates no object.
        throw Error(error.category(),
                    fmt::format("{}. Nothing was installed on {}", error.what(), s.name));
    }
    return created;
}

}  // namespace

void check_trusted_support(pkcs11::Session& session, const TrustedLogin& login) {
    Secret throwaway(32);
    system_random().fill(throwaway.bytes());
    const InstallOptions probe{std::string(kTrustedCheckLabel), {}, false};  // outlives `key`
    SmkTemplate key(throwaway, probe);
    auto& s = pkcs11::raw(session);
    const CK_OBJECT_HANDLE made = create_trusted(session, key, login);
    const CK_RV rv = s.f().C_DestroyObject(s.handle, made);
    if (rv != CKR_OK || !pkcs11::find_secret_keys(s, kTrustedCheckLabel).empty()) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} can hold a trusted SMK, but the throwaway key \"{}\" made to "
                                "check it could not be destroyed ({}); delete it (e.g. "
                                "pkcs11-tool --delete-object --type secrkey --label ...) and run "
                                "the flow again",
                                s.name, kTrustedCheckLabel, pkcs11::rv_text(rv)));
    }
}

bool is_trusted(pkcs11::Session& session, std::string_view label) {
    auto& s = pkcs11::raw(session);
    return pkcs11::get_bool(s, detail::one_key(s, label), CKA_TRUSTED).value_or(false);
}

Kcv install_smk(pkcs11::Session& session, const Secret& smk, const InstallOptions& options,
                const std::optional<Kcv>& expected, const TrustedLogin* trusted) {
    auto& s = pkcs11::raw(session);
    if (options.label.empty()) {
        throw Error(ErrorCategory::usage, "the SMK key needs a label");
    }
    const Kcv software = key_check_value(smk.bytes());  // checks the length too
    if (expected && software != *expected) {
        throw Error(ErrorCategory::verification,
                    fmt::format("the SMK has KCV {}, expected {}; nothing was installed on {}",
                                kcv_text(software), kcv_text(*expected), s.name));
    }
    if (!pkcs11::find_secret_keys(s, options.label).empty() && !options.replace) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} already holds a secret key labelled \"{}\"; nothing was "
                                "installed. Give --replace to replace it",
                                s.name, options.label));
    }
    SmkTemplate key(smk, options);
    const CK_OBJECT_HANDLE created = trusted != nullptr ? create_trusted(session, key, *trusted)
                                                        : create_untrusted(s, key, options.label);
    // Found after the key is made: a trusted install logs in again, and handles to
    // private objects do not survive that.
    std::vector<CK_OBJECT_HANDLE> old_keys;
    for (const CK_OBJECT_HANDLE found : pkcs11::find_secret_keys(s, options.label)) {
        if (found != created) {
            old_keys.push_back(found);
        }
    }
    Kcv in_token{};
    try {
        in_token = kcv_of(s, created, options.label);
    } catch (const Error& error) {
        // The token may be gone: say whether the unchecked key is still on it.
        if (s.f().C_DestroyObject(s.handle, created) == CKR_OK) {
            throw Error(error.category(),
                        fmt::format("{}. The new key was removed again: nothing was installed",
                                    error.what()));
        }
        throw Error(error.category(),
                    fmt::format("{}. The new, unchecked key could not be removed again: once the "
                                "token is back, look with 'smk hsm kcv --label {}' and delete a "
                                "key of that label whose KCV is not the SMK's before installing "
                                "again",
                                error.what(), options.label));
    } catch (...) {
        detail::destroy_quietly(s, {created});
        throw;
    }
    if (in_token != software) {
        detail::destroy_quietly(s, {created});
        throw Error(ErrorCategory::verification,
                    fmt::format("the key installed on {} has KCV {} inside the token but the SMK "
                                "has {}; it was removed again",
                                s.name, kcv_text(in_token), kcv_text(software)));
    }
    try {
        for (const CK_OBJECT_HANDLE old : old_keys) {
            pkcs11::destroy_object(s, old);
        }
    } catch (const Error& error) {
        throw Error(error.category(),
                    fmt::format("{}. The new SMK key is installed on {} and its KCV {} checked, "
                                "but an old key labelled \"{}\" is still there: once the token "
                                "is back, run the same command again with --replace",
                                error.what(), s.name, kcv_text(in_token), options.label));
    }
    return in_token;
}

}  // namespace smk::hsm
