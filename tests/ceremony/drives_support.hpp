#pragma once
// What the drive tests of smk ceremony share (drives_*_test.cpp): shell commands for
// setup, and the udev records of a USB stick that a umockdev testbed presents for a
// loop device (as tests/udev does).

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <string>

#include "cli/run.hpp"

namespace smk_test::drives {

// Test setup only: fixed commands, temp paths (tests/support/process.hpp).
inline int sh(const std::string& command) {
    return smk_test::run_shell(command).shell_status();
}

// The USB host controller every stick hangs off.
inline const std::string kControllerRecord =
    "P: /devices/pci0000:00/0000:00:14.0/usb1\nN: bus/usb/001/001\nE: "
    "DEVNAME=/dev/bus/usb/001/001\n"
    "E: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\nA: idVendor=1d6b\nA: idProduct=0002\n"
    "A: serial=0000:00:14.0\n\nP: /devices/pci0000:00/0000:00:14.0\nE: DRIVER=xhci_hcd\n"
    "E: SUBSYSTEM=pci\n";

// A USB stick on port 1-N with USB serial `serial` whose disk is block device `dev`.
inline std::string stick_record(int port, const std::string& serial, dev_t dev) {
    const std::string maj = std::to_string(major(dev));
    const std::string min = std::to_string(minor(dev));
    const std::string p = std::to_string(port);
    const std::string usb = "/devices/pci0000:00/0000:00:14.0/usb1/1-" + p;
    const std::string host = usb + "/1-" + p + ":1.0/host1" + p;
    const std::string scsi = host + "/target1" + p + ":0:0/1" + p + ":0:0:0";
    return "P: " + scsi + "/block/sdx" + p + "\nN: sdx" + p + "\nE: DEVNAME=/dev/sdx" + p +
           "\nE: DEVTYPE=disk\nE: MAJOR=" + maj + "\nE: MINOR=" + min +
           "\nE: SUBSYSTEM=block\nE: ID_BUS=usb\nE: ID_FS_TYPE=ext4\nA: dev=" + maj + ":" + min +
           "\nA: removable=1\nA: size=32768\n\nP: " + scsi +
           "\nE: DEVTYPE=scsi_device\nE: DRIVER=sd\nE: SUBSYSTEM=scsi\nA: delete=\n\nP: " + host +
           "/target1" + p + ":0:0\nE: DEVTYPE=scsi_target\nE: SUBSYSTEM=scsi\n\nP: " + host +
           "\nE: DEVTYPE=scsi_host\nE: SUBSYSTEM=scsi\n\nP: " + usb + "/1-" + p +
           ":1.0\nE: DEVTYPE=usb_interface\nE: DRIVER=usb-storage\nE: SUBSYSTEM=usb\nA: "
           "bInterfaceClass=08\n\nP: " +
           usb + "\nN: bus/usb/001/00" + std::to_string(port + 1) +
           "\nE: DEVNAME=/dev/bus/usb/001/00" + std::to_string(port + 1) +
           "\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\nA: idVendor=0781\nA: "
           "idProduct=5567\nA: manufacturer=SanDisk\nA: product=Cruzer Blade\nA: serial=" +
           serial + "\nA: remove=\n";
}

// The stick whose disk holds the mounted file system at `mount_point`.
inline std::string stick_record_of_mount(int port, const std::string& serial,
                                         const std::filesystem::path& mount_point) {
    struct stat st {};
    REQUIRE(::stat(mount_point.c_str(), &st) == 0);
    return stick_record(port, serial, st.st_dev);
}

// The stick whose disk is the block device node `node` (/dev/loopN).
inline std::string stick_record_of_node(int port, const std::string& serial,
                                        const std::string& node) {
    struct stat st {};
    REQUIRE(::stat(node.c_str(), &st) == 0);
    return stick_record(port, serial, st.st_rdev);
}

}  // namespace smk_test::drives
