// The reports of `smk hsm` (include/smk/hsm_report.hpp), moved out of cli/hsm.cpp
// byte for byte: the CLI tests pin these texts and JSON objects.

#include "smk/hsm_report.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <string>

#include "smk/hex.hpp"
#include "smk/sha256.hpp"

namespace smk::hsm {
namespace {

std::string json_text(const nlohmann::json& json) {
    return json.dump(2) + "\n";
}

nlohmann::json summary_json(const BackupSummary& summary, const pkcs11::TokenInfo& token) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& key : summary.keys) {
        nlohmann::json entry = {{"label", key.label},
                                {"id", key.id_hex},
                                {"class", key.key_class},
                                {"key_type", key.key_type},
                                {"value_len", key.value_len}};
        if (key.kcv_hex) {
            entry["kcv"] = *key.kcv_hex;
        }
        if (key.bits != 0) {
            entry["bits"] = key.bits;
        }
        if (!key.curve.empty()) {
            entry["curve"] = key.curve;
        }
        entry["wrap_with_trusted"] = key.wrap_with_trusted;
        keys.push_back(entry);
    }
    return {
        {"token", token.label},
        {"serial", token.serial},
        {"file", summary.file.string()},
        {"sha256sum_file", summary.sha256sum_file.string()},
        {"sha256", summary.sha256_hex},
        {"wrapping_key", {{"label", summary.wrapping_label}, {"kcv", summary.wrapping_kcv_hex}}},
        {"keys", keys}};
}

std::string keys_text(const BackupSummary& summary) {
    std::string text;
    for (const auto& key : summary.keys) {
        std::string kind = key.key_type;
        if (key.key_class == "private") {
            kind = key.bits != 0 ? fmt::format("{}-{} key pair", key.key_type, key.bits)
                                 : fmt::format("{} {} key pair", key.key_type,
                                               key.curve.empty() ? "(other curve)" : key.curve);
        }
        text += fmt::format("  key \"{}\" id {} {}{}{}\n", key.label,
                            key.id_hex.empty() ? "-" : key.id_hex, kind,
                            key.kcv_hex ? fmt::format(" KCV {}", *key.kcv_hex) : "",
                            key.wrap_with_trusted ? " wrap-with-trusted" : "");
    }
    return text;
}

}  // namespace

std::vector<std::uint8_t> parse_key_id(const std::string& text) {
    if (text.empty()) {
        return {};
    }
    const Secret bytes = from_hex_secret(text, "--id");
    return {bytes.bytes().begin(), bytes.bytes().end()};
}

std::string token_flags_text(const pkcs11::TokenInfo& token) {
    std::string text;
    const auto add = [&text](bool on, std::string_view name) {
        if (on) {
            text += (text.empty() ? "" : ", ") + std::string(name);
        }
    };
    add(!token.initialized, "not initialised");
    add(token.login_required, "login required");
    add(!token.user_pin_set && token.initialized, "user PIN not set");
    add(token.read_only, "read-only");
    add(token.user_pin_count_low, "user PIN count low");
    add(token.user_pin_final_try, "user PIN final try");
    add(token.user_pin_locked, "USER PIN LOCKED");
    return text.empty() ? "-" : text;
}

std::string tokens_report(std::string_view module_path,
                          const std::vector<pkcs11::TokenInfo>& tokens, bool json) {
    nlohmann::json entries = nlohmann::json::array();
    std::string text;
    for (const auto& token : tokens) {
        entries.push_back({{"label", token.label},
                           {"serial", token.serial},
                           {"manufacturer", token.manufacturer},
                           {"model", token.model},
                           {"initialized", token.initialized},
                           {"login_required", token.login_required},
                           {"user_pin_set", token.user_pin_set},
                           {"read_only", token.read_only},
                           {"user_pin_count_low", token.user_pin_count_low},
                           {"user_pin_final_try", token.user_pin_final_try},
                           {"user_pin_locked", token.user_pin_locked}});
        if (!token.initialized) {
            text += fmt::format("uninitialised token in slot {}: {} {}\n", token.slot_id,
                                token.manufacturer, token.model);
            continue;
        }
        text += fmt::format("token \"{}\" (serial {}): {} {}; {}\n", token.label, token.serial,
                            token.manufacturer, token.model, token_flags_text(token));
    }
    if (!json && entries.empty()) {
        text = fmt::format("PKCS#11 module \"{}\" offers no token\n", module_path);
    }
    return json ? json_text(entries) : text;
}

std::string install_report(const pkcs11::TokenInfo& token, std::string_view where,
                           const InstallReceipt& receipt, bool json) {
    const std::string kcv_text = kcv_hex(receipt.kcv);
    if (json) {
        return json_text({{"token", token.label},
                          {"serial", token.serial},
                          {"label", receipt.label},
                          {"id", receipt.id_hex},
                          {"identifier", receipt.identifier},
                          {"shares_used", receipt.shares_used},
                          {"kcv", kcv_text},
                          {"kcv_expected", receipt.kcv_expected},
                          {"trusted", receipt.trusted}});
    }
    return fmt::format(
        "installed the SMK (identifier {}, from {} shares) as key \"{}\" on "
        "{}\nKCV inside the token: {} (equals the SMK's{})\n{}",
        receipt.identifier, receipt.shares_used, receipt.label, where, kcv_text,
        receipt.kcv_expected ? " and the expected KCV" : "",
        receipt.trusted ? "trusted (CKA_TRUSTED): keys with CKA_WRAP_WITH_TRUSTED may leave the "
                          "token under it\n"
                        : "");
}

std::string kcv_report(const pkcs11::TokenInfo& token, std::string_view where,
                       std::string_view label, const Kcv& kcv, const std::optional<Kcv>& expected,
                       bool json) {
    const bool matches = !expected || kcv == *expected;
    if (json) {
        nlohmann::json out = {{"token", token.label},
                              {"serial", token.serial},
                              {"label", std::string(label)},
                              {"kcv", kcv_hex(kcv)}};
        if (expected) {
            out["expected"] = kcv_hex(*expected);
            out["matches"] = matches;
        }
        return json_text(out);
    }
    return fmt::format("KCV of key \"{}\" on {}: {}{}\n", label, where, kcv_hex(kcv),
                       expected ? (matches ? " (as expected)" : " (NOT AS EXPECTED)") : "");
}

std::string backup_report(const BackupSummary& summary, const pkcs11::TokenInfo& token,
                          std::string_view where, bool json, const ReadBackDigest* read_back) {
    if (json) {
        nlohmann::json out = summary_json(summary, token);
        if (read_back != nullptr) {
            out["sha256_openssl"] = read_back->colon_hex;
            out["sha256_pgp_words"] = read_back->pgp_words;
        }
        return json_text(out);
    }
    return fmt::format(
        "wrapped {} key(s) of {} under \"{}\" (KCV {}) into {}\n{}"
        "SHA-256 {} in {}\n",
        summary.keys.size(), where, summary.wrapping_label, summary.wrapping_kcv_hex,
        summary.file.string(), keys_text(summary), summary.sha256_hex,
        summary.sha256sum_file.string());
}

std::string restore_report(const BackupSummary& summary, const pkcs11::TokenInfo& token,
                           std::string_view where, bool json) {
    if (json) {
        return json_text(summary_json(summary, token));
    }
    return fmt::format(
        "restored {} key(s) from {} (SHA-256 {} as in {}) into {} under \"{}\" "
        "(KCV {})\n{}",
        summary.keys.size(), summary.file.string(), summary.sha256_hex,
        summary.sha256sum_file.string(), where, summary.wrapping_label, summary.wrapping_kcv_hex,
        keys_text(summary));
}

std::string public_key_report(std::string_view label, std::string_view where,
                              const std::vector<std::uint8_t>& der, std::string_view file) {
    return fmt::format("public key of \"{}\" on {}: {} bytes DER, SHA-256 {}, written to {}\n",
                       label, where, der.size(), to_hex(sha256_bytes(der)), file);
}

std::string destroy_report(const DestroyReport& report, const pkcs11::TokenInfo& token,
                           std::string_view where, bool json) {
    if (json) {
        nlohmann::json holding = nlohmann::json::array();
        for (const auto& backup : report.backups_holding) {
            holding.push_back({{"file", backup.file.string()}, {"sha256", backup.sha256_hex}});
        }
        nlohmann::json without = nlohmann::json::array();
        for (const auto& file : report.backups_without) {
            without.push_back(file.string());
        }
        return json_text({{"token", token.label},
                          {"serial", token.serial},
                          {"label", report.label},
                          {"id", report.id_hex},
                          {"class", report.key_class},
                          {"key_type", report.key_type},
                          {"objects_destroyed", report.objects_destroyed},
                          {"proved_gone", true},
                          {"backups_holding", holding},
                          {"backups_without", without}});
    }
    const std::string id = report.id_hex.empty() ? "-" : report.id_hex;
    std::string text = fmt::format(
        "destroyed key \"{}\" id {} ({} {} key, {} object(s)) on {}\n"
        "proved gone: no object labelled \"{}\"{} is left on the token\n",
        report.label, id, report.key_class, report.key_type, report.objects_destroyed, where,
        report.label, report.id_hex.empty() ? "" : fmt::format(" and none with id {}", id));
    for (const auto& backup : report.backups_holding) {
        text += fmt::format("still holds the key, destroy it: {} SHA-256 {}\n",
                            backup.file.string(), backup.sha256_hex);
    }
    for (const auto& file : report.backups_without) {
        text += fmt::format("does not hold the key: {}\n", file.string());
    }
    return text;
}

}  // namespace smk::hsm
