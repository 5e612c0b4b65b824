// smk media list / check / eject: the USB backup drives, the serial check against
// the paper, and safe removal. Thin: the drive library does the work.

#include "media_drive.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io.hpp"
#include "json_text.hpp"
#include "smk/drive.hpp"
#include "smk/error.hpp"

namespace smk::cli {
namespace {

namespace dr = smk::drive;

struct DriveChoice {
    std::string path;
    std::string device;
};

struct ListCommand {
    bool json = false;
};

struct CheckCommand {
    std::string serial;
    DriveChoice drive;
    bool json = false;
};

struct EjectCommand {
    DriveChoice drive;
    bool json = false;
};

dr::UsbDrive choose(const DriveChoice& choice) {
    if (choice.path.empty() == choice.device.empty()) {
        throw Error(ErrorCategory::usage,
                    "name the drive by exactly one of PATH (a mount point or a file on it) "
                    "and --device DEV (e.g. /dev/sdb1)");
    }
    return choice.device.empty() ? dr::usb_drive_for_path(choice.path)
                                 : dr::usb_drive_for_device(choice.device);
}

std::string human_size(std::uint64_t bytes) {
    constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
        value /= 1024.0;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string describe(const dr::UsbDrive& d) {
    return fmt::format("{} ({} {}, {}:{})", d.disk.node, d.manufacturer, d.product, d.vendor_id,
                       d.product_id);
}

nlohmann::json block_json(const dr::BlockDevice& b) {
    nlohmann::json mounts = nlohmann::json::array();
    for (const dr::MountPoint& m : b.mounts) {
        mounts.push_back({{"path", m.path}, {"confirmed", m.confirmed}});
    }
    return {{"node", b.node},       {"major", b.major},     {"minor", b.minor},
            {"size", b.size_bytes}, {"fs_type", b.fs_type}, {"fs_label", b.fs_label},
            {"fs_uuid", b.fs_uuid}, {"mounts", mounts}};
}

nlohmann::json drive_json(const dr::UsbDrive& d) {
    nlohmann::json parts = nlohmann::json::array();
    for (const dr::BlockDevice& p : d.partitions) {
        parts.push_back(block_json(p));
    }
    return {{"serial", d.serial},
            {"vendor_id", d.vendor_id},
            {"product_id", d.product_id},
            {"manufacturer", d.manufacturer},
            {"product", d.product},
            {"id_usb_serial_short", d.id_usb_serial_short},
            {"id_serial_short", d.id_serial_short},
            {"usb_syspath", d.usb_syspath},
            {"disk", block_json(d.disk)},
            {"partitions", parts}};
}

std::string block_line(const dr::BlockDevice& b, std::string_view indent) {
    std::string line = fmt::format("{}{}  {}", indent, b.node, human_size(b.size_bytes));
    if (!b.fs_type.empty()) {
        line += "  " + b.fs_type;
    }
    if (!b.fs_label.empty()) {
        line += " \"" + b.fs_label + "\"";
    }
    for (const dr::MountPoint& m : b.mounts) {
        line += "  mounted at " + m.path + (m.confirmed ? "" : " (not confirmed by stat)");
    }
    return line + "\n";
}

void run_list(const ListCommand& cmd) {
    const std::vector<dr::UsbDrive> drives = dr::list_usb_drives();
    if (cmd.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const dr::UsbDrive& d : drives) {
            list.push_back(drive_json(d));
        }
        print_out(json_text({{"drives", list}}));
        return;
    }
    if (drives.empty()) {
        print_out("No USB drives found.\n");
        return;
    }
    std::string text;
    for (const dr::UsbDrive& d : drives) {
        text += fmt::format("{}  serial {}\n", describe(d),
                            d.serial.empty() ? "(none reported)" : d.serial);
        text += block_line(d.disk, "  disk ");
        for (const dr::BlockDevice& p : d.partitions) {
            text += block_line(p, "  part ");
        }
    }
    print_out(text);
}

void run_check(const CheckCommand& cmd) {
    if (dr::normalise_paper_serial(cmd.serial).empty()) {
        throw Error(ErrorCategory::usage, "--serial is empty; give the serial as written");
    }
    const dr::UsbDrive drive = choose(cmd.drive);
    if (drive.serial.empty()) {
        throw Error(ErrorCategory::verification,
                    describe(drive) +
                        " reports no USB serial number (iSerial); it cannot be "
                        "checked against the paper");
    }
    const dr::SerialComparison cmp = dr::compare_serials(cmd.serial, drive.serial);
    const std::vector<std::string> explanations = cmp.explanations();
    if (cmd.json) {
        nlohmann::json diffs = nlohmann::json::array();
        for (const dr::SerialDifference& d : cmp.differences) {
            diffs.push_back({{"position", d.position},
                             {"paper", d.paper == 0 ? "" : std::string(1, d.paper)},
                             {"drive", d.drive == 0 ? "" : std::string(1, d.drive)},
                             {"look_alike", d.look_alike}});
        }
        print_out(json_text({{"drive", drive_json(drive)},
                             {"paper", cmp.paper},
                             {"serial", cmp.drive},
                             {"match", cmp.match},
                             {"only_look_alikes", cmp.only_look_alikes()},
                             {"paper_aligned", cmp.paper_aligned},
                             {"drive_aligned", cmp.drive_aligned},
                             {"carets", cmp.carets},
                             {"differences", diffs},
                             {"explanations", explanations}}));
    } else {
        std::string text = describe(drive) + "\n";
        text += "  paper: " + cmp.paper_aligned + "\n";
        text += "  drive: " + cmp.drive_aligned + "\n";
        if (!cmp.match) {
            text += "         " + cmp.carets + "\n";
        }
        for (const std::string& e : explanations) {
            text += "  " + e + "\n";
        }
        if (cmp.match) {
            text += "MATCH: the drive's USB serial is the one on the paper\n";
        } else if (cmp.only_look_alikes()) {
            text +=
                "MISMATCH: only look-alike characters differ; check the paper before using "
                "this drive\n";
        } else {
            text += "MISMATCH: this is not the drive on the paper\n";
        }
        print_out(text);
    }
    if (!cmp.match) {
        const std::string why = cmp.only_look_alikes()
                                    ? "only look-alike characters differ; check the paper, and "
                                      "do not use the drive until the two agree"
                                    : std::to_string(cmp.differences.size()) +
                                          " position(s) differ; this is not the drive on the paper";
        throw Error(ErrorCategory::verification,
                    "the serial of " + drive.disk.node + " does not match the paper: " + why);
    }
}

void run_eject(const EjectCommand& cmd) {
    const dr::UsbDrive drive = choose(cmd.drive);
    const dr::EjectReport report = dr::eject(drive);
    if (cmd.json) {
        print_out(json_text({{"drive", drive_json(drive)},
                             {"unmounted", report.unmounted},
                             {"scsi_deleted", report.scsi_deleted},
                             {"usb_removed", report.usb_removed},
                             {"notes", report.notes}}));
        return;
    }
    std::string text;
    for (const std::string& m : report.unmounted) {
        text += "Unmounted " + m + "\n";
    }
    for (const std::string& n : report.notes) {
        text += "note: " + n + "\n";
    }
    text += describe(drive) + ": " +
            (report.usb_removed ? "stopped and disconnected; unplug it now.\n"
                                : "stopped; unplug it now.\n");
    print_out(text);
}

void add_drive_choice(CLI::App& cmd, DriveChoice& choice) {
    cmd.add_option("path", choice.path, "A mount point of the drive, or a file on it");
    cmd.add_option("--device", choice.device, "The drive's disk or partition, e.g. /dev/sdb1");
}

}  // namespace

void add_media_drive_commands(CLI::App& media) {
    auto list = std::make_shared<ListCommand>();
    auto* list_cmd = media.add_subcommand(
        "list",
        "List the USB drives: USB serial (iSerial), vendor:product, partitions, "
        "filesystems, sizes and mount points");
    list_cmd->add_flag("--json", list->json, "Print the result as JSON");
    list_cmd->callback([list] { run_list(*list); });

    auto check = std::make_shared<CheckCommand>();
    auto* check_cmd = media.add_subcommand(
        "check",
        "Compare a USB drive's serial (lsusb iSerial) with the one written on paper; "
        "spaces and dashes in --serial are ignored, case is not significant, and "
        "look-alike characters (O/0, I/1, S/5, B/8, Z/2) are a mismatch");
    check_cmd->add_option("--serial", check->serial, "The serial as written on the paper")
        ->required();
    add_drive_choice(*check_cmd, check->drive);
    check_cmd->add_flag("--json", check->json, "Print the result as JSON");
    check_cmd->callback([check] { run_check(*check); });

    auto eject = std::make_shared<EjectCommand>();
    auto* eject_cmd = media.add_subcommand(
        "eject",
        "Unmount every filesystem of a USB drive, then stop it (SCSI device/delete) "
        "and disconnect it (USB remove); names the processes holding a busy mount");
    add_drive_choice(*eject_cmd, eject->drive);
    eject_cmd->add_flag("--json", eject->json, "Print the result as JSON");
    eject_cmd->callback([eject] { run_eject(*eject); });
}

}  // namespace smk::cli
