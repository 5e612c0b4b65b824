// Checking a planned drive before a flow uses it (drive_check.hpp).

#include "drive_check.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <string>

#include "smk/error.hpp"

namespace smk::ceremony {

namespace fs = std::filesystem;

// The drive at the planned mount path, with the planned USB serial.
CheckedDrive check_drive(const Drive& planned, Journal& journal, std::string_view nothing_done) {
    std::error_code ec;
    if (!fs::is_directory(planned.mount, ec)) {
        throw Error(ErrorCategory::device,
                    fmt::format("drive {}: {} is not there (not mounted?); plug in the drive "
                                "labelled {} and mount it there. {}",
                                planned.name, planned.mount.string(), planned.name, nothing_done));
    }
    drive::UsbDrive usb;
    try {
        usb = drive::usb_drive_for_path(planned.mount);
    } catch (const Error& e) {
        throw Error(ErrorCategory::device,
                    fmt::format("drive {}: {}: {}. The plan expects USB drive {} mounted there. {}",
                                planned.name, planned.mount.string(), e.what(), planned.usb_serial,
                                nothing_done));
    }
    const auto comparison = drive::compare_serials(planned.usb_serial, usb.serial);
    if (!comparison.match) {
        std::string why;
        for (const auto& line : comparison.explanations()) {
            why += "\n  " + line;
        }
        journal.record("drive-serial-mismatch",
                       {{"drive", planned.name},
                        {"mount", planned.mount.string()},
                        {"expected_usb_serial", comparison.paper},
                        {"found_usb_serial", comparison.drive}},
                       {{"result", "mismatch"}});
        throw Error(ErrorCategory::refused,
                    fmt::format("drive {}: the drive at {} has USB serial {}, the plan says {}:"
                                "\n  plan:  {}\n  drive: {}\n         {}{}\nThis is not the "
                                "planned drive. {}",
                                planned.name, planned.mount.string(), comparison.drive,
                                comparison.paper, comparison.paper_aligned,
                                comparison.drive_aligned, comparison.carets, why, nothing_done));
    }
    journal.record("drive-checked",
                   {{"drive", planned.name},
                    {"usb_serial", comparison.drive},
                    {"device", usb.disk.node},
                    {"mount", planned.mount.string()}},
                   {{"serial", "match"}});
    return {&planned, usb};
}

}  // namespace smk::ceremony
