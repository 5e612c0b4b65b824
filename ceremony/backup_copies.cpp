// smk ceremony backup-copies: the System Administrator's Master Backup Copy, then
// each Operative Backup Copy. Every planned drive's USB serial is checked before
// anything is written; then the Master is copied, verified from the device
// (manifest of what the drive holds equals the source's) and ejected, then the
// Operative copies in one pass, each verified and ejected. One result line per
// drive; a transcript line per check, copy, verification and eject.

#include <fmt/core.h>

#include <filesystem>
#include <string>
#include <vector>

#include "drive_check.hpp"
#include "flow_setup.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/copy.hpp"
#include "smk/drive.hpp"
#include "smk/error.hpp"
#include "smk/manifest.hpp"
#include "smk/sha256.hpp"

namespace smk::ceremony {
namespace {

namespace fs = std::filesystem;

std::string size_text(std::uint64_t bytes) {
    if (bytes >= 1024ULL * 1024ULL) {
        return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    }
    return fmt::format("{} bytes", bytes);
}

// Verifies the copy on the drive from the device: every source file is there with
// the source's SHA-256 (read with O_DIRECT) and every source link with its target.
// Extra files on the drive are reported by the copy, not here. Returns the SHA-256
// of the drive's manifest of those files and links (the source's, when all match).
std::string verify_tree(const ceremony::Drive& planned, const fs::path& root,
                        const manifest::Generated& source, Journal& journal) {
    manifest::GenerateOptions options;
    options.read_mode = ReadMode::direct;
    const auto on_drive = manifest::generate(root, options);
    manifest::Generated same;
    std::size_t k = 0;
    for (const auto& file : source.files) {
        while (k < on_drive.files.size() && on_drive.files[k].name < file.name) {
            ++k;
        }
        if (k == on_drive.files.size() || on_drive.files[k].name != file.name ||
            on_drive.files[k].digest != file.digest) {
            journal.record("drive-verify-failed", {{"drive", planned.name}},
                           {{"result", "differs from the source"}, {"file", file.name}});
            throw Error(ErrorCategory::verification,
                        fmt::format("drive {}: {} on the drive at {} is missing or differs from "
                                    "the source; do not use this drive",
                                    planned.name, file.name, root.string()));
        }
        same.files.push_back(on_drive.files[k]);
    }
    // Symbolic links are part of the tree (and of the source's digest): each must be
    // on the drive as a link with the same target, never followed.
    std::size_t l = 0;
    for (const auto& link : source.links) {
        while (l < on_drive.links.size() && on_drive.links[l].name < link.name) {
            ++l;
        }
        if (l == on_drive.links.size() || on_drive.links[l].name != link.name ||
            on_drive.links[l].target != link.target) {
            journal.record("drive-verify-failed", {{"drive", planned.name}},
                           {{"result", "differs from the source"}, {"link", link.name}});
            throw Error(ErrorCategory::verification,
                        fmt::format("drive {}: the symbolic link {} (to {}) on the drive at {} is "
                                    "missing or has another target; do not use this drive",
                                    planned.name, link.name, link.target, root.string()));
        }
        same.links.push_back(on_drive.links[l]);
    }
    return sha256_hex(same.text());
}

void eject_drive(const CheckedDrive& drive, const BackupCopiesOptions& options, Journal& journal,
                 std::string& status) {
    if (options.no_eject) {
        status += ", left mounted (--no-eject)";
        return;
    }
    const auto report = drive::eject(drive.usb);
    journal.record("drive-ejected",
                   {{"drive", drive.planned->name}, {"device", drive.usb.disk.node}},
                   {{"unmounted", std::to_string(report.unmounted.size())},
                    {"powered_off", report.usb_removed || report.scsi_deleted ? "yes" : "no"}});
    status += ", ejected";
}

}  // namespace

void backup_copies(const BackupCopiesOptions& options, Output& output) {
    const ceremony::Plan plan = ceremony::load_plan(options.plan);
    if (plan.drives.empty()) {
        throw Error(ErrorCategory::usage,
                    "plan " + plan.file.string() + " has no [[drives]]: nothing to copy");
    }
    std::error_code ec;
    if (!fs::is_directory(plan.backup_source, ec)) {
        throw Error(ErrorCategory::io, "backup.source " + plan.backup_source.string() +
                                           " is not a directory; nothing was written");
    }
    Journal journal(transcript_path(plan, options.transcript), options.dry_run, "backup-copies",
                    output);
    journal.say(fmt::format("Backup copies of {} (plan {})\n", plan.backup_source.string(),
                            plan.file.string()));
    journal.record("start", {{"plan", plan.file.string()}, {"source", plan.backup_source.string()}},
                   {{"dry_run", options.dry_run ? "yes" : "no"}},
                   {{"plan", sha256_hex(plan.text)}});
    record_participants(plan, options.confirm_participants, journal);

    // 1. Every drive is checked before anything is written to any of them.
    std::vector<CheckedDrive> drives;
    for (const auto& planned : plan.drives) {
        drives.push_back(check_drive(plan, planned, journal, "Nothing was written to any drive.",
                                     options.look_alike));
        journal.say(fmt::format("  {:<12} USB serial {} matches the plan ({})\n", planned.name,
                                drives.back().usb.serial, drives.back().usb.disk.node));
    }
    manifest::GenerateOptions generate_options;
    generate_options.read_mode = ReadMode::cached;
    const auto source = manifest::generate(plan.backup_source, generate_options);
    const std::string source_manifest = source.text();
    const std::string source_digest = sha256_hex(source_manifest);
    std::uint64_t bytes = 0;
    for (const auto& f : source.files) {
        bytes += f.size;
    }
    journal.record(
        "source-read", {{"source", plan.backup_source.string()}},
        {{"files", std::to_string(source.files.size())}, {"bytes", std::to_string(bytes)}},
        {{"tree", source_digest}});
    if (options.dry_run) {
        for (const auto& d : drives) {
            journal.result(fmt::format("{:<12} {}  serial OK  would copy {} files ({})",
                                       d.planned->name, d.usb.serial, source.files.size(),
                                       size_text(bytes)));
        }
        journal.result("dry run: nothing was written");
        return;
    }

    // The copy engine's trailing-slash rule: SRC/ copies the content of SRC.
    std::string source_arg = plan.backup_source.string();
    if (source_arg.back() != '/') {
        source_arg += '/';
    }
    const auto copy_to = [&](const std::vector<std::size_t>& which) {
        std::vector<std::string> destinations;
        for (const std::size_t i : which) {
            destinations.push_back(drives[i].planned->mount.string());
        }
        const auto report = copy::copy_tree(source_arg, destinations);
        for (std::size_t k = 0; k < which.size(); ++k) {
            const auto& d = drives[which[k]];
            const auto& r = report.destinations[k];
            journal.record("drive-copied",
                           {{"drive", d.planned->name}, {"usb_serial", d.usb.serial}},
                           {{"copied", std::to_string(r.copied + r.updated + r.rewritten)},
                            {"unchanged_verified", std::to_string(r.unchanged_verified)},
                            {"files_read_back", std::to_string(r.files_verified)},
                            {"read_back", r.verified_ok() ? "ok" : "FAILED"},
                            {"extra_entries", std::to_string(r.extra.size())}});
            if (!r.verified_ok()) {
                throw Error(
                    ErrorCategory::verification,
                    fmt::format("drive {}: {} file(s) or link(s) read back from the device "
                                "differ from the source, first {}; do not use this drive",
                                d.planned->name, r.verify_failed.size(), r.verify_failed.front()));
            }
            const std::string digest = verify_tree(*d.planned, r.root, source, journal);
            journal.record("drive-verified", {{"drive", d.planned->name}},
                           {{"result", "ok"},
                            {"files", std::to_string(source.files.size())},
                            {"links", std::to_string(source.links.size())}},
                           {{"tree", digest}});
            std::string status = fmt::format(
                "{:<12} {}  copied and verified from the device: "
                "{} files ({}), tree SHA-256 {}",
                d.planned->name, d.usb.serial, source.files.size(), size_text(bytes), digest);
            if (!r.extra.empty()) {
                std::string names;
                for (std::size_t e = 0; e < r.extra.size() && e < 3; ++e) {
                    names += (e == 0 ? "" : ", ") + r.extra[e];
                }
                status += fmt::format(", {} extra entr{} on the drive, not removed ({}{})",
                                      r.extra.size(), r.extra.size() == 1 ? "y" : "ies", names,
                                      r.extra.size() > 3 ? ", ..." : "");
            }
            eject_drive(d, options, journal, status);
            journal.result(status);
        }
    };
    // 2. The Master Backup Copy alone, then 3. the Operative Backup Copies in one pass.
    copy_to({0});
    std::vector<std::size_t> operatives;
    for (std::size_t i = 1; i < drives.size(); ++i) {
        operatives.push_back(i);
    }
    if (!operatives.empty()) {
        copy_to(operatives);
    }
    journal.result(
        fmt::format("backup copies: {} drives OK; transcript {}", drives.size(), journal.path()));
    journal.finish({{"drives", std::to_string(drives.size())}}, {{"tree", source_digest}});
}

}  // namespace smk::ceremony
