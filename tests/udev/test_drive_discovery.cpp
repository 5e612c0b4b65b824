// USB drive discovery through libudev, against recorded device trees (umockdev),
// with a fake mount table mapping mount points to the mocked devices.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "drive_udev.hpp"
#include "media/media_test_util.hpp"
#include "smk/drive.hpp"
#include "smk/error.hpp"
#include "support/umockdev_testbed.hpp"

namespace dr = smk::drive;
namespace dt = smk::drive::detail;
namespace fs = std::filesystem;

namespace {

// A mount table with one line per (mount point, major:minor, device node), and stat()
// answers to match: files under a mount point are on its device.
struct FakeMounts {
    std::string text;
    std::vector<std::pair<std::string, dt::DevNum>> points;

    void add(const fs::path& point, dt::DevNum dev, const std::string& node) {
        const int id = 100 + static_cast<int>(points.size());
        text += std::to_string(id) + " 1 " + dt::devnum_text(dev) + " / " + point.string() +
                " rw,nosuid - vfat " + node + " rw\n";
        points.emplace_back(point.string(), dev);
    }

    [[nodiscard]] dt::MountSource source() const {
        dt::MountSource s;
        s.mountinfo_text = text;
        s.name = "test mountinfo";
        const auto copy = points;
        s.device_of_path = [copy](const fs::path& p) -> std::optional<dt::DevNum> {
            const std::string path = p.string();
            std::optional<dt::DevNum> best;
            std::size_t best_len = 0;
            for (const auto& [point, dev] : copy) {
                if ((path == point || path.starts_with(point + "/")) && point.size() >= best_len) {
                    best = dev;
                    best_len = point.size();
                }
            }
            return best;
        };
        return s;
    }
};

dt::MountSource no_mounts() {
    dt::MountSource s;
    s.mountinfo_text = "";
    s.name = "empty test mountinfo";
    return s;
}

template <typename F>
std::string error_of(F&& f, smk::ErrorCategory expected) {
    try {
        f();
    } catch (const smk::Error& e) {
        CHECK(e.category() == expected);
        return e.what();
    }
    FAIL("no smk::Error thrown");
    return {};
}

}  // namespace

TEST_CASE("a typical USB stick: iSerial, ids, names, partition, filesystem, size") {
    const smk_test::Testbed bed{"stick.umockdev", "virtio.umockdev"};
    const auto drives = dt::list_usb_drives(no_mounts());
    REQUIRE(drives.size() == 1);
    const dr::UsbDrive& d = drives[0];
    CHECK(d.serial == "001CC0EC34BEFB90671D25F1");
    CHECK(d.vendor_id == "0781");
    CHECK(d.product_id == "5567");
    CHECK(d.manufacturer == "SanDisk");
    CHECK(d.product == "Cruzer Blade");
    CHECK(d.id_usb_serial_short == "001CC0EC34BEFB90671D25F1");
    CHECK(d.usb_syspath == "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2");
    CHECK(d.disk.node == "/dev/sdb");
    CHECK(d.disk.major == 8);
    CHECK(d.disk.minor == 16);
    CHECK(d.disk.size_bytes == 30285824ULL * 512);
    CHECK(d.disk.fs_type.empty());
    CHECK(d.disk.mounts.empty());
    REQUIRE(d.partitions.size() == 1);
    const dr::BlockDevice& p = d.partitions[0];
    CHECK(p.node == "/dev/sdb1");
    CHECK(p.major == 8);
    CHECK(p.minor == 17);
    CHECK(p.fs_type == "vfat");
    CHECK(p.fs_label == "BACKUP_A");
    CHECK(p.fs_uuid == "34BE-FB90");
    CHECK(p.size_bytes == 30283776ULL * 512);
}

TEST_CASE("a device node of the disk or of a partition names the same drive") {
    const smk_test::Testbed bed{"stick.umockdev"};
    CHECK(dt::usb_drive_for_device("/dev/sdb1", no_mounts()).serial == "001CC0EC34BEFB90671D25F1");
    CHECK(dt::usb_drive_for_device("/dev/sdb", no_mounts()).serial == "001CC0EC34BEFB90671D25F1");
    CHECK(dt::usb_drive_for_device("/dev/sdb1", no_mounts()).disk.node == "/dev/sdb");
}

TEST_CASE("mount points come from the mount table by major:minor and are checked with stat") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const smk_test::TempDir tmp("udev-mount");
    FakeMounts fake;
    fake.add(tmp.path() / "backup-a", {8, 17}, "/dev/sdb1");
    fs::create_directories(tmp.path() / "backup-a" / "keys");
    const auto drives = dt::list_usb_drives(fake.source());
    REQUIRE(drives.size() == 1);
    REQUIRE(drives[0].partitions.size() == 1);
    REQUIRE(drives[0].partitions[0].mounts.size() == 1);
    CHECK(drives[0].partitions[0].mounts[0].path == (tmp.path() / "backup-a").string());
    CHECK(drives[0].partitions[0].mounts[0].confirmed);
    // A file under the mount point and the mount point itself both map to the drive.
    CHECK(dt::usb_drive_for_path(tmp.path() / "backup-a" / "keys", fake.source()).serial ==
          "001CC0EC34BEFB90671D25F1");
    CHECK(dt::usb_drive_for_path(tmp.path() / "backup-a", fake.source()).disk.node == "/dev/sdb");

    // stat() says another device: the mount point is listed, but not confirmed.
    dt::MountSource unconfirmed = fake.source();
    unconfirmed.device_of_path = [](const fs::path&) { return dt::DevNum{0, 99}; };
    const auto listed = dt::list_usb_drives(unconfirmed);
    REQUIRE(listed[0].partitions[0].mounts.size() == 1);
    CHECK_FALSE(listed[0].partitions[0].mounts[0].confirmed);
}

TEST_CASE("two drives of the same model plugged in together are told apart") {
    const smk_test::Testbed bed{"twins.umockdev", "stick.umockdev"};
    const smk_test::TempDir tmp("udev-twins");
    FakeMounts fake;
    fake.add(tmp.path() / "b", {8, 33}, "/dev/sdc1");
    fake.add(tmp.path() / "c", {8, 48}, "/dev/sdd");
    fs::create_directories(tmp.path() / "b");
    fs::create_directories(tmp.path() / "c");
    const auto drives = dt::list_usb_drives(fake.source());
    REQUIRE(drives.size() == 3);
    CHECK(drives[0].disk.node == "/dev/sdb");
    CHECK(drives[1].disk.node == "/dev/sdc");
    CHECK(drives[2].disk.node == "/dev/sdd");
    CHECK(drives[1].vendor_id == drives[2].vendor_id);
    CHECK(drives[1].product_id == drives[2].product_id);
    CHECK(drives[1].product == drives[2].product);
    CHECK(drives[1].serial == "4C530001110000000001");
    CHECK(drives[2].serial == "4C530001110000000002");
    // sdd has its filesystem on the whole disk and no partitions.
    CHECK(drives[2].partitions.empty());
    CHECK(drives[2].disk.fs_type == "ext4");
    REQUIRE(drives[2].disk.mounts.size() == 1);
    CHECK(drives[2].disk.mounts[0].path == (tmp.path() / "c").string());

    CHECK(dt::usb_drive_for_device("/dev/sdc1", fake.source()).serial == "4C530001110000000001");
    CHECK(dt::usb_drive_for_device("/dev/sdd", fake.source()).serial == "4C530001110000000002");
    CHECK(dt::usb_drive_for_path(tmp.path() / "b", fake.source()).serial == "4C530001110000000001");
    CHECK(dt::usb_drive_for_path(tmp.path() / "c", fake.source()).serial == "4C530001110000000002");
    CHECK_FALSE(dr::compare_serials("4C53 0001 1100 0000 0001",
                                    dt::usb_drive_for_path(tmp.path() / "c", fake.source()).serial)
                    .match);
}

TEST_CASE("ID_SERIAL_SHORT replaced by ata_id's disk serial: the USB iSerial is still used") {
    const smk_test::Testbed bed{"ata-bridge.umockdev"};
    const dr::UsbDrive d = dt::usb_drive_for_device("/dev/sde1", no_mounts());
    CHECK(d.id_serial_short == "WD-WCC4N1234567");
    CHECK(d.id_usb_serial_short == "152D00539000");
    CHECK(d.serial == "152D00539000");
    CHECK(dr::compare_serials("152D 0053 9000", d.serial).match);
    CHECK_FALSE(dr::compare_serials("WD-WCC4N1234567", d.serial).match);
}

TEST_CASE("a non-USB disk is refused as not a USB drive, and not listed") {
    const smk_test::Testbed bed{"virtio.umockdev", "stick.umockdev"};
    const std::string msg =
        error_of([] { (void)dt::usb_drive_for_device("/dev/vda1", no_mounts()); },
                 smk::ErrorCategory::invalid_input);
    CHECK(msg.find("/dev/vda1 is not a USB drive") != std::string::npos);
    CHECK(msg.find("no USB device above it") != std::string::npos);
    (void)error_of([] { (void)dt::usb_drive_for_device("/dev/vda", no_mounts()); },
                   smk::ErrorCategory::invalid_input);
    for (const dr::UsbDrive& d : dt::list_usb_drives(no_mounts())) {
        CHECK(d.disk.node != "/dev/vda");
    }
}

TEST_CASE("a path on a non-USB disk is refused as not a USB drive") {
    const smk_test::Testbed bed{"virtio.umockdev"};
    const smk_test::TempDir tmp("udev-virtio");
    FakeMounts fake;
    fake.add(tmp.path(), {254, 1}, "/dev/vda1");
    const std::string msg =
        error_of([&] { (void)dt::usb_drive_for_path(tmp.path(), fake.source()); },
                 smk::ErrorCategory::invalid_input);
    CHECK(msg.find("is not a USB drive") != std::string::npos);
}

TEST_CASE("a path on a device udev does not know (tmpfs, overlay) is not a USB drive") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const smk_test::TempDir tmp("udev-tmpfs");
    FakeMounts fake;
    fake.add(tmp.path(), {0, 42}, "tmpfs");
    const std::string msg =
        error_of([&] { (void)dt::usb_drive_for_path(tmp.path(), fake.source()); },
                 smk::ErrorCategory::invalid_input);
    CHECK(msg.find("0:42 is no block device udev knows") != std::string::npos);
}

TEST_CASE("stat and the mount table disagree about a path: refused, --device suggested") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const smk_test::TempDir tmp("udev-disagree");
    FakeMounts fake;
    fake.add(tmp.path(), {8, 17}, "/dev/sdb1");
    dt::MountSource lying = fake.source();
    lying.device_of_path = [](const fs::path&) { return dt::DevNum{8, 33}; };
    const std::string msg = error_of([&] { (void)dt::usb_drive_for_path(tmp.path(), lying); },
                                     smk::ErrorCategory::invalid_input);
    CHECK(msg.find("stat() says it is on device 8:33") != std::string::npos);
    CHECK(msg.find("--device") != std::string::npos);
}

TEST_CASE("a hidden longer mount: any covering mount on stat's device confirms the path") {
    std::vector<smk::media::MountInfo> mounts = smk::media::parse_mountinfo(
        "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
        "2 1 8:17 / /media rw - vfat /dev/sdb1 rw\n",
        "test");
    CHECK(dt::confirm_path_device(mounts, "/media/x", {8, 17}) == dt::DevNum{8, 17});
    CHECK(dt::confirm_path_device(mounts, "/media/x", {8, 1}) == dt::DevNum{8, 1});
    (void)error_of(
        [&] {
            (void)dt::confirm_path_device(mounts, "/media/x", {8, 33});
        },
        smk::ErrorCategory::invalid_input);
    (void)error_of(
        [&] {
            (void)dt::confirm_path_device({}, "/media/x", {8, 17});
        },
        smk::ErrorCategory::invalid_input);
}

TEST_CASE("no such device node or path: an I/O error naming it") {
    const smk_test::Testbed bed{"stick.umockdev"};
    std::string msg = error_of([] { (void)dt::usb_drive_for_device("/dev/sdz9", no_mounts()); },
                               smk::ErrorCategory::io);
    CHECK(msg.find("/dev/sdz9") != std::string::npos);
    msg = error_of([] { (void)dt::usb_drive_for_path("/nonexistent/smk/path", no_mounts()); },
                   smk::ErrorCategory::io);
    CHECK(msg.find("/nonexistent/smk/path") != std::string::npos);
}

TEST_CASE("a device node that is not a block device is refused") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const smk_test::TempDir tmp("udev-notblock");
    smk_test::write_file(tmp.path() / "plain", "x");
    const std::string msg =
        error_of([&] { (void)dt::usb_drive_for_device(tmp.path() / "plain", no_mounts()); },
                 smk::ErrorCategory::invalid_input);
    CHECK(msg.find("not a block device") != std::string::npos);
}

TEST_CASE("eject of an unmounted USB drive stops the SCSI disk and removes the USB device") {
    smk_test::Testbed bed{"stick.umockdev"};
    const dr::UsbDrive d = dr::usb_drive_for_device("/dev/sdb1");
    REQUIRE(d.disk.mounts.empty());  // the real mount table knows no 8:16 / 8:17 mount
    const dr::EjectReport report = dr::eject(d);
    CHECK(report.unmounted.empty());
    CHECK(report.scsi_deleted);
    CHECK(report.usb_removed);
    const std::string scsi =
        "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/host6/target6:0:0/6:0:0:0/delete";
    CHECK(smk_test::read_file_if_exists(bed.sys_file(scsi)) == "1");
    CHECK(smk_test::read_file_if_exists(bed.sys_file(d.usb_syspath + "/remove")) == "1");
}

TEST_CASE("eject refuses a drive that was replaced since it was looked up") {
    smk_test::Testbed bed{"stick.umockdev", "twins.umockdev"};
    dr::UsbDrive d = dr::usb_drive_for_device("/dev/sdb1");
    d.usb_syspath = "/sys/devices/pci0000:00/0000:00:1a.0/usb2/2-3";
    const std::string msg = error_of([&] { (void)dr::eject(d); }, smk::ErrorCategory::device);
    CHECK(msg.find("no longer the USB drive it was") != std::string::npos);
    CHECK(smk_test::read_file_if_exists(bed.sys_file(d.usb_syspath + "/remove")).empty());
}
