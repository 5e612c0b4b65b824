// From what the operator names (a path on the drive, or a device node) to the USB
// drive, and the mount points of its block devices. Two sources must agree before
// a path is attributed to a device: stat() st_dev and the mount table.

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "drive_udev.hpp"
#include "smk/error.hpp"

namespace smk::drive::detail {
namespace {

namespace fs = std::filesystem;

bool covers(std::string_view mount_point, std::string_view path) {
    if (mount_point == "/") {
        return path.starts_with('/');
    }
    return path.starts_with(mount_point) &&
           (path.size() == mount_point.size() || path[mount_point.size()] == '/');
}

DevNum devnum_of_mount(const media::MountInfo& m) {
    return {m.major, m.minor};
}

}  // namespace

std::vector<media::MountInfo> load_mounts(const MountSource& source) {
    if (source.mountinfo_text) {
        return media::parse_mountinfo(*source.mountinfo_text, source.name);
    }
    return media::read_mountinfo();
}

std::optional<DevNum> device_of_path(const MountSource& source, const fs::path& path) {
    if (source.device_of_path) {
        return source.device_of_path(path);
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return devnum_of(st.st_dev);
}

std::vector<MountPoint> mounts_of(const std::vector<media::MountInfo>& mounts, DevNum dev,
                                  const MountSource& source) {
    std::vector<MountPoint> out;
    for (const media::MountInfo& m : mounts) {
        if (devnum_of_mount(m) == dev) {
            const std::optional<DevNum> seen = device_of_path(source, m.mount_point);
            out.push_back({m.mount_point, seen.has_value() && *seen == dev});
        }
    }
    return out;
}

DevNum confirm_path_device(const std::vector<media::MountInfo>& mounts,
                           const std::string& canonical, DevNum st_dev) {
    const std::size_t index = media::find_mount(mounts, canonical);
    if (index == mounts.size()) {
        throw Error(ErrorCategory::invalid_input,
                    canonical +
                        ": no mount in the mount table holds it; name the drive with "
                        "--device /dev/sdX instead");
    }
    if (devnum_of_mount(mounts[index]) == st_dev) {
        return st_dev;
    }
    // A mount over a parent directory can hide a longer mount point: accept any
    // covering mount on the device stat() reports.
    for (const media::MountInfo& m : mounts) {
        if (covers(m.mount_point, canonical) && devnum_of_mount(m) == st_dev) {
            return st_dev;
        }
    }
    throw Error(ErrorCategory::invalid_input,
                canonical + ": stat() says it is on device " + devnum_text(st_dev) +
                    " but the mount table says " + mounts[index].mount_point + " is device " +
                    devnum_text(devnum_of_mount(mounts[index])) +
                    " (btrfs, overlay or a stacked mount?); cannot tell which drive holds it; "
                    "name the drive with --device /dev/sdX instead");
}

UsbDrive usb_drive_for_device(const fs::path& device_node, const MountSource& source) {
    struct stat st {};
    if (::stat(device_node.c_str(), &st) != 0) {
        const int err = errno;
        throw Error(ErrorCategory::io, device_node.string() + ": " + std::strerror(err) +
                                           " (is the drive plugged in? see 'smk media list')");
    }
    if (!S_ISBLK(st.st_mode)) {
        throw Error(ErrorCategory::invalid_input,
                    device_node.string() +
                        " is not a USB drive: not a block device (give the "
                        "disk or a partition, e.g. /dev/sdb or /dev/sdb1)");
    }
    return usb_drive_for_devnum(devnum_of(st.st_rdev), device_node.string(), source);
}

UsbDrive usb_drive_for_path(const fs::path& path, const MountSource& source) {
    std::error_code ec;
    const fs::path canonical = fs::canonical(path, ec);
    if (ec) {
        throw Error(ErrorCategory::io, path.string() + ": " + ec.message());
    }
    const std::optional<DevNum> st_dev = device_of_path(source, canonical);
    if (!st_dev) {
        throw Error(ErrorCategory::io, "cannot stat " + canonical.string());
    }
    const DevNum dev = confirm_path_device(load_mounts(source), canonical.native(), *st_dev);
    return usb_drive_for_devnum(dev, path.string() + " (device " + devnum_text(dev) + ")", source);
}

}  // namespace smk::drive::detail

namespace smk::drive {

std::vector<UsbDrive> list_usb_drives() {
    return detail::list_usb_drives(detail::MountSource{});
}

UsbDrive usb_drive_for_device(const std::filesystem::path& device_node) {
    return detail::usb_drive_for_device(device_node, detail::MountSource{});
}

UsbDrive usb_drive_for_path(const std::filesystem::path& path) {
    return detail::usb_drive_for_path(path, detail::MountSource{});
}

}  // namespace smk::drive
