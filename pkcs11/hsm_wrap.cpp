// Backing up application keys: each wrapped under the SMK (CKM_AES_KEY_WRAP_PAD)
// into a versioned JSON file plus FILE.sha256sum, written atomically, read back.

#include <fmt/core.h>

#include <nlohmann/json.hpp>
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

// The helpers of hsm_keys.hpp and pkcs11_raw.hpp this file uses.
using detail::kcv_of;
using detail::kcv_text;
using detail::key_name;
using detail::kUsageFlags;
using detail::one_key;
using detail::read_small_file;
using detail::sha256sum_path;
using pkcs11::check_rv;
using smk::sha256_hex;

BackupSummary wrap_keys(pkcs11::Session& session, std::string_view wrapping_label,
                        const std::vector<std::string>& key_labels,
                        const std::filesystem::path& out) {
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
    const CK_OBJECT_HANDLE wrapping = one_key(s, wrapping_label);
    const Kcv wrapping_kcv = kcv_of(s, wrapping, wrapping_label);

    BackupSummary summary;
    summary.file = out;
    summary.sha256sum_file = sum_file;
    summary.wrapping_label = wrapping_label;
    summary.wrapping_kcv_hex = kcv_text(wrapping_kcv);
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& label : key_labels) {
        const CK_OBJECT_HANDLE key = one_key(s, label);
        WrappedKeyInfo info;
        info.label = label;
        const auto type = pkcs11::get_ulong(s, key, CKA_KEY_TYPE);
        if (!type) {
            throw Error(ErrorCategory::device,
                        fmt::format("{} does not state its key type", key_name(s, label)));
        }
        info.key_type = detail::key_type_name(*type);
        info.id_hex =
            to_hex(pkcs11::get_attribute(s, key, CKA_ID).value_or(std::vector<std::uint8_t>{}));
        info.value_len = pkcs11::get_ulong(s, key, CKA_VALUE_LEN).value_or(0);
        nlohmann::json attributes = nlohmann::json::object();
        for (const auto& flag : kUsageFlags) {
            attributes[flag.name] = pkcs11::get_bool(s, key, flag.type).value_or(false);
        }
        if (*type == CKK_AES && attributes["encrypt"].get<bool>()) {
            if (const auto kcv = detail::try_kcv(s, key, nullptr)) {
                info.kcv_hex = kcv_text(*kcv);
            }
        }
        CK_MECHANISM mechanism{kAesKeyWrapPad, nullptr, 0};
        CK_ULONG length = 0;
        CK_RV rv = s.f().C_WrapKey(s.handle, &mechanism, wrapping, key, nullptr, &length);
        std::vector<std::uint8_t> wrapped(length);
        if (rv == CKR_OK) {
            rv = s.f().C_WrapKey(s.handle, &mechanism, wrapping, key, wrapped.data(), &length);
            wrapped.resize(length);
        }
        if (rv == CKR_KEY_UNEXTRACTABLE) {
            throw Error(ErrorCategory::refused,
                        fmt::format("{} is not extractable (CKA_EXTRACTABLE false), so it cannot "
                                    "be backed up; nothing was written",
                                    key_name(s, label)));
        }
        check_rv(rv, fmt::format("wrapping key \"{}\" under \"{}\"", label, wrapping_label), s);
        nlohmann::json entry = {{"label", label},
                                {"id", info.id_hex},
                                {"key_type", info.key_type},
                                {"key_type_code", *type},
                                {"value_len", info.value_len},
                                {"attributes", attributes},
                                {"wrapped", to_hex(wrapped)}};
        if (info.kcv_hex) {
            entry["kcv"] = *info.kcv_hex;
        }
        keys.push_back(std::move(entry));
        summary.keys.push_back(std::move(info));
    }
    const nlohmann::json backup = {
        {"format", kBackupFormat},
        {"version", kBackupVersion},
        {"mechanism", "CKM_AES_KEY_WRAP_PAD"},
        {"wrapping_key", {{"label", wrapping_label}, {"kcv", summary.wrapping_kcv_hex}}},
        {"source_token", {{"label", s.token.label}, {"serial", s.token.serial}}},
        {"keys", keys},
    };
    const std::string text = backup.dump(2) + "\n";
    summary.sha256_hex = sha256_hex(text);
    const std::string sum_line =
        fmt::format("{}  {}\n", summary.sha256_hex, out.filename().string());
    write_new_file(out, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    write_new_file(sum_file,
                   {reinterpret_cast<const std::uint8_t*>(sum_line.data()), sum_line.size()});
    // Read back what reached the file.
    if (sha256_hex(read_small_file(out, "backup")) != summary.sha256_hex) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} reads back different from what was written; check the drive",
                                out.string()));
    }
    return summary;
}

}  // namespace smk::hsm
