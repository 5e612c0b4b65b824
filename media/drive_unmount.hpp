#pragma once
// Internal: unmounting one filesystem, and naming the processes that keep it busy.
// Works on any mounted filesystem (tests use a loop-mounted ext4 image); the USB
// part of ejecting is in drive_eject.cpp.

#include <string>
#include <vector>

#include "drive_udev.hpp"

namespace smk::drive::detail {

struct Holder {
    int pid = 0;
    std::string command;  // /proc/PID/comm
    std::vector<std::string>
        uses;  // "cwd /mnt/x", "fd 3 /mnt/x/f", "root /mnt/x", "map /mnt/x/lib.so"
};

// Every process with a file, working directory, root, executable or memory mapping
// on device `dev` (what `fuser -m` reports), found by scanning /proc/*/{cwd,root,exe,
// fd/*,maps} and comparing device numbers. Processes that vanish meanwhile are skipped.
[[nodiscard]] std::vector<Holder> processes_using_device(DevNum dev);

// "PID 1234 (bash): cwd /mnt/x; PID 99 (less): fd 4 /mnt/x/a.txt"
[[nodiscard]] std::string describe_holders(const std::vector<Holder>& holders);

// umount2(mount_point, 0): never lazy, never forced. Error(device) on failure; when
// the filesystem is busy the message names the processes holding device `dev` and
// tells the operator to close them (or `cd` away) and run the command again.
void unmount_mount_point(const std::string& mount_point, DevNum dev);

}  // namespace smk::drive::detail
