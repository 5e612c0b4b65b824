// The copy engine on exFAT, the filesystem backup flash drives usually come with: a
// loop-attached image formatted by mkfs.exfat and mounted through exfat-fuse (this
// kernel has no FAT driver; FIELD-NOTES "Loop mounts"). Needs root, a loop device,
// /dev/fuse and exfat-fuse; where any is missing the test FAILS saying which.

#include <doctest/doctest.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "copy_test_util.hpp"
#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/manifest.hpp"

namespace {

namespace fs = std::filesystem;

// An exFAT image of `size` on a loop device, mounted with exfat-fuse at tmp/exfat.
// The destructor unmounts and detaches the loop device.
class ExfatMount final {
  public:
    ExfatMount(const smk_test::TempDir& tmp, const std::string& size) : m_tmp(tmp) {
        m_point = tmp / "exfat";
        fs::create_directories(m_point);
        if (::geteuid() != 0) {
            m_why_not = "not root";
            return;
        }
        const fs::path image = tmp / "exfat.img";
        if (!step({"truncate", "-s", size, image.string()}) ||
            !step({"mkfs.exfat", image.string()})) {
            return;
        }
        const smk_test::ToolRun loop =
            smk_test::run({"losetup", "--find", "--show", image.string()}, tmp.path(), tmp.path());
        if (loop.status != 0 || loop.out.empty()) {
            m_why_not = "losetup failed: " + loop.err;
            return;
        }
        m_loop = loop.out.substr(0, loop.out.find('\n'));
        if (!step({"mount.exfat-fuse", m_loop, m_point.string()})) {
            return;
        }
        m_mounted = true;
    }
    ~ExfatMount() {
        if (m_mounted) {
            (void)smk_test::run({"umount", m_point.string()}, m_tmp.path(), m_tmp.path());
        }
        if (!m_loop.empty()) {
            (void)smk_test::run({"losetup", "-d", m_loop}, m_tmp.path(), m_tmp.path());
        }
    }
    ExfatMount(const ExfatMount&) = delete;
    ExfatMount& operator=(const ExfatMount&) = delete;

    [[nodiscard]] bool mounted() const noexcept { return m_mounted; }
    [[nodiscard]] const std::string& why_not() const noexcept { return m_why_not; }
    [[nodiscard]] const fs::path& point() const noexcept { return m_point; }

  private:
    bool step(const std::vector<std::string>& argv) {
        const smk_test::ToolRun r = smk_test::run(argv, m_tmp.path(), m_tmp.path());
        if (r.status != 0) {
            m_why_not =
                argv[0] + " failed (exit " + std::to_string(r.status) + "): " + r.err + r.out;
            return false;
        }
        return true;
    }

    const smk_test::TempDir& m_tmp;
    fs::path m_point;
    std::string m_loop;
    bool m_mounted = false;
    std::string m_why_not;
};

// The FUSE superblock magic: what statfs() reports for an exfat-fuse mount.
constexpr long kFuseMagic = 0x65735546;

void require_exfat(const ExfatMount& drive) {
    if (!drive.mounted()) {
        FAIL(
            "exFAT test cannot run here (needs root, a loop device, /dev/fuse, mkfs.exfat and "
            "exfat-fuse): "
            << drive.why_not());
    }
    struct statfs sfs {};
    REQUIRE(::statfs(drive.point().c_str(), &sfs) == 0);
    REQUIRE(static_cast<long>(sfs.f_type) == kFuseMagic);
}

}  // namespace

TEST_CASE("exFAT drive: copy, verified read-back, re-copy is a no-op within the 2-second window") {
    const smk_test::TempDir tmp("exfat-copy");
    const ExfatMount drive(tmp, "32M");
    require_exfat(drive);
    smk_test::write_file(tmp / "src/hsm backup.bin", std::string(3 * 1024 * 1024 + 17, 'h'));
    smk_test::write_file(tmp / "src/keys/share 1.bin", "one");
    smk_test::write_file(tmp / "src/keys/share 2.bin", "two");
    // An odd-second, fractional mtime: exFAT keeps 2-second (FUSE: whole-second)
    // times, so the copy's mtime differs from the source's by up to 2 s.
    const struct timespec odd = {1700000001, 987654321};
    const std::vector<timespec> times = {odd, odd};
    REQUIRE(::utimensat(AT_FDCWD, (tmp / "src/keys/share 1.bin").c_str(), times.data(), 0) == 0);

    const smk::copy::Report first =
        smk::copy::copy_tree((tmp / "src/").string(), {drive.point().string()});
    CHECK(first.verified_ok());
    const smk::copy::DestinationReport& d1 = first.destinations[0];
    CHECK(d1.copied == 3);
    CHECK(d1.files_verified == 3);
    CHECK(d1.bytes_written == 3 * 1024 * 1024 + 17 + 6);
    CHECK(copy_test::temp_leftovers(drive.point()).empty());
    for (const char* name : {"hsm backup.bin", "keys/share 1.bin", "keys/share 2.bin"}) {
        CAPTURE(name);
        CHECK(smk_test::read_file_if_exists(drive.point() / name) ==
              smk_test::read_file_if_exists(tmp / "src" / name));
        const auto diff = copy_test::lstat_of(drive.point() / name).st_mtim.tv_sec -
                          copy_test::lstat_of(tmp / "src" / name).st_mtim.tv_sec;
        CHECK(diff >= -2);
        CHECK(diff <= 2);
    }

    // Again: every file has the same size and an mtime within the window, so nothing
    // is written; each is still hashed from the drive.
    const smk::copy::Report second =
        smk::copy::copy_tree((tmp / "src/").string(), {drive.point().string()});
    CHECK(second.verified_ok());
    const smk::copy::DestinationReport& d2 = second.destinations[0];
    CHECK(d2.copied == 0);
    CHECK(d2.updated == 0);
    CHECK(d2.rewritten == 0);
    CHECK(d2.unchanged_verified == 3);
    CHECK(d2.bytes_written == 0);

    // A manifest of the source verifies on the drive, read from the device.
    smk_test::write_file(tmp / "SHA256SUMS", smk::manifest::generate(tmp / "src").text());
    const std::vector<fs::path> manifests = {tmp / "SHA256SUMS"};
    const smk::manifest::VerifyReport verified = smk::manifest::verify(drive.point(), manifests);
    CHECK_FALSE(verified.failure().has_value());
    CHECK(verified.files.size() == 3);
}

TEST_CASE("exFAT drive: a full drive names the file and leaves no partial file") {
    const smk_test::TempDir tmp("exfat-full");
    const ExfatMount drive(tmp, "8M");
    require_exfat(drive);
    smk_test::write_file(tmp / "src/a-small.txt", "fits");
    smk_test::write_file(tmp / "src/big backup.bin", std::string(12 * 1024 * 1024, 'b'));
    const std::string message = copy_test::copy_error(
        (tmp / "src/").string(), {drive.point().string()}, smk::ErrorCategory::io);
    CHECK(message.find("big backup.bin") != std::string::npos);
    CHECK(message.find("No space left on device") != std::string::npos);
    CHECK_FALSE(copy_test::exists_no_follow(drive.point() / "big backup.bin"));
    CHECK(copy_test::temp_leftovers(drive.point()).empty());
    if (copy_test::exists_no_follow(drive.point() / "a-small.txt")) {
        CHECK(smk_test::read_file_if_exists(drive.point() / "a-small.txt") == "fits");
    }
}

TEST_CASE(
    "exFAT drive: a new file (manifest, backup file) lands without replacing an existing one") {
    // exfat-fuse has neither RENAME_NOREPLACE nor hard links: smk::AtomicFile must
    // still create the file, and must still refuse to replace one.
    const smk_test::TempDir tmp("exfat-atomic");
    const ExfatMount drive(tmp, "16M");
    require_exfat(drive);
    const std::string text = "0123456789abcdef  backup.bin\n";
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()),
                                              text.size());
    smk::write_new_file(drive.point() / "SHA256SUMS", bytes, 0644);
    CHECK(smk_test::read_file_if_exists(drive.point() / "SHA256SUMS") == text);
    CHECK(copy_test::temp_leftovers(drive.point()).empty());

    smk::AtomicFile second(drive.point() / "other", 0644);
    second.write(bytes);
    // The final name appears between the constructor and commit (another writer).
    smk_test::write_file(drive.point() / "other", "someone else's");
    CHECK_THROWS_AS(second.commit(), smk::Error);
    CHECK(smk_test::read_file_if_exists(drive.point() / "other") == "someone else's");
}
