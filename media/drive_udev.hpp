#pragma once
// Internal: finding USB drives through libudev, with the mount table and the
// "which device holds this path" answer injectable, because a mocked device
// (umockdev) can be listed by udev but can hold no real files.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mountinfo.hpp"
#include "smk/drive.hpp"

namespace smk::drive::detail {

struct DevNum {
    unsigned major = 0;
    unsigned minor = 0;
    friend bool operator==(const DevNum&, const DevNum&) = default;
};

[[nodiscard]] DevNum devnum_of(dev_t dev) noexcept;
[[nodiscard]] std::string devnum_text(DevNum dev);  // "8:17"

struct MountSource {
    // nullopt: read /proc/self/mountinfo; otherwise this text, named `name` in errors.
    std::optional<std::string> mountinfo_text;
    std::string name = "/proc/self/mountinfo";
    // Empty: stat() st_dev. Tests map a fake mount point's files to a mocked device.
    // Returns nullopt when the path cannot be stat()ed.
    std::function<std::optional<DevNum>(const std::filesystem::path&)> device_of_path;
};

[[nodiscard]] std::vector<media::MountInfo> load_mounts(const MountSource& source);
[[nodiscard]] std::optional<DevNum> device_of_path(const MountSource& source,
                                                   const std::filesystem::path& path);

// Every mount of `dev` in `mounts`, each checked with device_of_path().
[[nodiscard]] std::vector<MountPoint> mounts_of(const std::vector<media::MountInfo>& mounts,
                                                DevNum dev, const MountSource& source);

// The device that holds `canonical` according to both stat (`st_dev`) and the mount
// table: the covering mount (top-most, longest) must be on st_dev, or else another
// mount covering the path must be. Error(invalid_input) when they disagree.
[[nodiscard]] DevNum confirm_path_device(const std::vector<media::MountInfo>& mounts,
                                         const std::string& canonical, DevNum st_dev);

[[nodiscard]] std::vector<UsbDrive> list_usb_drives(const MountSource& source);
// `what` names the input in errors, e.g. "/dev/sdb1" or "/media/usb (device 8:17)".
[[nodiscard]] UsbDrive usb_drive_for_devnum(DevNum dev, std::string_view what,
                                            const MountSource& source);
[[nodiscard]] UsbDrive usb_drive_for_device(const std::filesystem::path& device_node,
                                            const MountSource& source);
[[nodiscard]] UsbDrive usb_drive_for_path(const std::filesystem::path& path,
                                          const MountSource& source);

}  // namespace smk::drive::detail
