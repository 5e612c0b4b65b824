// The trap of FIELD-NOTES.md "Page cache": a copy corrupted behind the filesystem
// still reads back fine from the page cache. Reproduced on a loop-mounted ext4
// image: write and fsync a file, overwrite its block in the image file, then hash.
// Needs root and a loop device; otherwise it says so and checks nothing.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "media_test_util.hpp"
#include "smk/digest.hpp"
#include "smk/manifest.hpp"

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBlock = 4096;

// Mounts a fresh ext4 image; unmounts (and so frees the loop device) on destruction.
class LoopMount final {
  public:
    explicit LoopMount(const smk_test::TempDir& tmp) : m_tmp(tmp) {
        if (::geteuid() != 0) {
            m_why_not = "not root";
            return;
        }
        fs::create_directories(tmp / "mnt");
        const std::vector<std::vector<std::string>> steps = {
            {"truncate", "-s", "16M", (tmp / "img").string()},
            {"mkfs.ext4", "-q", "-b", "4096", (tmp / "img").string()},
            {"mount", "-o", "loop", (tmp / "img").string(), (tmp / "mnt").string()},
        };
        for (const auto& step : steps) {
            const smk_test::ToolRun r = smk_test::run(step, tmp.path(), tmp.path());
            if (r.status != 0) {
                m_why_not = step[0] + " failed: " + r.err;
                return;
            }
        }
        m_mounted = true;
    }
    ~LoopMount() {
        if (m_mounted) {
            (void)smk_test::run({"umount", (m_tmp / "mnt").string()}, m_tmp.path(), m_tmp.path());
        }
    }
    LoopMount(const LoopMount&) = delete;
    LoopMount& operator=(const LoopMount&) = delete;

    [[nodiscard]] bool mounted() const noexcept { return m_mounted; }
    [[nodiscard]] const std::string& why_not() const noexcept { return m_why_not; }

  private:
    const smk_test::TempDir& m_tmp;
    bool m_mounted = false;
    std::string m_why_not;
};

void pwrite_all(int fd, const std::string& data, off_t offset) {
    REQUIRE(::pwrite(fd, data.data(), data.size(), offset) == static_cast<ssize_t>(data.size()));
}

// Writes `good` into the file (in place, same blocks) and fsyncs it, so the page cache
// holds good clean pages; then overwrites the file's first block in the image behind
// the filesystem's back. Leaves the cache stale, as FIELD-NOTES measured.
void make_stale_copy(const fs::path& file, const fs::path& image, const std::string& good,
                     const std::string& bad_block) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    pwrite_all(fd, good, 0);
    REQUIRE(::fsync(fd) == 0);
    ::close(fd);
    const int rfd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(rfd >= 0);
    int block = 0;  // in: logical block 0; out: its block number on the device
    REQUIRE(::ioctl(rfd, FIBMAP, &block) == 0);
    ::close(rfd);
    REQUIRE(block > 0);
    const int img = ::open(image.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(img >= 0);
    pwrite_all(img, bad_block, static_cast<off_t>(block) * static_cast<off_t>(kBlock));
    REQUIRE(::fsync(img) == 0);
    ::close(img);
}

}  // namespace

TEST_CASE("a copy corrupted behind the filesystem FAILS when read from the device") {
    const smk_test::TempDir tmp("device");
    const LoopMount mount(tmp);
    if (!mount.mounted()) {
        // A test that cannot run fails loudly; it never passes by doing nothing.
        FAIL("loop-mount test cannot run here (needs root and loop devices): " << mount.why_not());
    }
    const fs::path file = tmp / "mnt/share.bin";
    const std::string good(2 * kBlock, 'G');
    const std::string bad_block(kBlock, 'B');
    const std::string bad = bad_block + std::string(kBlock, 'G');
    const smk::Sha256 good_digest = smk::sha256_text(good);
    const smk::Sha256 bad_digest = smk::sha256_text(bad);

    SUBCASE("the page cache still answers with what was written (the trap itself)") {
        make_stale_copy(file, tmp / "img", good, bad_block);
        // Advisory: under memory pressure the pages may already be gone.
        WARN(smk::sha256_file(file, smk::ReadMode::cached).sha256 == good_digest);
    }
    SUBCASE("direct and drop_cache read what the drive holds") {
        for (const auto mode : {smk::ReadMode::direct, smk::ReadMode::drop_cache}) {
            CAPTURE(static_cast<int>(mode));
            make_stale_copy(file, tmp / "img", good, bad_block);
            const smk::FileDigest got = smk::sha256_file(file, mode);
            CHECK(got.used == mode);
            CHECK(got.sha256 == bad_digest);
        }
    }
    SUBCASE("drop_cache reads O_DIRECT when DONTNEED leaves a page in the cache") {
        make_stale_copy(file, tmp / "img", good, bad_block);
        // Another process's mapping keeps the stale pages: DONTNEED cannot drop them.
        const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        void* map = ::mmap(nullptr, good.size(), PROT_READ, MAP_SHARED, fd, 0);
        REQUIRE(map != MAP_FAILED);
        ::close(fd);
        volatile const char first = *static_cast<const char*>(map);  // fault the page in
        CHECK(first == 'G');  // the mapping still shows what was written
        const smk::FileDigest got = smk::sha256_file(file, smk::ReadMode::drop_cache);
        ::munmap(map, good.size());
        CHECK(got.used == smk::ReadMode::direct);
        CHECK(got.sha256 == bad_digest);
    }
    SUBCASE("verify reports the corrupted copy as FAILED") {
        make_stale_copy(file, tmp / "img", good, bad_block);
        smk_test::write_file(tmp / "m.sha256sum",
                             smk::manifest::format_line("share.bin", good_digest));
        const std::vector<fs::path> manifests = {tmp / "m.sha256sum"};
        const smk::manifest::VerifyReport report = smk::manifest::verify(tmp / "mnt", manifests);
        REQUIRE(report.files.size() == 1);
        CHECK(report.files[0].status == smk::manifest::FileStatus::failed);
        CHECK(report.files[0].actual_hex == smk::digest_hex(bad_digest));
        // And the verify dropped the stale pages: a later sha256sum -c sees the truth too.
        const smk_test::ToolRun r = smk_test::run(
            {"sha256sum", "-c", (tmp / "m.sha256sum").string()}, tmp / "mnt", tmp.path());
        CHECK(r.status == 1);
        CHECK(r.out == "share.bin: FAILED\n");
    }
}
