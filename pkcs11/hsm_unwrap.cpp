// Restoring a key backup: checks FILE.sha256sum and the wrapping key's KCV,
// unwraps every key (KCV checked where recorded), and on any failure destroys
// every key it created.

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backup_file.hpp"
#include "hsm_keys.hpp"
#include "pkcs11_raw.hpp"
#include "smk/error.hpp"
#include "smk/hsm.hpp"
#include "smk/sha256.hpp"

namespace smk::hsm {

// The helpers of hsm_keys.hpp and pkcs11_raw.hpp this file uses.
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

BackupSummary unwrap_keys(pkcs11::Session& session, std::string_view wrapping_label,
                          const std::filesystem::path& file, const UnwrapOptions& options) {
    auto& s = pkcs11::raw(session);
    const std::string expected = detail::expected_digest(file);
    const std::string text = read_small_file(file, "backup");
    const std::string actual = sha256_hex(text);
    if (actual != expected) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} does not match {} (SHA-256 {}, expected {}): the backup is "
                                "damaged or altered; nothing was restored. Use another backup copy",
                                file.string(), sha256sum_path(file).string(), actual, expected));
    }
    const ParsedBackup backup = detail::parse_backup(text, file);

    const CK_OBJECT_HANDLE wrapping = one_key(s, wrapping_label);
    const Kcv wrapping_kcv = kcv_of(s, wrapping, wrapping_label);
    if (kcv_text(wrapping_kcv) != backup.wrapping_kcv) {
        throw Error(ErrorCategory::verification,
                    fmt::format("key \"{}\" on {} has KCV {}, but {} was wrapped under a key with "
                                "KCV {}: install the right SMK first; nothing was restored",
                                wrapping_label, s.name, kcv_text(wrapping_kcv), file.string(),
                                backup.wrapping_kcv));
    }
    std::vector<std::vector<CK_OBJECT_HANDLE>> old_keys;
    for (const auto& key : backup.keys) {
        if (key.info.label == wrapping_label) {
            bad_backup(file, fmt::format("it holds a key labelled like the wrapping key \"{}\"",
                                         wrapping_label));
        }
        old_keys.push_back(pkcs11::find_secret_keys(s, key.info.label));
        if (!old_keys.back().empty() && !options.replace) {
            throw Error(ErrorCategory::refused,
                        fmt::format("{} already holds a secret key labelled \"{}\"; nothing was "
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
            const BackupKey& key = backup.keys[i];
            CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
            CK_KEY_TYPE key_type = key.key_type;
            CK_BBOOL yes = CK_TRUE;
            std::vector<CK_BBOOL> values;
            values.reserve(key.flags.size());
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
            CK_MECHANISM mechanism{kAesKeyWrapPad, nullptr, 0};
            CK_OBJECT_HANDLE restored = CK_INVALID_HANDLE;
            const CK_RV rv = s.f().C_UnwrapKey(
                s.handle, &mechanism, wrapping, const_cast<std::uint8_t*>(key.wrapped.data()),
                key.wrapped.size(), key_template.data(), key_template.size(), &restored);
            if (rv != CKR_OK) {
                // SoftHSM2 can leave an object behind after a failed unwrap.
                for (const CK_OBJECT_HANDLE object : pkcs11::find_secret_keys(s, key.info.label)) {
                    if (std::find(old_keys[i].begin(), old_keys[i].end(), object) ==
                        old_keys[i].end()) {
                        created.push_back(object);
                    }
                }
                throw Error(ErrorCategory::verification,
                            fmt::format("unwrapping key \"{}\" from {} under \"{}\" on {} failed "
                                        "({}): the backup was not wrapped under this key, or is "
                                        "damaged; nothing was restored",
                                        key.info.label, file.string(), wrapping_label, s.name,
                                        pkcs11::rv_text(rv)));
            }
            created.push_back(restored);
            if (key.info.kcv_hex) {
                const Kcv kcv = kcv_of(s, restored, key.info.label);
                if (kcv_text(kcv) != *key.info.kcv_hex) {
                    throw Error(
                        ErrorCategory::verification,
                        fmt::format("key \"{}\" restored on {} has KCV {}, the backup "
                                    "recorded {}; nothing was restored",
                                    key.info.label, s.name, kcv_text(kcv), *key.info.kcv_hex));
                }
            }
            summary.keys.push_back(key.info);
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
