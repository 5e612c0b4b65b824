// The SMK as a token AES key, its KCV computed inside the token, and wrapped
// backups of application keys (CKM_AES_KEY_WRAP_PAD) in a versioned JSON file.

#include <fmt/core.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pkcs11_raw.hpp"
#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"

namespace smk::hsm {
namespace {

using pkcs11::attribute;
using pkcs11::attribute_bytes;
using pkcs11::attribute_text;
using pkcs11::check_rv;
using SessionImpl = pkcs11::Session::Impl;

constexpr std::size_t kMaxBackupBytes = 16 * 1024 * 1024;

// Usage flags recorded in a backup and set on the restored key, in this order.
struct UsageFlag {
    CK_ATTRIBUTE_TYPE type;
    const char* name;
};
constexpr std::array<UsageFlag, 9> kUsageFlags = {{
    {CKA_ENCRYPT, "encrypt"},
    {CKA_DECRYPT, "decrypt"},
    {CKA_SIGN, "sign"},
    {CKA_VERIFY, "verify"},
    {CKA_WRAP, "wrap"},
    {CKA_UNWRAP, "unwrap"},
    {CKA_DERIVE, "derive"},
    {CKA_SENSITIVE, "sensitive"},
    {CKA_EXTRACTABLE, "extractable"},
}};

std::string key_type_name(CK_ULONG type) {
    switch (type) {
        case CKK_AES:
            return "AES";
        case CKK_GENERIC_SECRET:
            return "GENERIC_SECRET";
        case CKK_DES3:
            return "DES3";
        default:
            return fmt::format("0x{:x}", type);
    }
}

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

std::string sha256_hex(std::string_view bytes) {
    std::array<std::uint8_t, 32> digest{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
        1) {
        throw Error(ErrorCategory::internal, "SHA-256 failed");
    }
    return to_hex(digest);
}

std::filesystem::path sha256sum_path(const std::filesystem::path& file) {
    return file.string() + ".sha256sum";
}

std::string read_small_file(const std::filesystem::path& path, std::string_view what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorCategory::io, fmt::format("cannot read {} {}", what, path.string()));
    }
    std::string text;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxBackupBytes) {
            throw Error(ErrorCategory::invalid_input,
                        fmt::format("{} {} is larger than {} bytes; it is not an smk backup", what,
                                    path.string(), kMaxBackupBytes));
        }
    }
    if (in.bad()) {
        throw Error(ErrorCategory::io, fmt::format("cannot read {} {}", what, path.string()));
    }
    return text;
}

// The digest FILE.sha256sum states for FILE (one GNU line: "HEX  NAME" or "HEX *NAME").
std::string expected_digest(const std::filesystem::path& backup) {
    const auto sum_file = sha256sum_path(backup);
    std::error_code ec;
    if (!std::filesystem::exists(sum_file, ec)) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} is missing; without it the backup {} cannot be checked. "
                                "Copy both files from another backup copy",
                                sum_file.string(), backup.string()));
    }
    std::string line = read_small_file(sum_file, "checksum file");
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.pop_back();
    }
    const std::string name = backup.filename().string();
    const bool well_formed =
        line.size() > 66 && line[64] == ' ' && (line[65] == ' ' || line[65] == '*') &&
        line.find('\n') == std::string::npos &&
        std::all_of(line.begin(), line.begin() + 64, [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        });
    if (!well_formed || line.substr(66) != name) {
        throw Error(
            ErrorCategory::invalid_input,
            fmt::format("{} is not one sha256sum line for \"{}\"", sum_file.string(), name));
    }
    std::string hex = line.substr(0, 64);
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](char c) { return static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c); });
    return hex;
}

std::string kcv_text(const Kcv& kcv) {
    return kcv_hex(kcv);
}

std::vector<std::uint8_t> hex_bytes(const std::string& text, std::string_view what) {
    const Secret bytes = from_hex_secret(text, what);
    return {bytes.bytes().begin(), bytes.bytes().end()};
}

struct BackupKey {
    WrappedKeyInfo info;
    CK_ULONG key_type = 0;
    std::vector<std::uint8_t> id;
    std::vector<std::pair<CK_ATTRIBUTE_TYPE, bool>> flags;
    std::vector<std::uint8_t> wrapped;
};

[[noreturn]] void bad_backup(const std::filesystem::path& file, std::string_view why) {
    throw Error(ErrorCategory::invalid_input,
                fmt::format("{} is not a valid smk key backup: {}", file.string(), why));
}

struct ParsedBackup {
    std::string wrapping_label;
    std::string wrapping_kcv;
    std::vector<BackupKey> keys;
};

ParsedBackup parse_backup(const std::string& text, const std::filesystem::path& file) {
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        bad_backup(file, "not JSON");
    }
    ParsedBackup backup;
    try {
        if (json.at("format").get<std::string>() != kBackupFormat) {
            bad_backup(file, "format is not \"smk-wrapped-keys\"");
        }
        if (json.at("version").get<unsigned>() != kBackupVersion) {
            bad_backup(file, fmt::format("version {} is not known to this smk (it reads {})",
                                         json.at("version").dump(), kBackupVersion));
        }
        if (json.at("mechanism").get<std::string>() != "CKM_AES_KEY_WRAP_PAD") {
            bad_backup(file, "mechanism is not CKM_AES_KEY_WRAP_PAD");
        }
        backup.wrapping_label = json.at("wrapping_key").at("label").get<std::string>();
        backup.wrapping_kcv = json.at("wrapping_key").at("kcv").get<std::string>();
        std::set<std::string> labels;
        for (const auto& entry : json.at("keys")) {
            BackupKey key;
            key.info.label = entry.at("label").get<std::string>();
            if (!labels.insert(key.info.label).second) {
                bad_backup(file, fmt::format("label \"{}\" appears twice", key.info.label));
            }
            key.info.id_hex = entry.at("id").get<std::string>();
            key.id = hex_bytes(key.info.id_hex, "a key id in the backup");
            key.key_type = entry.at("key_type_code").get<CK_ULONG>();
            key.info.key_type = key_type_name(key.key_type);
            key.info.value_len = entry.at("value_len").get<unsigned long>();
            if (entry.contains("kcv")) {
                key.info.kcv_hex = entry.at("kcv").get<std::string>();
            }
            const auto& attributes = entry.at("attributes");
            for (const auto& flag : kUsageFlags) {
                key.flags.emplace_back(flag.type, attributes.at(flag.name).get<bool>());
            }
            key.wrapped = hex_bytes(entry.at("wrapped").get<std::string>(), "a wrapped key");
            if (key.wrapped.empty()) {
                bad_backup(file, fmt::format("key \"{}\" has no wrapped bytes", key.info.label));
            }
            backup.keys.push_back(std::move(key));
        }
    } catch (const nlohmann::json::exception& error) {
        bad_backup(file,
                   fmt::format("a field is missing or has the wrong type ({})", error.what()));
    }
    if (backup.keys.empty()) {
        bad_backup(file, "it holds no keys");
    }
    return backup;
}

}  // namespace

Kcv parse_kcv(std::string_view text, std::string_view what) {
    const bool ok =
        text.size() == 6 && std::all_of(text.begin(), text.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        });
    if (!ok) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} takes a KCV: 6 hex digits, e.g. 1a2b3c", what));
    }
    const auto bytes = hex_bytes(std::string(text), what);
    return Kcv{bytes[0], bytes[1], bytes[2]};
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
    auto& s = session.impl();
    return kcv_of(s, one_key(s, label), label);
}

Kcv install_smk(pkcs11::Session& session, const Secret& smk, const InstallOptions& options,
                const std::optional<Kcv>& expected) {
    auto& s = session.impl();
    if (options.label.empty()) {
        throw Error(ErrorCategory::usage, "the SMK key needs a label");
    }
    const Kcv software = key_check_value(smk.bytes());  // checks the length too
    if (expected && software != *expected) {
        throw Error(ErrorCategory::verification,
                    fmt::format("the SMK has KCV {}, expected {}; nothing was installed on {}",
                                kcv_text(software), kcv_text(*expected), s.name));
    }
    const auto old_keys = pkcs11::find_secret_keys(s, options.label);
    if (!old_keys.empty() && !options.replace) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} already holds a secret key labelled \"{}\"; nothing was "
                                "installed. Give --replace to replace it",
                                s.name, options.label));
    }
    CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
    CK_KEY_TYPE key_type = CKK_AES;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    std::vector<CK_ATTRIBUTE> key_template = {
        attribute(CKA_CLASS, key_class),
        attribute(CKA_KEY_TYPE, key_type),
        attribute(CKA_TOKEN, yes),
        attribute(CKA_PRIVATE, yes),
        attribute(CKA_SENSITIVE, yes),
        attribute(CKA_EXTRACTABLE, no),
        attribute(CKA_ENCRYPT, yes),
        attribute(CKA_DECRYPT, yes),
        attribute(CKA_WRAP, yes),
        attribute(CKA_UNWRAP, yes),
        attribute(CKA_SIGN, no),
        attribute(CKA_VERIFY, no),
        attribute(CKA_DERIVE, no),
        attribute_text(CKA_LABEL, options.label),
        attribute_bytes(CKA_VALUE, smk.bytes()),
    };
    if (!options.id.empty()) {
        key_template.push_back(attribute_bytes(CKA_ID, options.id));
    }
    CK_OBJECT_HANDLE created = CK_INVALID_HANDLE;
    const CK_RV create_rv =
        s.f().C_CreateObject(s.handle, key_template.data(), key_template.size(), &created);
    try {
        check_rv(create_rv, fmt::format("installing the SMK as key \"{}\"", options.label), s);
    } catch (const Error& error) {
        // A failed C_CreateObject creates no object.
        throw Error(error.category(),
                    fmt::format("{}. Nothing was installed on {}", error.what(), s.name));
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
        destroy_quietly(s, {created});
        throw;
    }
    if (in_token != software) {
        destroy_quietly(s, {created});
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

BackupSummary wrap_keys(pkcs11::Session& session, std::string_view wrapping_label,
                        const std::vector<std::string>& key_labels,
                        const std::filesystem::path& out) {
    auto& s = session.impl();
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
        info.key_type = key_type_name(*type);
        info.id_hex =
            to_hex(pkcs11::get_attribute(s, key, CKA_ID).value_or(std::vector<std::uint8_t>{}));
        info.value_len = pkcs11::get_ulong(s, key, CKA_VALUE_LEN).value_or(0);
        nlohmann::json attributes = nlohmann::json::object();
        for (const auto& flag : kUsageFlags) {
            attributes[flag.name] = pkcs11::get_bool(s, key, flag.type).value_or(false);
        }
        if (*type == CKK_AES && attributes["encrypt"].get<bool>()) {
            if (const auto kcv = try_kcv(s, key, nullptr)) {
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

BackupSummary unwrap_keys(pkcs11::Session& session, std::string_view wrapping_label,
                          const std::filesystem::path& file, const UnwrapOptions& options) {
    auto& s = session.impl();
    const std::string expected = expected_digest(file);
    const std::string text = read_small_file(file, "backup");
    const std::string actual = sha256_hex(text);
    if (actual != expected) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} does not match {} (SHA-256 {}, expected {}): the backup is "
                                "damaged or altered; nothing was restored. Use another backup copy",
                                file.string(), sha256sum_path(file).string(), actual, expected));
    }
    const ParsedBackup backup = parse_backup(text, file);

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
