#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "mountinfo.hpp"
#include "smk/error.hpp"

namespace {

using smk::media::MountInfo;

std::vector<MountInfo> table(const std::string& text) {
    return smk::media::parse_mountinfo(text, "mountinfo");
}

}  // namespace

TEST_CASE("mountinfo: the example line of proc(5)") {
    const MountInfo m = smk::media::parse_mountinfo_line(
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue", "x");
    CHECK(m.mount_id == 36);
    CHECK(m.parent_id == 35);
    CHECK(m.major == 98);
    CHECK(m.minor == 0);
    CHECK(m.root == "/mnt1");
    CHECK(m.mount_point == "/mnt2");
    CHECK(m.options == "rw,noatime");
    CHECK(m.optional_fields == std::vector<std::string>{"master:1"});
    CHECK(m.fs_type == "ext3");
    CHECK(m.source == "/dev/root");
    CHECK(m.super_options == "rw,errors=continue");
}

TEST_CASE("mountinfo: octal escapes, no optional fields, several optional fields") {
    const MountInfo usb = smk::media::parse_mountinfo_line(
        "812 29 8:17 / /media/admin/SMK\\040BACKUP\\0401 rw,nosuid,nodev,relatime - vfat "
        "/dev/sdb1 rw,fmask=0022",
        "x");
    CHECK(usb.mount_point == "/media/admin/SMK BACKUP 1");
    CHECK(usb.optional_fields.empty());
    CHECK(usb.major == 8);
    CHECK(usb.minor == 17);
    const MountInfo odd = smk::media::parse_mountinfo_line(
        "40 1 0:50 /sub\\134dir /mnt/tab\\011new\\012line rw shared:7 master:2 propagate_from:3 "
        "- fuse.exfat /dev/sdc\\0401 rw",
        "x");
    CHECK(odd.root == "/sub\\dir");
    CHECK(odd.mount_point == "/mnt/tab\tnew\nline");
    CHECK(odd.optional_fields ==
          std::vector<std::string>{"shared:7", "master:2", "propagate_from:3"});
    CHECK(odd.fs_type == "fuse.exfat");
    CHECK(odd.source == "/dev/sdc 1");
    // Not an escape: left alone.
    CHECK(smk::media::decode_octal_escapes("a\\09b\\") == "a\\09b\\");
    CHECK(smk::media::decode_octal_escapes("\\101\\142") == "Ab");
}

TEST_CASE("mountinfo: malformed lines are errors naming the line") {
    CHECK_THROWS_WITH_AS(
        (void)table("36 35 98:0 / / rw - ext4 /dev/vda rw\n36 35 98:0 / /x rw ext4 /dev/vda rw\n"),
        doctest::Contains("mountinfo line 2: not a mountinfo line"), smk::Error);
    CHECK_THROWS_AS((void)smk::media::parse_mountinfo_line("a 35 98:0 / / rw - ext4 s o", "x"),
                    smk::Error);
    CHECK_THROWS_AS((void)smk::media::parse_mountinfo_line("1 2 98 / / rw - ext4 s o", "x"),
                    smk::Error);
    CHECK_THROWS_AS((void)smk::media::parse_mountinfo_line("1 2 8:1 / rel rw - ext4 s o", "x"),
                    smk::Error);
    CHECK_THROWS_AS((void)smk::media::parse_mountinfo_line("1 2 8:1 / / rw - ext4 s", "x"),
                    smk::Error);
}

TEST_CASE("find_mount: longest mount point on a path boundary, top-most of stacked mounts") {
    // 101 sits on 100 at /media/usb (mounted over it), listed first on purpose; 102 is a
    // sibling whose name extends /media/usb.
    const std::vector<MountInfo> mounts = table(
        "1 0 254:0 / / rw - ext4 /dev/vda rw\n"
        "30 1 0:40 / /media rw - tmpfs tmpfs rw\n"
        "101 100 8:33 / /media/usb rw - ext4 /dev/sdc1 rw\n"
        "100 30 8:17 / /media/usb rw - vfat /dev/sdb1 rw\n"
        "102 30 8:49 / /media/usb2 rw - ext4 /dev/sdd1 rw\n");
    const auto at = [&](const char* path) {
        const std::size_t i = smk::media::find_mount(mounts, path);
        return i < mounts.size() ? mounts[i].mount_id : -1;
    };
    CHECK(at("/media/usb") == 101);
    CHECK(at("/media/usb/MASTER/SHA256SUMS") == 101);
    CHECK(at("/media/usb2/x") == 102);
    CHECK(at("/media/usbx") == 30);
    CHECK(at("/media") == 30);
    CHECK(at("/etc/hostname") == 1);
    CHECK(at("/") == 1);
    CHECK(smk::media::find_mount(std::vector<MountInfo>{}, "/x") == 0);
}

TEST_CASE("mount_of: this machine's /proc and /dev/shm, cross-checked with st_dev") {
    const smk::media::PathMount proc = smk::media::mount_of("/proc/version");
    CHECK(proc.mount.mount_point == "/proc");
    CHECK(proc.mount.fs_type == "proc");
    CHECK(proc.device_confirmed);
    const smk::media::PathMount shm = smk::media::mount_of("/dev/shm");
    CHECK(shm.mount.mount_point == "/dev/shm");
    CHECK(shm.mount.fs_type == "tmpfs");
    CHECK(shm.device_confirmed);
    CHECK_THROWS_AS((void)smk::media::mount_of("/no/such/path"), smk::Error);
}
