// smk media list / check / eject: the USB backup drives, the serial check against
// the paper, and safe removal. Thin: the drive library does the work and writes the
// reports (smk/drive_report.hpp).

#include "media_drive.hpp"

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "io.hpp"
#include "smk/drive.hpp"
#include "smk/drive_report.hpp"
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

void run_list(const ListCommand& cmd) {
    const std::vector<dr::UsbDrive> drives = dr::list_usb_drives();
    print_out(cmd.json ? dr::list_json(drives) : dr::list_text(drives));
}

void run_check(const CheckCommand& cmd) {
    if (dr::normalise_paper_serial(cmd.serial).empty()) {
        throw Error(ErrorCategory::usage, "--serial is empty; give the serial as written");
    }
    const dr::UsbDrive drive = choose(cmd.drive);
    const dr::SerialComparison cmp = dr::check_drive_serial(drive, cmd.serial);
    print_out(cmd.json ? dr::check_json(drive, cmp) : dr::check_text(drive, cmp));
    dr::throw_if_mismatch(drive, cmp);
}

void run_eject(const EjectCommand& cmd) {
    const dr::UsbDrive drive = choose(cmd.drive);
    const dr::EjectReport report = dr::eject(drive);
    print_out(cmd.json ? dr::eject_json(drive, report) : dr::eject_text(drive, report));
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
