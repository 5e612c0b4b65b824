// The texts and JSON of `smk media list / check / eject` (include/smk/drive_report.hpp).

#include "smk/drive_report.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report_text.hpp"
#include "smk/error.hpp"

namespace smk::drive {
namespace {

nlohmann::json block_json(const BlockDevice& b) {
    nlohmann::json mounts = nlohmann::json::array();
    for (const MountPoint& m : b.mounts) {
        mounts.push_back({{"path", m.path}, {"confirmed", m.confirmed}});
    }
    return {{"node", b.node},       {"major", b.major},     {"minor", b.minor},
            {"size", b.size_bytes}, {"fs_type", b.fs_type}, {"fs_label", b.fs_label},
            {"fs_uuid", b.fs_uuid}, {"mounts", mounts}};
}

nlohmann::json drive_json(const UsbDrive& d) {
    nlohmann::json parts = nlohmann::json::array();
    for (const BlockDevice& p : d.partitions) {
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

std::string block_line(const BlockDevice& b, std::string_view indent) {
    std::string line = fmt::format("{}{}  {}", indent, b.node,
                                   media_report::human_bytes(static_cast<double>(b.size_bytes)));
    if (!b.fs_type.empty()) {
        line += "  " + b.fs_type;
    }
    if (!b.fs_label.empty()) {
        line += " \"" + b.fs_label + "\"";
    }
    for (const MountPoint& m : b.mounts) {
        line += "  mounted at " + m.path + (m.confirmed ? "" : " (not confirmed by stat)");
    }
    return line + "\n";
}

}  // namespace

std::string describe(const UsbDrive& d) {
    return fmt::format("{} ({} {}, {}:{})", d.disk.node, d.manufacturer, d.product, d.vendor_id,
                       d.product_id);
}

std::string list_json(const std::vector<UsbDrive>& drives) {
    nlohmann::json list = nlohmann::json::array();
    for (const UsbDrive& d : drives) {
        list.push_back(drive_json(d));
    }
    return media_report::json_text({{"drives", list}});
}

std::string list_text(const std::vector<UsbDrive>& drives) {
    if (drives.empty()) {
        return "No USB drives found.\n";
    }
    std::string text;
    for (const UsbDrive& d : drives) {
        text += fmt::format("{}  serial {}\n", describe(d),
                            d.serial.empty() ? "(none reported)" : d.serial);
        text += block_line(d.disk, "  disk ");
        for (const BlockDevice& p : d.partitions) {
            text += block_line(p, "  part ");
        }
    }
    return text;
}

SerialComparison check_drive_serial(const UsbDrive& drive, std::string_view paper) {
    if (drive.serial.empty()) {
        throw Error(ErrorCategory::verification,
                    describe(drive) +
                        " reports no USB serial number (iSerial); it cannot be "
                        "checked against the paper");
    }
    return compare_serials(paper, drive.serial);
}

std::string check_json(const UsbDrive& drive, const SerialComparison& cmp) {
    nlohmann::json diffs = nlohmann::json::array();
    for (const SerialDifference& d : cmp.differences) {
        diffs.push_back({{"position", d.position},
                         {"paper", d.paper == 0 ? "" : std::string(1, d.paper)},
                         {"drive", d.drive == 0 ? "" : std::string(1, d.drive)},
                         {"look_alike", d.look_alike}});
    }
    return media_report::json_text({{"drive", drive_json(drive)},
                                    {"paper", cmp.paper},
                                    {"serial", cmp.drive},
                                    {"match", cmp.match},
                                    {"only_look_alikes", cmp.only_look_alikes()},
                                    {"paper_aligned", cmp.paper_aligned},
                                    {"drive_aligned", cmp.drive_aligned},
                                    {"carets", cmp.carets},
                                    {"differences", diffs},
                                    {"explanations", cmp.explanations()}});
}

std::string check_text(const UsbDrive& drive, const SerialComparison& cmp) {
    std::string text = describe(drive) + "\n";
    text += "  paper: " + cmp.paper_aligned + "\n";
    text += "  drive: " + cmp.drive_aligned + "\n";
    if (!cmp.match) {
        text += "         " + cmp.carets + "\n";
    }
    for (const std::string& e : cmp.explanations()) {
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
    return text;
}

void throw_if_mismatch(const UsbDrive& drive, const SerialComparison& cmp) {
    if (cmp.match) {
        return;
    }
    const std::string why = cmp.only_look_alikes()
                                ? "only look-alike characters differ; check the paper, and "
                                  "do not use the drive until the two agree"
                                : std::to_string(cmp.differences.size()) +
                                      " position(s) differ; this is not the drive on the paper";
    throw Error(ErrorCategory::verification,
                "the serial of " + drive.disk.node + " does not match the paper: " + why);
}

std::string eject_json(const UsbDrive& drive, const EjectReport& report) {
    return media_report::json_text({{"drive", drive_json(drive)},
                                    {"unmounted", report.unmounted},
                                    {"scsi_deleted", report.scsi_deleted},
                                    {"usb_removed", report.usb_removed},
                                    {"notes", report.notes}});
}

std::string eject_text(const UsbDrive& drive, const EjectReport& report) {
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
    return text;
}

}  // namespace smk::drive
