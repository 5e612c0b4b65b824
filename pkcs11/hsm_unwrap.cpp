// Restoring a key backup: checks FILE.sha256sum and the wrapping key's KCV,
// unwraps every key (KCV checked where recorded; a private key's public half
// recreated and checked against it), and on any failure destroys every object
// it created.

#include <fmt/core.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backup_file.hpp"
#include "hsm_keys.hpp"
#include "pkcs11_raw.hpp"
#include "smk/error.hpp"
#include "smk/hsm.hpp"
#include "smk/sha256.hpp"

namespace smk::hsm {

// The helpers of hsm_keys.hpp, backup_file.hpp and pkcs11_raw.hpp this file uses.
using detail::BackupKey;
using detail::bad_backup;
using detail::destroy_quietly;
using detail::kcv_of;
using detail::kcv_text;
using detail::one_key;
using detail::ParsedBackup;
using detail::read_small_file;
using detail::sha256sum_path;
using pkcs11::attribute;
using pkcs11::attribute_bytes;
using pkcs11::attribute_text;
using smk::sha256_hex;
using smk::sha256_hex_from_text;

namespace {

// Objects labelled `label` that are not in `before` (what a failed call left behind).
void add_new_objects(pkcs11::SessionImpl& s, std::string_view label,
                     const std::vector<CK_OBJECT_HANDLE>& before,
                     std::vector<CK_OBJECT_HANDLE>& created) {
    for (const CK_OBJECT_HANDLE object : detail::find_keys_labelled(s, label)) {
        if (std::find(before.begin(), before.end(), object) == before.end() &&
            std::find(created.begin(), created.end(), object) == created.end()) {
            created.push_back(object);
        }
    }
}

// The unwrapped private key's public values and a signature made with it, checked
// against the public key object created from the backup.
void check_key_pair(pkcs11::SessionImpl& s, const BackupKey& key, CK_OBJECT_HANDLE private_key,
                    CK_OBJECT_HANDLE public_key, const std::filesystem::path& file) {
    const auto mismatch = [&](std::string_view what) {
        return Error(ErrorCategory::verification,
                     fmt::format("the public key {} records for key \"{}\" does not match the "
                                 "private key unwrapped on {} ({}); nothing was restored. Use "
                                 "another backup copy",
                                 file.string(), key.info.label, s.name, what));
    };
    for (const auto& [type, value] : key.public_values) {
        // RSA private keys state the modulus and exponent, EC ones the curve (not the point).
        if (type == CKA_EC_POINT) {
            continue;
        }
        const auto stated = pkcs11::get_attribute(s, private_key, type);
        if (stated && *stated != value) {
            throw mismatch(type == CKA_EC_PARAMS ? "another curve" : "another modulus or exponent");
        }
    }
    bool may_sign = false;
    for (const auto& [type, value] : key.flags) {
        may_sign = may_sign || (type == CKA_SIGN && value);
    }
    if (!may_sign) {
        return;
    }
    // A signature by the private half that the public half verifies.
    const std::string challenge = "smk restore check: " + key.info.label;
    const Sha256 digest = sha256_text(challenge);
    CK_MECHANISM mechanism{key.key_type == CKK_RSA ? CKM_SHA256_RSA_PKCS : CKM_ECDSA, nullptr, 0};
    std::vector<std::uint8_t> message =
        key.key_type == CKK_RSA ? std::vector<std::uint8_t>(challenge.begin(), challenge.end())
                                : std::vector<std::uint8_t>(digest.begin(), digest.end());
    pkcs11::check_rv(s.f().C_SignInit(s.handle, &mechanism, private_key),
                     fmt::format("signing with the restored key \"{}\"", key.info.label), s);
    std::vector<std::uint8_t> signature(1024);
    CK_ULONG length = signature.size();
    pkcs11::check_rv(
        s.f().C_Sign(s.handle, message.data(), message.size(), signature.data(), &length),
        fmt::format("signing with the restored key \"{}\"", key.info.label), s);
    signature.resize(length);
    pkcs11::check_rv(s.f().C_VerifyInit(s.handle, &mechanism, public_key),
                     fmt::format("verifying with the restored public key \"{}\"", key.info.label),
                     s);
    const CK_RV rv = s.f().C_Verify(s.handle, message.data(), message.size(), signature.data(),
                                    signature.size());
    if (rv != CKR_OK) {
        throw mismatch(fmt::format("its signature does not verify: {}", pkcs11::rv_text(rv)));
    }
}

// C_UnwrapKey of one key with its recorded attributes; for a private key also
// C_CreateObject of its public key, then the pair checked. Every object made goes
// into `created` as soon as it exists.
void restore_one(pkcs11::SessionImpl& s, CK_OBJECT_HANDLE wrapping, std::string_view wrapping_label,
                 const BackupKey& key, const std::vector<CK_OBJECT_HANDLE>& before,
                 const std::filesystem::path& file, std::vector<CK_OBJECT_HANDLE>& created) {
    CK_OBJECT_CLASS key_class = key.key_class;
    CK_KEY_TYPE key_type = key.key_type;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    std::vector<CK_BBOOL> values;
    values.reserve(key.flags.size() + key.public_flags.size());
    std::vector<CK_ATTRIBUTE> key_template = {
        attribute(CKA_CLASS, key_class), attribute(CKA_KEY_TYPE, key_type),
        attribute(CKA_TOKEN, yes), attribute(CKA_PRIVATE, yes),
        attribute_text(CKA_LABEL, key.info.label)};
    if (!key.id.empty()) {
        key_template.push_back(attribute_bytes(CKA_ID, key.id));
    }
    for (const auto& [type, value] : key.flags) {
        // A restored key is sensitive whatever the source said.
        values.push_back(type == CKA_SENSITIVE || value ? CK_TRUE : CK_FALSE);
        key_template.push_back({type, &values.back(), sizeof(CK_BBOOL)});
    }
    if (key.info.wrap_with_trusted) {
        // Set only when recorded: a token that lacks the attribute still restores the others.
        key_template.push_back(attribute(CKA_WRAP_WITH_TRUSTED, yes));
    }
    CK_MECHANISM mechanism{kAesKeyWrapPad, nullptr, 0};
    CK_OBJECT_HANDLE restored = CK_INVALID_HANDLE;
    const CK_RV rv = s.f().C_UnwrapKey(
        s.handle, &mechanism, wrapping, const_cast<std::uint8_t*>(key.wrapped.data()),
        key.wrapped.size(), key_template.data(), key_template.size(), &restored);
    if (rv != CKR_OK) {
        // SoftHSM2 can leave an object behind after a failed unwrap.
        add_new_objects(s, key.info.label, before, created);
        const bool template_refused =
            rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_READ_ONLY ||
            rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_TEMPLATE_INCONSISTENT;
        if (template_refused && key.info.wrap_with_trusted) {
            throw Error(ErrorCategory::refused,
                        fmt::format("{} will not restore key \"{}\" with CKA_WRAP_WITH_TRUSTED, "
                                    "which the backup records for it ({}); nothing was restored. "
                                    "Restore it into a token that supports the attribute",
                                    s.name, key.info.label, pkcs11::rv_text(rv)));
        }
        throw Error(ErrorCategory::verification,
                    fmt::format("unwrapping key \"{}\" from {} under \"{}\" on {} failed ({}): "
                                "the backup was not wrapped under this key, or is damaged; "
                                "nothing was restored",
                                key.info.label, file.string(), wrapping_label, s.name,
                                pkcs11::rv_text(rv)));
    }
    created.push_back(restored);
    if (key.info.kcv_hex) {
        const Kcv kcv = kcv_of(s, restored, key.info.label);
        if (kcv_text(kcv) != *key.info.kcv_hex) {
            throw Error(ErrorCategory::verification,
                        fmt::format("key \"{}\" restored on {} has KCV {}, the backup "
                                    "recorded {}; nothing was restored",
                                    key.info.label, s.name, kcv_text(kcv), *key.info.kcv_hex));
        }
    }
    if (key.key_class != CKO_PRIVATE_KEY) {
        return;
    }
    CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
    std::vector<CK_ATTRIBUTE> public_template = {
        attribute(CKA_CLASS, public_class), attribute(CKA_KEY_TYPE, key_type),
        attribute(CKA_TOKEN, yes), attribute(CKA_PRIVATE, no),
        attribute_text(CKA_LABEL, key.info.label)};
    if (!key.id.empty()) {
        public_template.push_back(attribute_bytes(CKA_ID, key.id));
    }
    for (const auto& [type, value] : key.public_values) {
        public_template.push_back(attribute_bytes(type, value));
    }
    for (const auto& [type, value] : key.public_flags) {
        values.push_back(value ? CK_TRUE : CK_FALSE);
        public_template.push_back({type, &values.back(), sizeof(CK_BBOOL)});
    }
    CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;
    const CK_RV created_rv =
        s.f().C_CreateObject(s.handle, public_template.data(), public_template.size(), &public_key);
    if (created_rv != CKR_OK) {
        throw Error(
            ErrorCategory::verification,
            fmt::format("creating the public key \"{}\" from {} on {} failed ({}): the "
                        "backup's public key is damaged; nothing was restored",
                        key.info.label, file.string(), s.name, pkcs11::rv_text(created_rv)));
    }
    created.push_back(public_key);
    check_key_pair(s, key, restored, public_key, file);
}

// The backup's MAC checked inside the token under the wrapping key.
void check_backup_mac(pkcs11::SessionImpl& s, CK_OBJECT_HANDLE wrapping,
                      std::string_view wrapping_label, const ParsedBackup& backup,
                      const std::filesystem::path& file) {
    CK_MECHANISM mechanism{CKM_AES_CMAC, nullptr, 0};
    CK_RV rv = s.f().C_VerifyInit(s.handle, &mechanism, wrapping);
    if (rv == CKR_KEY_FUNCTION_NOT_PERMITTED) {
        throw Error(
            ErrorCategory::refused,
            fmt::format("key \"{}\" on {} may not verify (CKA_VERIFY false), so the MAC of "
                        "{} cannot be checked; nothing was restored. It was installed by "
                        "an older smk: install the SMK again with smk hsm install --replace",
                        wrapping_label, s.name, file.string()));
    }
    pkcs11::check_rv(rv, fmt::format("starting to check the MAC of {}", file.string()), s);
    std::vector<std::uint8_t> data(backup.mac_input.begin(), backup.mac_input.end());
    rv = s.f().C_Verify(s.handle, data.data(), data.size(),
                        const_cast<std::uint8_t*>(backup.mac.data()), backup.mac.size());
    if (rv == CKR_SIGNATURE_INVALID || rv == CKR_SIGNATURE_LEN_RANGE) {
        throw Error(
            ErrorCategory::verification,
            fmt::format("the MAC of {} does not verify under key \"{}\" on {}: something in "
                        "the file was changed after it was made (a label, a usage flag, a "
                        "wrapped key, a key check value), or it was made under another "
                        "SMK; nothing was restored. Use another backup copy",
                        file.string(), wrapping_label, s.name));
    }
    pkcs11::check_rv(rv, fmt::format("checking the MAC of {}", file.string()), s);
}

}  // namespace

std::string check_backup_file(const std::filesystem::path& file,
                              const std::optional<std::string>& expected_sha256) {
    const std::string expected = detail::expected_digest(file);
    const std::string actual = sha256_hex(read_small_file(file, "backup"));
    if (actual != expected) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} does not match {} (SHA-256 {}, expected {}): the backup is "
                                "damaged or altered; nothing was restored. Use another backup copy",
                                file.string(), sha256sum_path(file).string(), actual, expected));
    }
    if (expected_sha256) {
        const std::optional<std::string> parsed = sha256_hex_from_text(*expected_sha256);
        if (!parsed) {
            throw Error(ErrorCategory::usage,
                        fmt::format("the SHA-256 recorded for {} (\"{}\") is neither 64 hex "
                                    "digits nor the colon form of openssl dgst -c; nothing "
                                    "was restored",
                                    file.string(), *expected_sha256));
        }
        const std::string& recorded = *parsed;
        if (recorded != actual) {
            throw Error(ErrorCategory::verification,
                        fmt::format("{} has SHA-256 {}, but {} was recorded when the backup was "
                                    "made: this is not that backup, or it was altered with its "
                                    ".sha256sum; nothing was restored. Use another backup copy",
                                    file.string(), actual, recorded));
        }
    }
    return actual;
}

namespace {

// The file checked (check_backup_file), read once more and parsed: its SHA-256 and content.
std::pair<std::string, ParsedBackup> checked_backup(
    const std::filesystem::path& file, const std::optional<std::string>& expected_sha256) {
    std::string actual = check_backup_file(file, expected_sha256);
    const std::string text = read_small_file(file, "backup");
    if (sha256_hex(text) != actual) {
        throw Error(
            ErrorCategory::verification,
            fmt::format("{} changed while it was being read; nothing was restored", file.string()));
    }
    return {std::move(actual), detail::parse_backup(text, file)};
}

}  // namespace

BackupSummary read_backup(const std::filesystem::path& file,
                          const std::optional<std::string>& expected_sha256) {
    const auto [actual, backup] = checked_backup(file, expected_sha256);
    BackupSummary summary;
    summary.file = file;
    summary.sha256sum_file = sha256sum_path(file);
    summary.sha256_hex = actual;
    summary.wrapping_label = backup.wrapping_label;
    summary.wrapping_kcv_hex = backup.wrapping_kcv;
    for (const auto& key : backup.keys) {
        summary.keys.push_back(key.info);
    }
    return summary;
}

std::vector<std::string> labels_held(pkcs11::Session& session,
                                     const std::vector<std::string>& labels) {
    auto& s = pkcs11::raw(session);
    std::vector<std::string> held;
    for (const auto& label : labels) {
        if (!detail::find_keys_labelled(s, label).empty()) {
            held.push_back(label);
        }
    }
    return held;
}

void require_restore_mechanisms(pkcs11::Session& session) {
    auto& s = pkcs11::raw(session);
    detail::require_mechanism(s, kAesKeyWrapPad, CKF_UNWRAP, "CKM_AES_KEY_WRAP_PAD",
                              "unwrap the backup's keys");
    detail::require_mechanism(s, CKM_AES_CMAC, CKF_VERIFY, "CKM_AES_CMAC",
                              "check the backup's MAC");
}

BackupSummary unwrap_keys(pkcs11::Session& session, std::string_view wrapping_label,
                          const std::filesystem::path& file, const UnwrapOptions& options) {
    auto& s = pkcs11::raw(session);
    const auto [actual, backup] = checked_backup(file, options.expected_sha256);
    require_restore_mechanisms(session);

    const CK_OBJECT_HANDLE wrapping = one_key(s, wrapping_label);
    const Kcv wrapping_kcv = kcv_of(s, wrapping, wrapping_label);
    if (kcv_text(wrapping_kcv) != backup.wrapping_kcv) {
        throw Error(ErrorCategory::verification,
                    fmt::format("key \"{}\" on {} has KCV {}, but {} was wrapped under a key with "
                                "KCV {}: install the right SMK first; nothing was restored",
                                wrapping_label, s.name, kcv_text(wrapping_kcv), file.string(),
                                backup.wrapping_kcv));
    }
    check_backup_mac(s, wrapping, wrapping_label, backup, file);
    std::vector<std::vector<CK_OBJECT_HANDLE>> old_keys;
    for (const auto& key : backup.keys) {
        if (key.info.label == wrapping_label) {
            bad_backup(file, fmt::format("it holds a key labelled like the wrapping key \"{}\"",
                                         wrapping_label));
        }
        old_keys.push_back(detail::find_keys_labelled(s, key.info.label));
        if (!old_keys.back().empty() && !options.replace) {
            throw Error(ErrorCategory::refused,
                        fmt::format("{} already holds a key labelled \"{}\"; nothing was "
                                    "restored. Give --replace to replace such keys",
                                    s.name, key.info.label));
        }
    }

    BackupSummary summary;
    summary.file = file;
    summary.sha256sum_file = sha256sum_path(file);
    summary.sha256_hex = actual;
    summary.wrapping_label = wrapping_label;
    summary.wrapping_kcv_hex = backup.wrapping_kcv;
    std::vector<CK_OBJECT_HANDLE> created;
    try {
        for (std::size_t i = 0; i < backup.keys.size(); ++i) {
            restore_one(s, wrapping, wrapping_label, backup.keys[i], old_keys[i], file, created);
            summary.keys.push_back(backup.keys[i].info);
        }
    } catch (...) {
        destroy_quietly(s, created);
        throw;
    }
    for (const auto& old : old_keys) {
        for (const CK_OBJECT_HANDLE object : old) {
            pkcs11::destroy_object(s, object);
        }
    }
    return summary;
}

}  // namespace smk::hsm
