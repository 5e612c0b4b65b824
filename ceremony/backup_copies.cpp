// smk ceremony backup-copies: the System Administrator's Master Backup Copy, then
// each Operative Backup Copy (docs/CEREMONY.md, "backup-copies").
//
// All at once (the default): every planned drive's USB serial is checked before
// anything is written; then the Master is copied, verified from the device
// (manifest of what the drive holds equals the source's, and every checksum file
// of the backup tree holds on the drive) and ejected, then the Operative copies in
// one pass, each verified and ejected.
//
// One at a time (--one-at-a-time): one drive in the machine at a time, the Master
// first: plugged in on request, serial checked, copied, verified from the device,
// ejected, its bag serial typed and compared with the plan's, then the next. The
// Operative copies are copied from the source once its manifest, read again, is
// the Master's as read back from the Master, and each must hold the Master's tree.
//
// One result line per drive (and its tree digest in PGP words); a transcript line
// per check, copy, verification, eject and bag.

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drive_check.hpp"
#include "flow_setup.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/copy.hpp"
#include "smk/digest.hpp"
#include "smk/drive.hpp"
#include "smk/error.hpp"
#include "smk/manifest.hpp"
#include "smk/sha256.hpp"
#include "smk/text_compare.hpp"

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
Sha256 verify_tree(const ceremony::Drive& planned, const fs::path& root,
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
    return sha256_text(same.text());
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

// The custody the plan gives a drive, for its transcript line and its result line.
transcript::Fields custody_items(const Drive& d) {
    transcript::Fields items;
    for (const auto& [key, value] :
         {std::pair<std::string, const std::string*>{"facility", &d.facility},
          std::pair<std::string, const std::string*>{"bag", &d.bag},
          std::pair<std::string, const std::string*>{"recipient", &d.recipient}}) {
        if (!value->empty()) {
            items.emplace_back(key, *value);
        }
    }
    return items;
}

std::string custody_text(const Drive& d) {
    std::string text;
    if (!d.bag.empty()) {
        text += " in bag " + d.bag;
    }
    if (!d.recipient.empty()) {
        text += " for " + d.recipient;
    }
    if (!d.facility.empty()) {
        text += " at " + d.facility;
    }
    return text.empty() ? text : "; planned:" + text;
}

// The backup's own checksum files in the tree (backup-keys writes FILE.sha256sum
// beside each backup), by name relative to the root.
std::vector<std::string> checksum_files(const manifest::Generated& tree) {
    std::vector<std::string> names;
    constexpr std::string_view kSuffix = ".sha256sum";
    for (const auto& f : tree.files) {
        if (f.name.size() > kSuffix.size() &&
            f.name.compare(f.name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
            names.push_back(f.name);
        }
    }
    return names;
}

// Every checksum file of the tree at `root` checked as `cd DIR && sha256sum -c NAME`
// does (DIR its directory), reading with `mode`. `where` names the tree in errors
// ("drive MASTER", "backup.source"). Error(verification) naming the tree, the
// checksum file and the first file that is missing or differs.
void check_checksum_files(const fs::path& root, const std::vector<std::string>& sums, ReadMode mode,
                          const std::string& where, const std::string& drive,
                          std::string_view what_next, Journal& journal) {
    for (const std::string& name : sums) {
        const fs::path sum = root / name;
        const fs::path manifests[] = {sum};
        manifest::VerifyOptions verify_options;
        verify_options.read_mode = mode;
        std::string failed;  // the file that is missing or differs
        std::string why;
        std::string unreadable;  // why the checksum file itself cannot be checked
        try {
            const auto report = manifest::verify(sum.parent_path(), manifests, verify_options);
            for (const auto& f : report.files) {
                if (failed.empty() && f.status != manifest::FileStatus::ok) {
                    failed = (fs::path(name).parent_path() / f.name).generic_string();
                    why = std::string(manifest::status_name(f.status)) +
                          (f.detail.empty() ? "" : ": " + f.detail);
                }
            }
            if (report.files.empty()) {
                unreadable = "it lists no file";
            }
        } catch (const Error& e) {
            unreadable = e.what();
        }
        if (failed.empty() && unreadable.empty()) {
            continue;
        }
        const std::string tree = drive.empty() ? where : "drive " + drive;
        const std::string read = drive.empty() ? "" : " read from the device";
        journal.record("checksum-failed", {{"where", where}, {"sha256sum", name}},
                       {{"file", failed.empty() ? name : failed},
                        {"result", failed.empty() ? unreadable : why}});
        if (!unreadable.empty()) {
            throw Error(ErrorCategory::verification,
                        fmt::format("{}: the backup's own checksum file {}{} cannot be read as "
                                    "sha256sum lines ({}); {}",
                                    tree, name, read, unreadable, what_next));
        }
        throw Error(ErrorCategory::verification,
                    fmt::format("{}: {}{} does not match the backup's own checksum file {} ({}); "
                                "{}",
                                tree, failed, read, name, why, what_next));
    }
}

// The three forms of a digest people compare (smk/digest.hpp): for the paper script.
std::string digest_lines(std::string_view what, const Sha256& digest, std::string_view indent) {
    return fmt::format("{}{} SHA-256 {}\n{}  openssl: {}\n{}  PGP words: {}\n", indent, what,
                       digest_hex(digest), indent, digest_colon_hex(digest), indent,
                       pgp_words(digest));
}

// A drive copied, verified from the device (tree and checksum files), custody
// recorded, ejected: the result lines and the drive's tree digest.
struct CopyContext {
    const BackupCopiesOptions& options;
    const manifest::Generated& source;
    const std::vector<std::string>& sums;
    std::string source_arg;
    std::uint64_t bytes = 0;
    Journal& journal;
};

std::vector<Sha256> copy_to(const CopyContext& c, const std::vector<const CheckedDrive*>& which) {
    Journal& journal = c.journal;
    std::vector<std::string> destinations;
    for (const CheckedDrive* d : which) {
        destinations.push_back(d->planned->mount.string());
    }
    const auto report = copy::copy_tree(c.source_arg, destinations);
    std::vector<Sha256> digests;
    for (std::size_t k = 0; k < which.size(); ++k) {
        const CheckedDrive& d = *which[k];
        const auto& r = report.destinations[k];
        journal.record("drive-copied", {{"drive", d.planned->name}, {"usb_serial", d.usb.serial}},
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
        const Sha256 digest = verify_tree(*d.planned, r.root, c.source, journal);
        check_checksum_files(r.root, c.sums, ReadMode::direct, "drive " + d.planned->name,
                             d.planned->name, "do not use this drive", journal);
        transcript::Fields items = {{"drive", d.planned->name}};
        for (auto& item : custody_items(*d.planned)) {
            items.push_back(std::move(item));
        }
        journal.record("drive-verified", std::move(items),
                       {{"result", "ok"},
                        {"files", std::to_string(c.source.files.size())},
                        {"links", std::to_string(c.source.links.size())},
                        {"checksum_files", std::to_string(c.sums.size()) + " ok"},
                        {"tree_pgp_words", pgp_words(digest)}},
                       {{"tree", digest_hex(digest)}});
        std::string status = fmt::format(
            "{:<12} {}  copied and verified from the device: "
            "{} files ({}), tree SHA-256 {}",
            d.planned->name, d.usb.serial, c.source.files.size(), size_text(c.bytes),
            digest_hex(digest));
        if (!c.sums.empty()) {
            status += fmt::format(", {} checksum file{} OK", c.sums.size(),
                                  c.sums.size() == 1 ? "" : "s");
        }
        if (!r.extra.empty()) {
            std::string names;
            for (std::size_t e = 0; e < r.extra.size() && e < 3; ++e) {
                names += (e == 0 ? "" : ", ") + r.extra[e];
            }
            status += fmt::format(", {} extra entr{} on the drive, not removed ({}{})",
                                  r.extra.size(), r.extra.size() == 1 ? "y" : "ies", names,
                                  r.extra.size() > 3 ? ", ..." : "");
        }
        eject_drive(d, c.options, journal, status);
        status += custody_text(*d.planned);
        journal.result(status);
        journal.result(fmt::format("{:<12} tree SHA-256 in PGP words: {}", "", pgp_words(digest)));
        digests.push_back(digest);
    }
    return digests;
}

// --one-at-a-time: the operator plugs in the planned drive, alone, and mounts it.
CheckedDrive plug_in(const Plan& plan, const Drive& planned, const BackupCopiesOptions& options,
                     Journal& journal, std::string_view nothing_done) {
    std::string custody;
    if (!planned.recipient.empty()) {
        custody += ", for " + planned.recipient;
    }
    if (!planned.facility.empty()) {
        custody += ", " + planned.facility;
    }
    options.plug_in(fmt::format(
        "Plug in drive {} (USB serial {}{}) and mount it at {}; no other backup drive may be "
        "plugged in. Press Enter when it is mounted: ",
        planned.name, planned.usb_serial, custody, planned.mount.string()));
    CheckedDrive checked = check_drive(plan, planned, journal, nothing_done, options.look_alike);
    journal.say(fmt::format("  {:<12} USB serial {} matches the plan ({})\n", planned.name,
                            checked.usb.serial, checked.usb.disk.node));
    return checked;
}

// --one-at-a-time: the ejected drive goes into its tamper-evident bag; the operator
// types the bag's serial as read on the bag (the plan's is not shown first), and
// anything but the planned bag stops the flow, recorded.
void bag_drive(const Drive& planned, const BackupCopiesOptions& options, Journal& journal,
               std::string_view next) {
    std::string custody;
    if (!planned.recipient.empty()) {
        custody += " for " + planned.recipient;
    }
    if (!planned.facility.empty()) {
        custody += " (" + planned.facility + ")";
    }
    const std::string typed = options.read_bag(
        fmt::format("Drive {} is ejected: unplug it and put it in its tamper-evident bag{}. Type "
                    "the serial printed on the bag as you read it there: ",
                    planned.name, custody));
    if (!same_typed_serial(typed, planned.bag)) {
        journal.record("drive-bag-mismatch",
                       {{"drive", planned.name}, {"bag", planned.bag}, {"bag_typed", typed}},
                       {{"result", "refused: not the planned bag"}});
        throw Error(ErrorCategory::refused,
                    fmt::format("drive {}: the bag typed, \"{}\", is not the plan's bag for it "
                                "({}). Do not seal the drive in that bag. The drive is copied and "
                                "verified; {}",
                                planned.name, typed, planned.bag, next));
    }
    transcript::Fields items = {{"drive", planned.name}, {"bag", planned.bag}};
    if (!planned.recipient.empty()) {
        items.emplace_back("recipient", planned.recipient);
    }
    if (!planned.facility.empty()) {
        items.emplace_back("facility", planned.facility);
    }
    journal.record("drive-bagged", std::move(items), {{"bag", "match"}});
    journal.result(fmt::format("{:<12} in bag {}{}", planned.name, planned.bag, custody));
}

}  // namespace

void backup_copies(const BackupCopiesOptions& options, Output& output) {
    const ceremony::Plan plan = ceremony::load_plan(options.plan);
    if (plan.drives.empty()) {
        throw Error(ErrorCategory::usage,
                    "plan " + plan.file.string() + " has no [[drives]]: nothing to copy");
    }
    if (options.one_at_a_time) {
        if (options.no_eject) {
            throw Error(ErrorCategory::usage,
                        "--one-at-a-time ejects each drive before the next is plugged in; it "
                        "cannot be combined with --no-eject. Nothing was touched");
        }
        for (std::size_t i = 0; i < plan.drives.size(); ++i) {
            if (plan.drives[i].bag.empty()) {
                throw Error(ErrorCategory::invalid_input,
                            fmt::format("plan {}: drives[{}].bag: missing for drive {}: "
                                        "--one-at-a-time compares the bag serial typed for each "
                                        "drive with the plan's (see docs/CEREMONY.md); nothing "
                                        "was touched",
                                        plan.file.string(), i, plan.drives[i].name));
            }
        }
        if (!options.dry_run && (!options.plug_in || !options.read_bag)) {
            throw Error(ErrorCategory::usage,
                        "--one-at-a-time needs an operator to plug in each drive and type its "
                        "bag serial; nothing was touched");
        }
    }
    std::error_code ec;
    if (!fs::is_directory(plan.backup_source, ec)) {
        throw Error(ErrorCategory::io, "backup.source " + plan.backup_source.string() +
                                           " is not a directory; nothing was written");
    }
    Journal journal(transcript_path(plan, options.transcript), options.dry_run, "backup-copies",
                    output);
    journal.say(fmt::format("Backup copies of {} (plan {}){}\n", plan.backup_source.string(),
                            plan.file.string(),
                            options.one_at_a_time ? ", one drive at a time" : ""));
    journal.record("start", {{"plan", plan.file.string()}, {"source", plan.backup_source.string()}},
                   {{"dry_run", options.dry_run ? "yes" : "no"},
                    {"mode", options.one_at_a_time ? "one-at-a-time" : "all-at-once"}},
                   {{"plan", sha256_hex(plan.text)}});
    record_participants(plan, options.confirm_participants, journal);

    // 1. All at once: every drive is checked before anything is written to any of them.
    // One at a time: each when it is plugged in (step 4).
    std::vector<CheckedDrive> drives;
    if (!options.one_at_a_time) {
        for (const auto& planned : plan.drives) {
            drives.push_back(check_drive(plan, planned, journal,
                                         "Nothing was written to any drive.", options.look_alike));
            journal.say(fmt::format("  {:<12} USB serial {} matches the plan ({})\n", planned.name,
                                    drives.back().usb.serial, drives.back().usb.disk.node));
        }
    }
    // 2. The source: its manifest, and the backup's own checksum files checked on it
    // before anything is written (a backup damaged since it was made is not copied).
    manifest::GenerateOptions generate_options;
    generate_options.read_mode = ReadMode::cached;
    const auto source = manifest::generate(plan.backup_source, generate_options);
    const Sha256 source_digest = sha256_text(source.text());
    const std::vector<std::string> sums = checksum_files(source);
    std::uint64_t bytes = 0;
    for (const auto& f : source.files) {
        bytes += f.size;
    }
    check_checksum_files(plan.backup_source, sums, ReadMode::cached, "backup.source", "",
                         "the backup is damaged or its checksum file is wrong. Nothing was "
                         "written to any drive",
                         journal);
    journal.record("source-read", {{"source", plan.backup_source.string()}},
                   {{"files", std::to_string(source.files.size())},
                    {"bytes", std::to_string(bytes)},
                    {"checksum_files", std::to_string(sums.size()) + " ok"},
                    {"tree_pgp_words", pgp_words(source_digest)}},
                   {{"tree", digest_hex(source_digest)}});
    journal.say(digest_lines("source tree", source_digest, "  "));
    if (options.dry_run) {
        if (options.one_at_a_time) {
            for (const auto& d : plan.drives) {
                journal.result(fmt::format(
                    "{:<12} {}  would ask for it, copy {} files ({}), "
                    "verify, eject and ask for its bag{}",
                    d.name, d.usb_serial, source.files.size(), size_text(bytes), custody_text(d)));
            }
        }
        for (const auto& d : drives) {
            journal.result(fmt::format("{:<12} {}  serial OK  would copy {} files ({}){}",
                                       d.planned->name, d.usb.serial, source.files.size(),
                                       size_text(bytes), custody_text(*d.planned)));
        }
        journal.result("dry run: nothing was written");
        return;
    }

    // The copy engine's trailing-slash rule: SRC/ copies the content of SRC.
    CopyContext context{options, source, sums, plan.backup_source.string(), bytes, journal};
    if (context.source_arg.back() != '/') {
        context.source_arg += '/';
    }
    if (!options.one_at_a_time) {
        // 3. The Master Backup Copy alone, then 4. the Operative Backup Copies in one pass.
        (void)copy_to(context, {&drives[0]});
        std::vector<const CheckedDrive*> operatives;
        for (std::size_t i = 1; i < drives.size(); ++i) {
            operatives.push_back(&drives[i]);
        }
        if (!operatives.empty()) {
            (void)copy_to(context, operatives);
        }
    } else {
        // 3. The Master: plugged in alone, copied from the source, verified from the
        // device, ejected, bagged. 4. Each Operative the same way, from the source
        // once the source is shown to be the tree the Master holds (its manifest read
        // again equals the Master's as read from the Master), and its tree as read from
        // the device must be the Master's too.
        Sha256 master{};
        for (std::size_t i = 0; i < plan.drives.size(); ++i) {
            const Drive& planned = plan.drives[i];
            const std::string nothing_done =
                i == 0 ? "Nothing was written to any drive."
                       : fmt::format(
                             "Nothing was written to it; the {} drive(s) before it are "
                             "done and bagged.",
                             i);
            const CheckedDrive checked = plug_in(plan, planned, options, journal, nothing_done);
            if (i > 0) {
                const auto again = manifest::generate(plan.backup_source, generate_options);
                const Sha256 now = sha256_text(again.text());
                if (now != master) {
                    journal.record(
                        "source-changed", {{"drive", planned.name}},
                        {{"result", "the source is no longer the Master's tree"}},
                        {{"tree", digest_hex(now)}, {"master_tree", digest_hex(master)}});
                    throw Error(ErrorCategory::verification,
                                fmt::format("drive {}: backup.source {} has changed since the "
                                            "Master Backup Copy was made (tree SHA-256 {}, the "
                                            "Master's {}); the Operative copies must be the "
                                            "Master's tree. {}",
                                            planned.name, plan.backup_source.string(),
                                            digest_hex(now), digest_hex(master), nothing_done));
                }
            }
            const Sha256 digest = copy_to(context, {&checked}).front();
            if (i == 0) {
                master = digest;
            } else if (digest != master) {  // verify_tree already held it to the source's
                throw Error(ErrorCategory::verification,
                            fmt::format("drive {}: its tree SHA-256 {} is not the Master's {}; do "
                                        "not use this drive",
                                        planned.name, digest_hex(digest), digest_hex(master)));
            }
            const std::string next =
                i + 1 < plan.drives.size()
                    ? fmt::format(
                          "the drives after it ({} of them) were not touched. Find the "
                          "planned bag, or record the bag used in a new plan, and run "
                          "backup-copies --one-at-a-time again",
                          plan.drives.size() - i - 1)
                    : "it was the last drive. Find the planned bag, or record the bag used in a "
                      "new plan";
            bag_drive(planned, options, journal, next);
        }
    }
    journal.result(fmt::format("backup copies: {} drives OK; transcript {}", plan.drives.size(),
                               journal.path()));
    result_lines(journal, digest_lines("every drive holds the tree of", source_digest, ""));
    journal.finish({{"drives", std::to_string(plan.drives.size())}},
                   {{"tree", digest_hex(source_digest)}});
}

}  // namespace smk::ceremony
