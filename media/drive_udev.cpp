// USB mass-storage drives as libudev sees them: a block disk (and its partitions)
// whose ancestors include a usb_device. The serial is that usb_device's sysfs
// `serial` (lsusb's iSerial), never udev's ID_SERIAL_SHORT.

#include "drive_udev.hpp"

#include <libudev.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>

#include "smk/error.hpp"

namespace smk::drive::detail {
namespace {

struct UdevUnref {
    void operator()(udev* u) const noexcept { udev_unref(u); }
    void operator()(udev_device* d) const noexcept { udev_device_unref(d); }
    void operator()(udev_enumerate* e) const noexcept { udev_enumerate_unref(e); }
};
using UdevPtr = std::unique_ptr<udev, UdevUnref>;
using DevicePtr = std::unique_ptr<udev_device, UdevUnref>;
using EnumeratePtr = std::unique_ptr<udev_enumerate, UdevUnref>;

UdevPtr open_udev() {
    UdevPtr u(udev_new());
    if (!u) {
        throw Error(ErrorCategory::device, "cannot query udev (udev_new failed)");
    }
    return u;
}

std::string text_or_empty(const char* value) {
    return value == nullptr ? std::string() : std::string(value);
}

std::string property(udev_device* d, const char* key) {
    return text_or_empty(udev_device_get_property_value(d, key));
}

std::string sysattr(udev_device* d, const char* key) {
    return text_or_empty(udev_device_get_sysattr_value(d, key));
}

std::uint64_t size_in_bytes(udev_device* d) {
    std::string text = sysattr(d, "size");
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    std::uint64_t sectors = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), sectors);
    if (ec != std::errc() || end != text.data() + text.size() || sectors > UINT64_MAX / 512) {
        return 0;
    }
    return sectors * 512;  // sysfs counts 512-byte sectors whatever the logical block size
}

BlockDevice block_device(udev_device* d, const std::vector<media::MountInfo>& mounts,
                         const MountSource& source) {
    BlockDevice b;
    b.node = text_or_empty(udev_device_get_devnode(d));
    const DevNum dev = devnum_of(udev_device_get_devnum(d));
    b.major = dev.major;
    b.minor = dev.minor;
    b.size_bytes = size_in_bytes(d);
    b.fs_type = property(d, "ID_FS_TYPE");
    b.fs_label = property(d, "ID_FS_LABEL");
    b.fs_uuid = property(d, "ID_FS_UUID");
    b.mounts = mounts_of(mounts, dev, source);
    return b;
}

bool is_devtype(udev_device* d, std::string_view devtype) {
    const char* type = udev_device_get_devtype(d);
    return type != nullptr && devtype == type;
}

// `disk` must have a usb_device ancestor (the caller checked).
UsbDrive make_drive(udev* u, udev_device* disk, udev_device* usb,
                    const std::vector<media::MountInfo>& mounts, const MountSource& source) {
    UsbDrive drive;
    drive.serial = sysattr(usb, "serial");
    drive.vendor_id = sysattr(usb, "idVendor");
    drive.product_id = sysattr(usb, "idProduct");
    drive.manufacturer = sysattr(usb, "manufacturer");
    drive.product = sysattr(usb, "product");
    drive.usb_syspath = text_or_empty(udev_device_get_syspath(usb));
    drive.id_usb_serial_short = property(disk, "ID_USB_SERIAL_SHORT");
    drive.id_serial_short = property(disk, "ID_SERIAL_SHORT");
    drive.disk = block_device(disk, mounts, source);

    const EnumeratePtr e(udev_enumerate_new(u));
    if (!e || udev_enumerate_add_match_subsystem(e.get(), "block") < 0 ||
        udev_enumerate_add_match_parent(e.get(), disk) < 0 ||
        udev_enumerate_scan_devices(e.get()) < 0) {
        throw Error(ErrorCategory::device,
                    "cannot list the partitions of " + drive.disk.node + " through udev");
    }
    for (udev_list_entry* entry = udev_enumerate_get_list_entry(e.get()); entry != nullptr;
         entry = udev_list_entry_get_next(entry)) {
        const DevicePtr part(udev_device_new_from_syspath(u, udev_list_entry_get_name(entry)));
        if (part && is_devtype(part.get(), "partition")) {
            drive.partitions.push_back(block_device(part.get(), mounts, source));
        }
    }
    std::sort(drive.partitions.begin(), drive.partitions.end(),
              [](const BlockDevice& a, const BlockDevice& b) { return a.node < b.node; });
    return drive;
}

}  // namespace

DevNum devnum_of(dev_t dev) noexcept {
    return {static_cast<unsigned>(major(dev)), static_cast<unsigned>(minor(dev))};
}

std::string devnum_text(DevNum dev) {
    return std::to_string(dev.major) + ":" + std::to_string(dev.minor);
}

std::vector<UsbDrive> list_usb_drives(const MountSource& source) {
    const std::vector<media::MountInfo> mounts = load_mounts(source);
    const UdevPtr u = open_udev();
    const EnumeratePtr e(udev_enumerate_new(u.get()));
    if (!e || udev_enumerate_add_match_subsystem(e.get(), "block") < 0 ||
        udev_enumerate_scan_devices(e.get()) < 0) {
        throw Error(ErrorCategory::device, "cannot list block devices through udev");
    }
    std::vector<UsbDrive> drives;
    for (udev_list_entry* entry = udev_enumerate_get_list_entry(e.get()); entry != nullptr;
         entry = udev_list_entry_get_next(entry)) {
        const DevicePtr d(udev_device_new_from_syspath(u.get(), udev_list_entry_get_name(entry)));
        if (!d || !is_devtype(d.get(), "disk")) {
            continue;
        }
        // Borrowed: the parent lives as long as its child.
        udev_device* usb =
            udev_device_get_parent_with_subsystem_devtype(d.get(), "usb", "usb_device");
        if (usb != nullptr) {
            drives.push_back(make_drive(u.get(), d.get(), usb, mounts, source));
        }
    }
    std::sort(drives.begin(), drives.end(),
              [](const UsbDrive& a, const UsbDrive& b) { return a.disk.node < b.disk.node; });
    return drives;
}

UsbDrive usb_drive_for_devnum(DevNum dev, std::string_view what, const MountSource& source) {
    const std::vector<media::MountInfo> mounts = load_mounts(source);
    const UdevPtr u = open_udev();
    const DevicePtr d(udev_device_new_from_devnum(u.get(), 'b', makedev(dev.major, dev.minor)));
    if (!d) {
        throw Error(ErrorCategory::invalid_input,
                    std::string(what) + " is not a USB drive: device " + devnum_text(dev) +
                        " is no block device udev knows (a virtual or network filesystem?)");
    }
    udev_device* disk = d.get();
    if (is_devtype(disk, "partition")) {
        disk = udev_device_get_parent_with_subsystem_devtype(d.get(), "block", "disk");
    }
    udev_device* usb =
        disk == nullptr ? nullptr
                        : udev_device_get_parent_with_subsystem_devtype(disk, "usb", "usb_device");
    if (usb == nullptr) {
        const std::string node = text_or_empty(udev_device_get_devnode(d.get()));
        const std::string bus = property(d.get(), "ID_BUS");
        throw Error(ErrorCategory::invalid_input,
                    std::string(what) + " is not a USB drive: " +
                        (node.empty() ? "device " + devnum_text(dev) : node) +
                        " has no USB device above it" + (bus.empty() ? "" : " (bus " + bus + ")") +
                        "; plug the backup drive in and name it, e.g. --device /dev/sdX");
    }
    return make_drive(u.get(), disk, usb, mounts, source);
}

}  // namespace smk::drive::detail
