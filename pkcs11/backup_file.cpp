// The wrapped-key backup file (docs/FORMAT.md section 6): its SHA-256 and
// .sha256sum line, reading it back within a size bound, and parsing its JSON.

#include "backup_file.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/sha256.hpp"

namespace smk::hsm::detail {

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

std::vector<std::uint8_t> hex_bytes(const std::string& text, std::string_view what) {
    const Secret bytes = from_hex_secret(text, what);
    return {bytes.bytes().begin(), bytes.bytes().end()};
}

void bad_backup(const std::filesystem::path& file, std::string_view why) {
    throw Error(ErrorCategory::invalid_input,
                fmt::format("{} is not a valid smk key backup: {}", file.string(), why));
}

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

}  // namespace smk::hsm::detail
