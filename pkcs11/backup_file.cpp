// The wrapped-key backup file (docs/FORMAT.md section 6): its SHA-256 and
// .sha256sum line, reading it back within a size bound, encoding and parsing its JSON.

#include "backup_file.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/sha256.hpp"
#include "smk/text_file.hpp"

namespace smk::hsm::detail {

std::span<const NamedAttribute> flags_of_class(CK_OBJECT_CLASS key_class) {
    if (key_class == CKO_PRIVATE_KEY) {
        return kPrivateKeyFlags;
    }
    return kSecretKeyFlags;
}

namespace {
constexpr std::array<NamedAttribute, 2> kRsaPublicValues = {{
    {CKA_MODULUS, "modulus"},
    {CKA_PUBLIC_EXPONENT, "public_exponent"},
}};
constexpr std::array<NamedAttribute, 2> kEcPublicValues = {{
    {CKA_EC_PARAMS, "ec_params"},
    {CKA_EC_POINT, "ec_point"},
}};
}  // namespace

std::span<const NamedAttribute> public_values_of(CK_KEY_TYPE key_type) {
    if (key_type == CKK_RSA) {
        return kRsaPublicValues;
    }
    if (key_type == CKK_EC) {
        return kEcPublicValues;
    }
    return {};
}

std::string key_type_name(CK_ULONG type) {
    switch (type) {
        case CKK_AES:
            return "AES";
        case CKK_GENERIC_SECRET:
            return "GENERIC_SECRET";
        case CKK_DES3:
            return "DES3";
        case CKK_RSA:
            return "RSA";
        case CKK_EC:
            return "EC";
        default:
            return fmt::format("0x{:x}", type);
    }
}

std::string curve_name(std::span<const std::uint8_t> ec_params) {
    // DER OBJECT IDENTIFIERs of the NIST curves (RFC 5480 section 2.1.1.1).
    static const std::vector<std::uint8_t> p256 = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                                   0xce, 0x3d, 0x03, 0x01, 0x07};
    static const std::vector<std::uint8_t> p384 = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    static const std::vector<std::uint8_t> p521 = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
    const std::vector<std::uint8_t> params(ec_params.begin(), ec_params.end());
    if (params == p256) {
        return "P-256";
    }
    if (params == p384) {
        return "P-384";
    }
    if (params == p521) {
        return "P-521";
    }
    return "";
}

unsigned modulus_bits(std::span<const std::uint8_t> modulus) {
    std::size_t i = 0;
    while (i < modulus.size() && modulus[i] == 0) {
        ++i;
    }
    if (i == modulus.size()) {
        return 0;
    }
    unsigned bits = static_cast<unsigned>(8 * (modulus.size() - i - 1));
    for (unsigned top = modulus[i]; top != 0; top >>= 1) {
        ++bits;
    }
    return bits;
}

std::filesystem::path sha256sum_path(const std::filesystem::path& file) {
    return file.string() + ".sha256sum";
}

std::string read_small_file(const std::filesystem::path& path, std::string_view what) {
    return read_text_file(path, what, kMaxBackupBytes);
}

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

namespace {

// Public hex text to bytes ("" is no bytes: a key without CKA_ID).
std::vector<std::uint8_t> hex_bytes(const std::string& text, const std::filesystem::path& file,
                                    std::string_view what) {
    std::vector<std::uint8_t> bytes(text.size() / 2);
    if (text.size() % 2 != 0 || !decode_public_hex(text, bytes)) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} is not a valid smk key backup: {} is not an even number of "
                                "hex digits",
                                file.string(), what));
    }
    return bytes;
}

nlohmann::json flags_json(const Flags& flags, std::span<const NamedAttribute> names) {
    nlohmann::json json = nlohmann::json::object();
    for (std::size_t i = 0; i < flags.size() && i < names.size(); ++i) {
        json[names[i].name] = flags[i].second;
    }
    return json;
}

Flags flags_from_json(const nlohmann::json& json, std::span<const NamedAttribute> names) {
    Flags flags;
    for (const auto& flag : names) {
        flags.emplace_back(flag.type, json.at(flag.name).get<bool>());
    }
    return flags;
}

}  // namespace

void bad_backup(const std::filesystem::path& file, std::string_view why) {
    throw Error(ErrorCategory::invalid_input,
                fmt::format("{} is not a valid smk key backup: {}", file.string(), why));
}

namespace {
nlohmann::json json_without_mac(const ParsedBackup& backup);
}  // namespace

std::string mac_input_of(const ParsedBackup& backup) {
    return std::string(kMacDomain) + json_without_mac(backup).dump();
}

std::string encode_backup(const ParsedBackup& backup) {
    nlohmann::json json = json_without_mac(backup);
    json["mac"] = {{"mechanism", "CKM_AES_CMAC"}, {"value", to_hex(backup.mac)}};
    return json.dump(2) + "\n";
}

namespace {

nlohmann::json json_without_mac(const ParsedBackup& backup) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& key : backup.keys) {
        nlohmann::json entry = {
            {"label", key.info.label},
            {"id", to_hex(key.id)},
            {"class", key.key_class == CKO_PRIVATE_KEY ? "private" : "secret"},
            {"key_type", key_type_name(key.key_type)},
            {"key_type_code", key.key_type},
            {"value_len", key.info.value_len},
            {"attributes", flags_json(key.flags, flags_of_class(key.key_class))},
        };
        if (key.info.kcv_hex) {
            entry["kcv"] = *key.info.kcv_hex;
        }
        entry["wrap_with_trusted"] = key.info.wrap_with_trusted;
        if (key.key_class == CKO_PRIVATE_KEY) {
            nlohmann::json public_key = {
                {"attributes", flags_json(key.public_flags, kPublicKeyFlags)}};
            for (const auto& [type, value] : key.public_values) {
                for (const auto& name : public_values_of(key.key_type)) {
                    if (name.type == type) {
                        public_key[name.name] = to_hex(value);
                    }
                }
            }
            if (key.info.bits != 0) {
                entry["bits"] = key.info.bits;
            }
            if (!key.info.curve.empty()) {
                entry["curve"] = key.info.curve;
            }
            entry["public"] = std::move(public_key);
        }
        entry["wrapped"] = to_hex(key.wrapped);
        keys.push_back(std::move(entry));
    }
    const nlohmann::json json = {
        {"format", kBackupFormat},
        {"version", kBackupVersion},
        {"mechanism", "CKM_AES_KEY_WRAP_PAD"},
        {"wrapping_key", {{"label", backup.wrapping_label}, {"kcv", backup.wrapping_kcv}}},
        {"source_token", {{"label", backup.source_label}, {"serial", backup.source_serial}}},
        {"keys", keys},
    };
    return json;
}

BackupKey parse_key(const nlohmann::json& entry, unsigned version,
                    const std::filesystem::path& file) {
    BackupKey key;
    key.info.label = entry.at("label").get<std::string>();
    const std::string where = fmt::format("key \"{}\"", key.info.label);
    key.id = hex_bytes(entry.at("id").get<std::string>(), file, where + " id");
    key.info.id_hex = to_hex(key.id);
    const std::string key_class = entry.at("class").get<std::string>();
    if (key_class != "secret" && key_class != "private") {
        bad_backup(file,
                   fmt::format("{} has class \"{}\" (not secret or private)", where, key_class));
    }
    key.key_class = key_class == "private" ? CKO_PRIVATE_KEY : CKO_SECRET_KEY;
    key.info.key_class = key_class;
    key.key_type = entry.at("key_type_code").get<CK_ULONG>();
    key.info.key_type = key_type_name(key.key_type);
    const bool asymmetric = key.key_type == CKK_RSA || key.key_type == CKK_EC;
    if (asymmetric != (key.key_class == CKO_PRIVATE_KEY)) {
        bad_backup(file,
                   fmt::format("{} is a {} key of type {}", where, key_class, key.info.key_type));
    }
    key.info.value_len = entry.at("value_len").get<unsigned long>();
    if (entry.contains("kcv")) {
        key.info.kcv_hex = entry.at("kcv").get<std::string>();
    }
    key.flags = flags_from_json(entry.at("attributes"), flags_of_class(key.key_class));
    // Version 2 did not record it (false); version 3 always does, under the MAC.
    if (version >= 3) {
        key.info.wrap_with_trusted = entry.at("wrap_with_trusted").get<bool>();
    } else if (entry.contains("wrap_with_trusted")) {
        bad_backup(file,
                   fmt::format("{} has wrap_with_trusted, which version 2 does not have", where));
    }
    if (key.key_class == CKO_PRIVATE_KEY) {
        const auto& public_key = entry.at("public");
        key.public_flags = flags_from_json(public_key.at("attributes"), kPublicKeyFlags);
        for (const auto& name : public_values_of(key.key_type)) {
            key.public_values.emplace_back(
                name.type, hex_bytes(public_key.at(name.name).get<std::string>(), file,
                                     fmt::format("{} public {}", where, name.name)));
            if (key.public_values.back().second.empty()) {
                bad_backup(file, fmt::format("{} has an empty public {}", where, name.name));
            }
        }
        const auto& first = key.public_values.front().second;
        key.info.bits = key.key_type == CKK_RSA ? modulus_bits(first) : 0;
        key.info.curve = key.key_type == CKK_EC ? curve_name(first) : "";
        if (entry.value("bits", 0U) != key.info.bits ||
            entry.value("curve", std::string()) != key.info.curve) {
            bad_backup(
                file, fmt::format("{} states a size or curve its public key does not have", where));
        }
    }
    key.wrapped = hex_bytes(entry.at("wrapped").get<std::string>(), file, where + " wrapped");
    if (key.wrapped.empty()) {
        bad_backup(file, fmt::format("{} has no wrapped bytes", where));
    }
    return key;
}

}  // namespace

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
        backup.version = json.at("version").get<unsigned>();
        if (backup.version == 1) {
            bad_backup(file,
                       "it is version 1, which carries no MAC, so nothing in it can be "
                       "trusted. Make a new backup with this smk from a token that holds "
                       "the keys");
        }
        if (backup.version != kBackupVersion && backup.version != 2) {
            bad_backup(file, fmt::format("version {} is not known to this smk (it reads 2 and {})",
                                         json.at("version").dump(), kBackupVersion));
        }
        if (json.at("mechanism").get<std::string>() != "CKM_AES_KEY_WRAP_PAD") {
            bad_backup(file, "mechanism is not CKM_AES_KEY_WRAP_PAD");
        }
        backup.wrapping_label = json.at("wrapping_key").at("label").get<std::string>();
        backup.wrapping_kcv = json.at("wrapping_key").at("kcv").get<std::string>();
        backup.source_label = json.at("source_token").at("label").get<std::string>();
        backup.source_serial = json.at("source_token").at("serial").get<std::string>();
        std::set<std::string> labels;
        for (const auto& entry : json.at("keys")) {
            BackupKey key = parse_key(entry, backup.version, file);
            if (!labels.insert(key.info.label).second) {
                bad_backup(file, fmt::format("label \"{}\" appears twice", key.info.label));
            }
            backup.keys.push_back(std::move(key));
        }
        const auto& mac = json.at("mac");
        if (mac.at("mechanism").get<std::string>() != "CKM_AES_CMAC") {
            bad_backup(file, "its MAC is not CKM_AES_CMAC");
        }
        backup.mac = hex_bytes(mac.at("value").get<std::string>(), file, "the MAC");
        if (backup.mac.size() != kMacBytes) {
            bad_backup(file, fmt::format("its MAC is not {} bytes", kMacBytes));
        }
        json.erase("mac");
        backup.mac_input = std::string(kMacDomain) + json.dump();
    } catch (const nlohmann::json::exception& error) {
        bad_backup(file,
                   fmt::format("a field is missing or has the wrong type ({})", error.what()));
    }
    if (backup.keys.empty()) {
        bad_backup(file, "it holds no keys");
    }
    return backup;
}

}  // namespace smk::hsm::detail
