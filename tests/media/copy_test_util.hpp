#pragma once
// Helpers for the copy engine tests: small trees, comparing a copy with its source
// (names, bytes, modes, mtimes, links), and scratch mounts (a tiny tmpfs for a full
// drive, a loop-mounted ext4 image for reading behind the page cache).

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "media_test_util.hpp"
#include "smk/copy.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "tree_walk.hpp"

namespace copy_test {

namespace fs = std::filesystem;

inline struct stat lstat_of(const fs::path& path) {
    struct stat st {};
    REQUIRE_MESSAGE(::lstat(path.c_str(), &st) == 0, "cannot lstat " << path.string());
    return st;
}

inline bool exists_no_follow(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// Every name below root (files, links, directories), relative, sorted.
inline std::vector<std::string> all_names(const fs::path& root) {
    std::vector<std::string> names;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        names.push_back(it->path().lexically_relative(root).generic_string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Names of temporary files the engine may have left behind (it must not).
inline std::vector<std::string> temp_leftovers(const fs::path& root) {
    std::vector<std::string> left;
    for (const std::string& name : all_names(root)) {
        if (name.find(".smk-tmp-") != std::string::npos) {
            left.push_back(name);
        }
    }
    return left;
}

// The copy holds exactly the source's files (bytes, mode, mtime), links (targets) and
// directories (mode).
inline void check_same_tree(const fs::path& source, const fs::path& copy) {
    const smk::media::TreeListing a = smk::media::list_tree(source);
    const smk::media::TreeListing b = smk::media::list_tree(copy);
    CHECK(a.files == b.files);
    CHECK(a.symlinks == b.symlinks);
    CHECK(b.special.empty());
    for (const std::string& name : a.files) {
        CAPTURE(name);
        CHECK(smk_test::read_file_if_exists(source / name) ==
              smk_test::read_file_if_exists(copy / name));
        const struct stat s = lstat_of(source / name);
        const struct stat c = lstat_of(copy / name);
        CHECK((s.st_mode & 07777) == (c.st_mode & 07777));
        CHECK(s.st_mtim.tv_sec == c.st_mtim.tv_sec);
        CHECK(s.st_mtim.tv_nsec == c.st_mtim.tv_nsec);
    }
    for (const std::string& name : a.symlinks) {
        CAPTURE(name);
        CHECK(fs::read_symlink(source / name) == fs::read_symlink(copy / name));
    }
}

// A mount made for one test and undone by its destructor. mounted() false means it
// could not be made; why_not() says why (the test must then FAIL, not pass).
class ScratchMount final {
  public:
    enum class Type { tmpfs_1m, ext4_image };

    ScratchMount(const smk_test::TempDir& tmp, Type type) : m_tmp(tmp) {
        m_point = tmp / "mnt";
        fs::create_directories(m_point);
        if (::geteuid() != 0) {
            m_why_not = "not root";
            return;
        }
        std::vector<std::vector<std::string>> steps;
        if (type == Type::tmpfs_1m) {
            steps = {{"mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", m_point.string()}};
        } else {
            m_image = tmp / "img";
            steps = {{"truncate", "-s", "16M", m_image.string()},
                     {"mkfs.ext4", "-q", "-b", "4096", m_image.string()},
                     {"mount", "-o", "loop", m_image.string(), m_point.string()}};
        }
        for (const auto& step : steps) {
            const smk_test::ToolRun r = smk_test::run(step, tmp.path(), tmp.path());
            if (r.status != 0) {
                m_why_not = step[0] + " failed: " + r.err;
                return;
            }
        }
        m_mounted = true;
    }
    ~ScratchMount() {
        if (m_mounted) {
            (void)smk_test::run({"umount", m_point.string()}, m_tmp.path(), m_tmp.path());
        }
    }
    ScratchMount(const ScratchMount&) = delete;
    ScratchMount& operator=(const ScratchMount&) = delete;

    [[nodiscard]] bool mounted() const noexcept { return m_mounted; }
    [[nodiscard]] const std::string& why_not() const noexcept { return m_why_not; }
    [[nodiscard]] const fs::path& point() const noexcept { return m_point; }
    [[nodiscard]] const fs::path& image() const noexcept { return m_image; }

  private:
    const smk_test::TempDir& m_tmp;
    fs::path m_point;
    fs::path m_image;
    bool m_mounted = false;
    std::string m_why_not;
};

// Overwrites the first 4 KiB block of `file` (on the loop-mounted ext4 of `image`)
// with `byte`, in the image behind the filesystem: the page cache keeps the old bytes.
inline void corrupt_behind_filesystem(const fs::path& file, const fs::path& image, char byte) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    int block = 0;  // in: logical block 0; out: its block number on the device
    REQUIRE(::ioctl(fd, FIBMAP, &block) == 0);
    ::close(fd);
    REQUIRE(block > 0);
    const std::string bad(4096, byte);
    const int img = ::open(image.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(img >= 0);
    REQUIRE(::pwrite(img, bad.data(), bad.size(), static_cast<off_t>(block) * 4096) ==
            static_cast<ssize_t>(bad.size()));
    REQUIRE(::fsync(img) == 0);
    ::close(img);
}

// Runs copy_tree, expecting an smk::Error of `category`; returns its message.
inline std::string copy_error(std::string_view source, const std::vector<std::string>& dsts,
                              smk::ErrorCategory category, const smk::copy::Options& options = {}) {
    try {
        (void)smk::copy::copy_tree(source, dsts, options);
    } catch (const smk::Error& e) {
        CHECK(e.category() == category);
        return e.what();
    }
    FAIL("copy_tree did not fail");
    return {};
}

}  // namespace copy_test
