#pragma once
// USB backup drives: which are plugged in, which one holds a path or is a device
// node, whether its serial number is the one written on the paper, and ejecting it.
//
// The serial people write down is the one `lsusb -v` shows as iSerial: the sysfs
// attribute `serial` of the usb_device the disk hangs from. That is the only serial
// smk compares. udev's ID_SERIAL_SHORT is not used for the check: rules such as
// ata_id can replace it with the serial of a disk behind a USB bridge.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace smk::drive {

struct MountPoint {
    std::string path;
    // stat(path).st_dev is this device. False when only mountinfo says so (a mount
    // hidden under another one, or a mocked device in tests).
    bool confirmed = false;
};

// A block device of the drive: the whole disk or one partition.
struct BlockDevice {
    std::string node;  // "/dev/sdb1"
    unsigned major = 0;
    unsigned minor = 0;
    std::uint64_t size_bytes = 0;  // sysfs `size` x 512
    std::string fs_type;           // udev ID_FS_TYPE, "" if none found
    std::string fs_label;          // udev ID_FS_LABEL
    std::string fs_uuid;           // udev ID_FS_UUID
    std::vector<MountPoint> mounts;
};

struct UsbDrive {
    std::string serial;      // sysfs `serial` of the usb_device (iSerial), as the device reports it
    std::string vendor_id;   // idVendor, 4 hex digits
    std::string product_id;  // idProduct
    std::string manufacturer;
    std::string product;
    std::string id_usb_serial_short;  // udev ID_USB_SERIAL_SHORT (information only)
    std::string id_serial_short;      // udev ID_SERIAL_SHORT (information only; may be ata_id's)
    std::string usb_syspath;          // the usb_device in sysfs
    BlockDevice disk;
    std::vector<BlockDevice> partitions;  // sorted by node name
};

// Every USB mass-storage disk udev knows of, sorted by node name. Error(device) if
// udev cannot be queried; Error(io) if the mount table cannot be read.
[[nodiscard]] std::vector<UsbDrive> list_usb_drives();

// The USB drive whose disk or partition is `device_node` (e.g. "/dev/sdb1").
// Error(io): no such file; Error(invalid_input): not a block device, or not on a USB drive.
[[nodiscard]] UsbDrive usb_drive_for_device(const std::filesystem::path& device_node);

// The USB drive holding `path` (a mount point or anything under it), found from
// stat() st_dev and confirmed with /proc/self/mountinfo. Error(io): no such path;
// Error(invalid_input): the path is not on a USB drive, or the two sources disagree.
[[nodiscard]] UsbDrive usb_drive_for_path(const std::filesystem::path& path);

// --- Serial check -----------------------------------------------------------------

// What people write, as smk compares it: spaces, tabs and dashes removed, ASCII
// letters upper-cased. "001CC OEC 34BE-FB" -> "001CCOEC34BEFB".
[[nodiscard]] std::string normalise_paper_serial(std::string_view written);
// The drive's serial as smk compares it: ASCII letters upper-cased, nothing removed.
[[nodiscard]] std::string normalise_drive_serial(std::string_view reported);

// True for the pairs people and fonts confuse: O/0, I/1, S/5, B/8, Z/2 (either order).
[[nodiscard]] bool is_look_alike(char a, char b) noexcept;

struct SerialDifference {
    std::size_t position = 0;  // 1-based column in the aligned strings
    char paper = 0;            // 0: the paper has nothing here (missing character)
    char drive = 0;            // 0: the drive has nothing here (extra character on paper)
    bool look_alike = false;
};

struct SerialComparison {
    std::string paper;  // normalised
    std::string drive;  // normalised
    bool match = false;
    // Both strings aligned (same length; '_' marks a gap) and a line with '^' under
    // every column that differs.
    std::string paper_aligned;
    std::string drive_aligned;
    std::string carets;
    std::vector<SerialDifference> differences;
    // Not a match, but every difference is a look-alike pair. Still a mismatch.
    [[nodiscard]] bool only_look_alikes() const noexcept;
    // One sentence per difference, e.g. "the paper serial has O where the drive has 0
    // at position 6: a look-alike; check the paper", and a last note when the drive's
    // own serial holds spaces or dashes (which the paper side drops). Empty on a match.
    [[nodiscard]] std::vector<std::string> explanations() const;
};

// Compares exactly (after normalising both sides); the alignment only explains.
[[nodiscard]] SerialComparison compare_serials(std::string_view paper_written,
                                               std::string_view drive_serial);

// --- Destinations of a copy (smk media copy --serial) -----------------------------

// Every destination must lie on the USB drive whose iSerial is the paper serial at
// the same index (a destination that does not exist yet: the drive of its nearest
// existing ancestor), all checked before anything is written anywhere. Nothing to
// check when `serials` is empty. Error(usage): not one serial per destination, or a
// serial with no characters; Error(refused): a destination that cannot be checked
// (not on a USB drive, ...) or lies on another drive, with the two serials aligned
// and every difference explained.
void refuse_wrong_drives(const std::vector<std::string>& destinations,
                         const std::vector<std::string>& serials);

// --- Eject ------------------------------------------------------------------------

struct EjectReport {
    std::vector<std::string> unmounted;  // mount points, in the order they were unmounted
    bool scsi_deleted = false;           // wrote 1 to <disk>/device/delete
    bool usb_removed = false;            // wrote 1 to <usb_device>/remove
    std::vector<std::string> notes;      // what could not be done, and why it is still safe or not
};

// Unmounts every mount of the drive's disk and partitions (deepest first), then
// powers it off: `device/delete` of the SCSI disk (the kernel flushes the drive's
// cache and stops it), then `remove` of the usb_device (the port is logically
// disconnected; hubs that can switch port power turn it off). Error(device) naming
// the processes (PID, command, what they hold) when a mount is busy: nothing after
// that point is done. Error(device) if the sysfs writes fail.
[[nodiscard]] EjectReport eject(const UsbDrive& drive);

}  // namespace smk::drive
