// The application-key backup in the restore flow (application_backup.hpp).

#include "application_backup.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>

#include "drive_check.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/manifest_report.hpp"

namespace smk::ceremony {

hsm::BackupSummary check_application_backup(const Plan& plan, const Facility& facility,
                                            const LookAlikeOverride& look_alike, Journal& journal) {
    const Drive* drive = plan.drive_holding(facility.application_backup);
    (void)check_drive(plan, *drive, journal, "Nothing was read or installed.", look_alike);
    std::optional<std::string> recorded;
    if (!facility.application_backup_sha256.empty()) {
        recorded = facility.application_backup_sha256;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(facility.application_backup, ec)) {
        throw Error(ErrorCategory::io,
                    fmt::format("facility {}: application_backup {} is not on drive {}; "
                                "nothing was read or installed. Copy the backup tree onto the "
                                "drive again (smk ceremony backup-copies), or correct the plan",
                                facility.name, facility.application_backup.string(), drive->name));
    }
    hsm::BackupSummary backup;
    try {
        backup = hsm::read_backup(facility.application_backup, recorded);
    } catch (const Error&) {
        journal.record("application-backup-refused",
                       {{"backup", facility.application_backup.string()}, {"drive", drive->name}},
                       {{"result", "refused"}});
        throw;
    }
    std::string labels;
    for (const auto& k : backup.keys) {
        labels += (labels.empty() ? "" : " ") + k.label;
    }
    journal.record("application-backup-checked",
                   {{"backup", facility.application_backup.string()}, {"drive", drive->name}},
                   {{"sha256", backup.sha256_hex},
                    {"sha256_recorded", recorded ? "match" : "none in the plan"},
                    {"keys", std::to_string(backup.keys.size())},
                    {"labels", labels}},
                   {{"backup", backup.sha256_hex}});
    journal.say(fmt::format("application backup {} on drive {}: SHA-256 {}{}; {} key(s): {}\n",
                            backup.file.string(), drive->name, backup.sha256_hex,
                            recorded ? " as the plan records" : "", backup.keys.size(), labels));
    // Read from the device once more, for the witnesses to compare with the paper script.
    const FileDigest on_device = sha256_file_as_written(backup.file, backup.sha256_hex);
    journal.say("  " + digest_text(on_device, backup.file.string()));
    if (backup.wrapping_kcv_hex != *plan.kcv) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} was wrapped under a key with KCV {}, the plan's SMK has KCV "
                                "{}: a backup of another ceremony; nothing was installed",
                                backup.file.string(), backup.wrapping_kcv_hex, *plan.kcv));
    }
    return backup;
}

std::vector<std::string> new_labels_in(OpenToken& token, const hsm::BackupSummary& backup,
                                       bool replace, Journal& journal) {
    std::vector<std::string> labels;
    for (const auto& k : backup.keys) {
        labels.push_back(k.label);
    }
    const auto held = hsm::labels_held(token.session, labels);
    std::vector<std::string> fresh;
    for (const auto& label : labels) {
        if (std::find(held.begin(), held.end(), label) == held.end()) {
            fresh.push_back(label);
        }
    }
    if (held.empty()) {
        return fresh;
    }
    std::string names;
    for (const auto& label : held) {
        names += (names.empty() ? "\"" : ", \"") + label + "\"";
    }
    journal.record("token-has-application-key", {{"token", token.label}},
                   {{"labels", names}, {"replace", replace ? "yes" : "no"}});
    if (!replace) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} already holds {}, a key of the backup {}; nothing was "
                                "installed or restored. Give --replace-keys (or "
                                "replace_application_keys = true in the plan) to replace them",
                                token.session.name(), names, backup.file.string()));
    }
    return fresh;
}

std::string restore_application_keys(OpenToken& token, const Plan& plan,
                                     const hsm::BackupSummary& backup, bool replace,
                                     Journal& journal) {
    const auto restored =
        hsm::unwrap_keys(token.session, plan.key_label, backup.file, {replace, backup.sha256_hex});
    std::string labels;
    for (const auto& k : restored.keys) {
        labels += (labels.empty() ? "" : " ") + k.label;
    }
    journal.record("application-keys-restored",
                   {{"token", token.label}, {"backup", backup.file.string()}},
                   {{"keys", std::to_string(restored.keys.size())},
                    {"labels", labels},
                    {"replaced", replace ? "any of the same label" : "none"}},
                   {{"backup", restored.sha256_hex}});
    return fmt::format("application keys restored into {}: {} ({})\n", token.label,
                       restored.keys.size(), labels);
}

void roll_back(const std::vector<TokenChanges>& changes, const Plan& plan, Journal& journal) {
    for (const TokenChanges& change : changes) {
        std::vector<std::string> labels =
            hsm::labels_held(change.token->session, change.new_labels);
        if (change.smk_installed) {
            labels.push_back(plan.key_label);
        }
        for (const auto& label : labels) {
            try {
                (void)hsm::destroy_key(change.token->session, label);
                journal.record("rolled-back",
                               {{"token", change.token->label}, {"key_label", label}},
                               {{"result", "destroyed"}});
            } catch (const std::exception&) {
                journal.record("rolled-back",
                               {{"token", change.token->label}, {"key_label", label}},
                               {{"result", "not destroyed: remove it by hand"}});
                journal.say(
                    fmt::format("  could not remove key \"{}\" from {}: remove it by hand\n", label,
                                change.token->session.name()));
            }
        }
    }
}

}  // namespace smk::ceremony
