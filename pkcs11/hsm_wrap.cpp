// Backing up application keys: each wrapped under the SMK (CKM_AES_KEY_WRAP_PAD)
// into a versioned JSON file plus FILE.sha256sum, written atomically, read back
// and parsed as restore parses it.

#include <fmt/core.h>

#include <set>
#include <string>
#include <vector>

#include "backup_file.hpp"
#include "hsm_keys.hpp"
#include "pkcs11_raw.hpp"
#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"
#include "smk/sha256.hpp"

namespace smk::hsm {

// The helpers of hsm_keys.hpp, backup_file.hpp and pkcs11_raw.hpp this file uses.
using detail::BackupKey;
using detail::Flags;
using detail::kcv_of;
using detail::kcv_text;
using detail::key_name;
using detail::NamedAttribute;
using detail::one_key;
using detail::read_small_file;
using detail::sha256sum_path;
using pkcs11::attribute;
using pkcs11::attribute_bytes;
using pkcs11::attribute_text;
using pkcs11::check_rv;
using smk::sha256_hex;

namespace {

// The objects of one class labelled `label` (and, when `id` is given, with that CKA_ID).
std::vector<CK_OBJECT_HANDLE> objects_of_class(pkcs11::SessionImpl& s, CK_OBJECT_CLASS key_class,
                                               std::string_view label,
                                               const std::vector<std::uint8_t>* id = nullptr) {
    std::vector<CK_ATTRIBUTE> match = {attribute(CKA_CLASS, key_class),
                                       attribute_text(CKA_LABEL, label)};
    if (id != nullptr) {
        match.push_back(attribute_bytes(CKA_ID, *id));
    }
    return pkcs11::find_objects(s, match);
}

// The one secret or private key labelled `label`.
std::pair<CK_OBJECT_HANDLE, CK_OBJECT_CLASS> key_to_back_up(pkcs11::SessionImpl& s,
                                                            std::string_view label) {
    const auto secret = objects_of_class(s, CKO_SECRET_KEY, label);
    const auto private_keys = objects_of_class(s, CKO_PRIVATE_KEY, label);
    const std::size_t count = secret.size() + private_keys.size();
    if (count == 0) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} holds no secret or private key labelled \"{}\" (or the user "
                                "is not logged in); nothing was written",
                                s.name, label));
    }
    if (count > 1) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} holds {} secret and private keys labelled \"{}\"; a label "
                                "must name one key. Nothing was written",
                                s.name, count, label));
    }
    return secret.empty() ? std::pair{private_keys.front(), CKO_PRIVATE_KEY}
                          : std::pair{secret.front(), CKO_SECRET_KEY};
}

Flags read_flags(pkcs11::SessionImpl& s, CK_OBJECT_HANDLE object,
                 std::span<const NamedAttribute> names) {
    Flags flags;
    for (const auto& flag : names) {
        flags.emplace_back(flag.type, pkcs11::get_bool(s, object, flag.type).value_or(false));
    }
    return flags;
}

bool flag(const Flags& flags, CK_ATTRIBUTE_TYPE type) {
    for (const auto& [t, value] : flags) {
        if (t == type) {
            return value;
        }
    }
    return false;
}

// A private key's public half: values and usage flags from the public key object of the
// same label and id, or (RSA only) the values the private key itself states.
void read_public_half(pkcs11::SessionImpl& s, CK_OBJECT_HANDLE private_key, BackupKey& key) {
    const auto names = detail::public_values_of(key.key_type);
    if (names.empty()) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} is a {} private key; smk backs up RSA and EC key pairs only. "
                                "Nothing was written",
                                key_name(s, key.info.label), key.info.key_type));
    }
    const auto public_keys = objects_of_class(s, CKO_PUBLIC_KEY, key.info.label, &key.id);
    if (public_keys.size() > 1) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} holds {} public keys labelled \"{}\" with its id; a label must "
                                "name one key pair. Nothing was written",
                                s.name, public_keys.size(), key.info.label));
    }
    const CK_OBJECT_HANDLE source = public_keys.empty() ? private_key : public_keys.front();
    for (const auto& name : names) {
        auto value = pkcs11::get_attribute(s, source, name.type);
        if (!value || value->empty()) {
            throw Error(
                ErrorCategory::refused,
                fmt::format(
                    "{} has no public key object with its label and id{}, so "
                    "its public half cannot be carried; nothing was written",
                    key_name(s, key.info.label),
                    public_keys.empty() ? "" : " that states its " + std::string(name.name)));
        }
        key.public_values.emplace_back(name.type, std::move(*value));
    }
    if (public_keys.empty()) {
        // The public key object that restore creates may do what the private key may.
        key.public_flags = {{CKA_ENCRYPT, flag(key.flags, CKA_DECRYPT)},
                            {CKA_VERIFY, flag(key.flags, CKA_SIGN)},
                            {CKA_WRAP, flag(key.flags, CKA_UNWRAP)}};
    } else {
        key.public_flags = read_flags(s, source, detail::kPublicKeyFlags);
    }
    const auto& first = key.public_values.front().second;
    key.info.bits = key.key_type == CKK_RSA ? detail::modulus_bits(first) : 0;
    key.info.curve = key.key_type == CKK_EC ? detail::curve_name(first) : "";
}

// A key to back up, read (everything but its wrapped bytes) before anything is changed.
struct KeyToWrap {
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    BackupKey key;
};

// The one key labelled `label`, its attributes and (a key pair) its public half: read
// only, so that every key is known good before a flag is set or anything is wrapped.
KeyToWrap describe_key(pkcs11::SessionImpl& s, const std::string& label) {
    const auto [handle, key_class] = key_to_back_up(s, label);
    KeyToWrap found;
    found.handle = handle;
    BackupKey& key = found.key;
    key.info.label = label;
    key.key_class = key_class;
    key.info.key_class = key_class == CKO_PRIVATE_KEY ? "private" : "secret";
    const auto type = pkcs11::get_ulong(s, handle, CKA_KEY_TYPE);
    if (!type) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} does not state its key type", key_name(s, label)));
    }
    key.key_type = *type;
    key.info.key_type = detail::key_type_name(*type);
    if (pkcs11::get_bool(s, handle, CKA_EXTRACTABLE) == false) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} is not extractable (CKA_EXTRACTABLE false), so it cannot "
                                "be backed up; nothing was written",
                                key_name(s, label)));
    }
    key.id = pkcs11::get_attribute(s, handle, CKA_ID).value_or(std::vector<std::uint8_t>{});
    key.info.id_hex = to_hex(key.id);
    key.flags = read_flags(s, handle, detail::flags_of_class(key_class));
    key.info.wrap_with_trusted = pkcs11::get_bool(s, handle, CKA_WRAP_WITH_TRUSTED).value_or(false);
    if (key_class == CKO_SECRET_KEY) {
        key.info.value_len = pkcs11::get_ulong(s, handle, CKA_VALUE_LEN).value_or(0);
        if (*type == CKK_AES && flag(key.flags, CKA_ENCRYPT)) {
            if (const auto kcv = detail::try_kcv(s, handle, nullptr)) {
                key.info.kcv_hex = kcv_text(*kcv);
            }
        }
    } else {
        read_public_half(s, handle, key);
    }
    return found;
}

void wrap_one(pkcs11::SessionImpl& s, CK_OBJECT_HANDLE wrapping, std::string_view wrapping_label,
              KeyToWrap& found) {
    BackupKey& key = found.key;
    const std::string& label = key.info.label;
    CK_MECHANISM mechanism{kAesKeyWrapPad, nullptr, 0};
    CK_ULONG length = 0;
    CK_RV rv = s.f().C_WrapKey(s.handle, &mechanism, wrapping, found.handle, nullptr, &length);
    key.wrapped.resize(length);
    if (rv == CKR_OK) {
        rv = s.f().C_WrapKey(s.handle, &mechanism, wrapping, found.handle, key.wrapped.data(),
                             &length);
        key.wrapped.resize(length);
    }
    if (rv == CKR_KEY_UNEXTRACTABLE) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} is not extractable (CKA_EXTRACTABLE false), so it cannot "
                                "be backed up; nothing was written",
                                key_name(s, label)));
    }
    check_rv(rv, fmt::format("wrapping key \"{}\" under \"{}\"", label, wrapping_label), s);
}

// The backup's MAC: CKM_AES_CMAC under the wrapping key, inside the token.
std::vector<std::uint8_t> backup_mac(pkcs11::SessionImpl& s, CK_OBJECT_HANDLE wrapping,
                                     std::string_view wrapping_label, const std::string& input) {
    CK_MECHANISM mechanism{CKM_AES_CMAC, nullptr, 0};
    CK_RV rv = s.f().C_SignInit(s.handle, &mechanism, wrapping);
    if (rv == CKR_KEY_FUNCTION_NOT_PERMITTED || rv == CKR_KEY_TYPE_INCONSISTENT) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} may not sign (CKA_SIGN false), so it cannot authenticate the "
                                "backup with a MAC; nothing was written. It was installed by an "
                                "older smk: install the SMK again with smk hsm install --replace",
                                key_name(s, wrapping_label)));
    }
    check_rv(rv, fmt::format("starting the backup's MAC under \"{}\"", wrapping_label), s);
    std::vector<std::uint8_t> mac(detail::kMacBytes);
    CK_ULONG length = mac.size();
    std::vector<std::uint8_t> data(input.begin(), input.end());
    rv = s.f().C_Sign(s.handle, data.data(), data.size(), mac.data(), &length);
    check_rv(rv, fmt::format("computing the backup's MAC under \"{}\"", wrapping_label), s);
    if (length != detail::kMacBytes) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} gave a {}-byte CKM_AES_CMAC; smk expects {}", s.name, length,
                                detail::kMacBytes));
    }
    return mac;
}

// Keys with CKA_WRAP_WITH_TRUSTED leave only under a trusted key: refused up front
// when the wrapping key is not (the token would refuse C_WrapKey).
void require_trusted_wrapping(pkcs11::SessionImpl& s, CK_OBJECT_HANDLE wrapping,
                              std::string_view wrapping_label, const std::vector<KeyToWrap>& keys,
                              bool marking) {
    if (pkcs11::get_bool(s, wrapping, CKA_TRUSTED) == true) {
        return;
    }
    if (marking) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} is not trusted (CKA_TRUSTED false), so keys that may leave "
                                "only under a trusted key cannot be backed up under it; nothing "
                                "was changed or written. Install the SMK with smk hsm install "
                                "--trusted --replace",
                                key_name(s, wrapping_label)));
    }
    for (const auto& found : keys) {
        if (found.key.info.wrap_with_trusted) {
            throw Error(ErrorCategory::refused,
                        fmt::format("{} may leave the token only under a trusted key "
                                    "(CKA_WRAP_WITH_TRUSTED), and \"{}\" is not trusted "
                                    "(CKA_TRUSTED false); nothing was written. Install the SMK "
                                    "with smk hsm install --trusted --replace",
                                    key_name(s, found.key.info.label), wrapping_label));
        }
    }
}

// WrapOptions::wrap_with_trusted, once every key is known good: each key without
// CKA_WRAP_WITH_TRUSTED gets it (irreversible). Returns the labels marked, quoted.
std::string mark_wrap_with_trusted(pkcs11::SessionImpl& s, std::vector<KeyToWrap>& keys) {
    std::string marked;
    for (auto& found : keys) {
        if (found.key.info.wrap_with_trusted) {
            continue;
        }
        CK_BBOOL yes = CK_TRUE;
        CK_ATTRIBUTE set[] = {attribute(CKA_WRAP_WITH_TRUSTED, yes)};
        const CK_RV rv = s.f().C_SetAttributeValue(s.handle, found.handle, set, 1);
        if (rv != CKR_OK) {
            throw Error(
                ErrorCategory::refused,
                fmt::format(
                    "{} will not set CKA_WRAP_WITH_TRUSTED on the existing key \"{}\" "
                    "({}); nothing was written{}. Make the key with "
                    "CKA_WRAP_WITH_TRUSTED true in its generation template, or back "
                    "it up without --wrap-with-trusted",
                    s.name, found.key.info.label, pkcs11::rv_text(rv),
                    marked.empty() ? std::string() : "; it was set, irreversibly, on " + marked));
        }
        found.key.info.wrap_with_trusted = true;
        marked += (marked.empty() ? "\"" : ", \"") + found.key.info.label + "\"";
    }
    return marked;
}

// The wrap, the MAC, the file and its .sha256sum, read back and parsed.
BackupSummary write_backup(pkcs11::SessionImpl& s, CK_OBJECT_HANDLE wrapping,
                           std::string_view wrapping_label, std::vector<KeyToWrap>& keys,
                           const std::filesystem::path& out) {
    const auto sum_file = sha256sum_path(out);
    detail::ParsedBackup backup;
    backup.wrapping_label = wrapping_label;
    backup.wrapping_kcv = kcv_text(kcv_of(s, wrapping, wrapping_label));
    backup.source_label = s.token.label;
    backup.source_serial = s.token.serial;
    for (auto& found : keys) {
        wrap_one(s, wrapping, wrapping_label, found);
        backup.keys.push_back(found.key);
    }
    backup.mac_input = detail::mac_input_of(backup);
    backup.mac = backup_mac(s, wrapping, wrapping_label, backup.mac_input);
    const std::string text = detail::encode_backup(backup);
    BackupSummary summary;
    summary.file = out;
    summary.sha256sum_file = sum_file;
    summary.wrapping_label = wrapping_label;
    summary.wrapping_kcv_hex = backup.wrapping_kcv;
    summary.sha256_hex = sha256_hex(text);
    const std::string sum_line =
        fmt::format("{}  {}\n", summary.sha256_hex, out.filename().string());
    write_new_file(out, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    write_new_file(sum_file,
                   {reinterpret_cast<const std::uint8_t*>(sum_line.data()), sum_line.size()});
    // Read back what reached the file, and parse it as restore will: a backup that
    // cannot be restored is never reported written.
    const std::string written = read_small_file(out, "backup");
    if (sha256_hex(written) != summary.sha256_hex ||
        detail::expected_digest(out) != summary.sha256_hex) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} reads back different from what was written; check the drive",
                                out.string()));
    }
    if (detail::parse_backup(written, out) != backup) {
        throw Error(ErrorCategory::internal,
                    fmt::format("{} does not parse back to the keys it was written from; it "
                                "cannot be restored. Report this as a bug in smk",
                                out.string()));
    }
    for (const auto& key : backup.keys) {
        summary.keys.push_back(key.info);
    }
    return summary;
}

}  // namespace

void require_backup_mechanisms(pkcs11::Session& session) {
    auto& s = pkcs11::raw(session);
    detail::require_mechanism(s, kAesKeyWrapPad, CKF_WRAP, "CKM_AES_KEY_WRAP_PAD",
                              "wrap keys under the SMK");
    detail::require_mechanism(s, CKM_AES_CMAC, CKF_SIGN, "CKM_AES_CMAC",
                              "authenticate the backup with a MAC under the SMK");
}

BackupSummary wrap_keys(pkcs11::Session& session, std::string_view wrapping_label,
                        const std::vector<std::string>& key_labels,
                        const std::filesystem::path& out, const WrapOptions& options) {
    auto& s = pkcs11::raw(session);
    if (key_labels.empty()) {
        throw Error(ErrorCategory::usage, "name at least one key to back up");
    }
    std::set<std::string> unique(key_labels.begin(), key_labels.end());
    if (unique.size() != key_labels.size()) {
        throw Error(ErrorCategory::usage, "a key label is given twice");
    }
    if (unique.count(std::string(wrapping_label)) != 0) {
        throw Error(ErrorCategory::usage,
                    fmt::format("the wrapping key \"{}\" cannot back itself up", wrapping_label));
    }
    const auto sum_file = sha256sum_path(out);
    for (const auto& path : {out, sum_file}) {
        std::error_code ec;
        if (std::filesystem::symlink_status(path, ec).type() !=
            std::filesystem::file_type::not_found) {
            throw Error(ErrorCategory::refused,
                        fmt::format("{} exists; nothing was written. Choose a new file name",
                                    path.string()));
        }
    }
    require_backup_mechanisms(session);
    const CK_OBJECT_HANDLE wrapping = one_key(s, wrapping_label);
    std::vector<KeyToWrap> keys;
    for (const auto& label : key_labels) {
        keys.push_back(describe_key(s, label));
    }
    require_trusted_wrapping(s, wrapping, wrapping_label, keys, options.wrap_with_trusted);
    const std::string marked =
        options.wrap_with_trusted ? mark_wrap_with_trusted(s, keys) : std::string();
    try {
        return write_backup(s, wrapping, wrapping_label, keys, out);
    } catch (const Error& error) {
        if (marked.empty()) {
            throw;
        }
        throw Error(error.category(),
                    fmt::format("{}; CKA_WRAP_WITH_TRUSTED was set, irreversibly, on {}",
                                error.what(), marked));
    }
}

}  // namespace smk::hsm
