// Ejecting a USB backup drive: unmount everything on it, then let the kernel flush
// and stop it and disconnect the USB port, the way udisks' "power off" does.

#include <fcntl.h>
#include <libudev.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "drive_udev.hpp"
#include "drive_unmount.hpp"
#include "smk/error.hpp"

namespace smk::drive {
namespace {

using detail::DevNum;

// Mounts pile up (stacked, bind, propagated): unmount one at a time, re-reading the
// mount table each time, deepest mount point first. The bound stops a mount table
// that keeps changing under us.
constexpr int kMaxUnmounts = 64;

std::vector<DevNum> devices_of(const UsbDrive& drive) {
    std::vector<DevNum> devs{{drive.disk.major, drive.disk.minor}};
    for (const BlockDevice& p : drive.partitions) {
        devs.push_back({p.major, p.minor});
    }
    return devs;
}

void unmount_all(const UsbDrive& drive, EjectReport& report) {
    const std::vector<DevNum> devs = devices_of(drive);
    for (int round = 0; round < kMaxUnmounts; ++round) {
        const std::vector<media::MountInfo> mounts = media::read_mountinfo();
        const media::MountInfo* deepest = nullptr;
        for (const media::MountInfo& m : mounts) {
            const bool ours =
                std::find(devs.begin(), devs.end(), DevNum{m.major, m.minor}) != devs.end();
            if (ours &&
                (deepest == nullptr || m.mount_point.size() >= deepest->mount_point.size())) {
                deepest = &m;
            }
        }
        if (deepest == nullptr) {
            return;
        }
        detail::unmount_mount_point(deepest->mount_point, {deepest->major, deepest->minor});
        report.unmounted.push_back(deepest->mount_point);
    }
    throw Error(ErrorCategory::device, drive.disk.node + ": still mounted after " +
                                           std::to_string(kMaxUnmounts) +
                                           " unmounts; is something mounting it again?");
}

void write_one(const std::string& attribute, const std::string& what) {
    const int fd = ::open(attribute.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "1", 1) != 1) {
        const int err = errno;
        if (fd >= 0) {
            ::close(fd);
        }
        throw Error(ErrorCategory::device, "cannot " + what + " (" + attribute +
                                               "): " + std::strerror(err) +
                                               "; everything is unmounted, so the drive can be "
                                               "unplugged safely");
    }
    ::close(fd);
}

struct UdevRefs {
    udev* u = udev_new();
    udev_device* disk = nullptr;
    ~UdevRefs() {
        udev_device_unref(disk);
        udev_unref(u);
    }
};

// No other opener (another mount namespace, device-mapper, a raw reader) may hold
// the disk: O_EXCL on a block device fails with EBUSY then. fsync flushes its buffers.
void claim_and_flush(const std::string& node) {
    const int fd = ::open(node.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        throw Error(ErrorCategory::device,
                    node + " is unmounted here but still in use (" + std::strerror(err) +
                        ": another mount namespace, device-mapper or a program reading the "
                        "device?); it was not powered off");
    }
    ::fsync(fd);
    ::close(fd);
}

void power_off(const UsbDrive& drive, EjectReport& report) {
    claim_and_flush(drive.disk.node);
    UdevRefs refs;
    if (refs.u != nullptr) {
        refs.disk =
            udev_device_new_from_devnum(refs.u, 'b', makedev(drive.disk.major, drive.disk.minor));
    }
    udev_device* usb = refs.disk == nullptr ? nullptr
                                            : udev_device_get_parent_with_subsystem_devtype(
                                                  refs.disk, "usb", "usb_device");
    const char* usb_path = usb == nullptr ? nullptr : udev_device_get_syspath(usb);
    if (usb_path == nullptr || drive.usb_syspath != usb_path) {
        throw Error(ErrorCategory::device, drive.disk.node +
                                               " is no longer the USB drive it was (unplugged or "
                                               "replaced?); it was not powered off");
    }
    udev_device* scsi =
        udev_device_get_parent_with_subsystem_devtype(refs.disk, "scsi", "scsi_device");
    if (scsi != nullptr && udev_device_get_syspath(scsi) != nullptr) {
        write_one(std::string(udev_device_get_syspath(scsi)) + "/delete",
                  "stop the SCSI disk " + drive.disk.node);
        report.scsi_deleted = true;
    } else {
        report.notes.push_back(drive.disk.node + " has no SCSI device above it; not stopped");
    }
    const std::string remove = std::string(usb_path) + "/remove";
    if (::access(remove.c_str(), W_OK) == 0) {
        write_one(remove, "disconnect the USB device");
        report.usb_removed = true;
    } else {
        report.notes.push_back("this kernel offers no " + remove +
                               "; the USB port stays powered, but the drive is stopped and can "
                               "be unplugged");
    }
}

}  // namespace

EjectReport eject(const UsbDrive& drive) {
    EjectReport report;
    unmount_all(drive, report);
    power_off(drive, report);
    return report;
}

}  // namespace smk::drive
