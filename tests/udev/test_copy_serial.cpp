// smk media copy --serial: a destination on a drive whose USB serial is not the one
// on the paper is refused before anything is written anywhere. The "drive" is a
// loop-mounted ext4 image; the umockdev testbed holds the recorded SanDisk stick
// (tests/udev/data/stick.umockdev) with its partition renumbered to the loop
// device's major:minor, so smk maps the mount to that stick exactly as it maps a
// real USB drive's mount (stat st_dev, /proc/self/mountinfo, libudev).

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/run.hpp"
#include "support/files.hpp"
#include "support/umockdev_testbed.hpp"

namespace {

namespace fs = std::filesystem;

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
}

// Test setup only: fixed commands, temp paths (tests/support/process.hpp).
int sh(const std::string& command) {
    return smk_test::run_shell(command).shell_status();
}

// A fresh ext4 image mounted on a loop device under a private temp dir.
class LoopDrive final {
  public:
    LoopDrive() {
        std::string templ = (fs::temp_directory_path() / "smk-udev-serial-XXXXXX").string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        m_dir = templ;
        m_point = m_dir / "mnt";
        fs::create_directories(m_point);
        if (::geteuid() != 0) {
            m_why_not = "not root";
            return;
        }
        const std::string img = (m_dir / "img").string();
        if (sh("truncate -s 16M '" + img + "' && mkfs.ext4 -q -b 4096 '" + img +
               "' && mount -o loop '" + img + "' '" + m_point.string() + "'") != 0) {
            m_why_not = "truncate, mkfs.ext4 or mount -o loop failed";
            return;
        }
        m_mounted = true;
    }
    ~LoopDrive() {
        if (m_mounted) {
            (void)sh("umount '" + m_point.string() + "'");
        }
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
    LoopDrive(const LoopDrive&) = delete;
    LoopDrive& operator=(const LoopDrive&) = delete;

    [[nodiscard]] bool mounted() const noexcept { return m_mounted; }
    [[nodiscard]] const std::string& why_not() const noexcept { return m_why_not; }
    [[nodiscard]] const fs::path& point() const noexcept { return m_point; }
    [[nodiscard]] const fs::path& dir() const noexcept { return m_dir; }

  private:
    fs::path m_dir;
    fs::path m_point;
    bool m_mounted = false;
    std::string m_why_not;
};

// stick.umockdev with its partition (8:17) renumbered to the device of `mount_point`.
std::string stick_record_for(const fs::path& mount_point) {
    struct stat st {};
    REQUIRE(::stat(mount_point.c_str(), &st) == 0);
    const std::string dev_major = std::to_string(major(st.st_dev));
    const std::string dev_minor = std::to_string(minor(st.st_dev));
    std::string text =
        smk_test::read_file_if_exists(std::string(SMK_UDEV_DATA) + "/stick.umockdev");
    REQUIRE(has(text, "A: dev=8:17\n"));
    replace_all(text, "A: dev=8:17\n", "A: dev=" + dev_major + ":" + dev_minor + "\n");
    replace_all(text, "E: MAJOR=8\nE: MINOR=17\n",
                "E: MAJOR=" + dev_major + "\nE: MINOR=" + dev_minor + "\n");
    return text;
}

}  // namespace

TEST_CASE("smk media copy --serial: the wrong drive is refused before anything is written") {
    const LoopDrive drive;
    if (!drive.mounted()) {
        FAIL("loop-mount test cannot run here (needs root and loop devices): " << drive.why_not());
    }
    smk_test::Testbed bed({});
    bed.add_record_text(stick_record_for(drive.point()));
    const fs::path src = drive.dir() / "src";
    fs::create_directories(src);
    { std::ofstream(src / "share.bin") << "share"; }
    const fs::path other = drive.dir() / "other-dst";
    const fs::path target = drive.point() / "MASTER";

    SUBCASE("a serial that differs in one real character (exit 7)") {
        // The first destination is on the right drive, the second is not.
        const fs::path first = drive.point() / "WELLINGTON";
        const auto r = smk_test::run_smk({"media", "copy", src.string() + "/", first.string(),
                                          target.string(), "--serial", "001CC0EC34BEFB90671D25F1",
                                          "--serial", "001CC0EC34BEFB90671D25F2"});
        CAPTURE(r.err);
        CHECK(r.exit_code == 7);
        CHECK(has(r.err, "destination " + target.string() +
                             " is on the USB drive with serial 001CC0EC34BEFB90671D25F1"));
        CHECK(has(r.err, "nothing was written"));
        // Checked before the copy started: not even the first destination was made.
        CHECK_FALSE(fs::exists(first));
        CHECK_FALSE(fs::exists(target));
    }
    SUBCASE("the paper's look-alike O for 0 is still refused (exit 7)") {
        const auto r = smk_test::run_smk({"media", "copy", src.string() + "/", target.string(),
                                          "--serial", "001CC OEC 34BE-FB 90671D 25F1"});
        CHECK(r.exit_code == 7);
        CHECK(has(r.err, "look-alike"));
        CHECK_FALSE(fs::exists(target));
    }
    SUBCASE("the serial on the paper, as people write it, lets the copy run (exit 0)") {
        const auto r = smk_test::run_smk({"media", "copy", src.string() + "/", target.string(),
                                          "--serial", "001cc 0ec 34be-fb 90671d 25f1"});
        CHECK_MESSAGE(r.exit_code == 0, r.err);
        CHECK(smk_test::read_file_if_exists(target / "share.bin") == "share");
    }
    SUBCASE("a destination that is not on a USB drive is refused (exit 7)") {
        const auto r = smk_test::run_smk({"media", "copy", src.string() + "/", other.string(),
                                          "--serial", "001CC0EC34BEFB90671D25F1"});
        CHECK(r.exit_code == 7);
        CHECK(has(r.err, "cannot be checked against --serial"));
        CHECK(has(r.err, "not a USB drive"));
        CHECK_FALSE(fs::exists(other));
    }
    SUBCASE("one --serial for two destinations is a usage error (exit 2)") {
        const auto r = smk_test::run_smk({"media", "copy", src.string() + "/", other.string(),
                                          target.string(), "--serial", "001CC0EC34BEFB90671D25F1"});
        CHECK(r.exit_code == 2);
        CHECK_FALSE(fs::exists(other));
        CHECK_FALSE(fs::exists(target));
    }
}
