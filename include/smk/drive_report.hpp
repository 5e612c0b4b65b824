#pragma once
// What `smk media list / check / eject` show of the USB drives (smk/drive.hpp), as
// text for people or as JSON (two-space indent, one trailing newline).

#include <string>
#include <string_view>
#include <vector>

#include "smk/drive.hpp"

namespace smk::drive {

// "/dev/sdb (SanDisk Cruzer, 0781:5567)": the disk, who made it and its USB ids.
[[nodiscard]] std::string describe(const UsbDrive& drive);

// Per drive: describe() and its serial, then a line for the disk and each
// partition (size, filesystem, label, mount points). "No USB drives found." if none.
[[nodiscard]] std::string list_text(const std::vector<UsbDrive>& drives);
// {"drives": [...]}: every field of UsbDrive, disk and partitions included.
[[nodiscard]] std::string list_json(const std::vector<UsbDrive>& drives);

// compare_serials(paper, drive.serial); Error(verification) if the drive reports
// no serial at all (it cannot be checked against the paper).
[[nodiscard]] SerialComparison check_drive_serial(const UsbDrive& drive, std::string_view paper);
// The two serials aligned, carets under the differences, one explanation a line and
// the verdict: MATCH, or MISMATCH (saying when only look-alike characters differ).
[[nodiscard]] std::string check_text(const UsbDrive& drive, const SerialComparison& cmp);
[[nodiscard]] std::string check_json(const UsbDrive& drive, const SerialComparison& cmp);
// Throws Error(verification) saying why unless the serials match.
void throw_if_mismatch(const UsbDrive& drive, const SerialComparison& cmp);

// What was unmounted, the notes, and whether the drive may be unplugged now.
[[nodiscard]] std::string eject_text(const UsbDrive& drive, const EjectReport& report);
[[nodiscard]] std::string eject_json(const UsbDrive& drive, const EjectReport& report);

}  // namespace smk::drive
