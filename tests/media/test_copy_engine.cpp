// The copy engine's rsync -avW semantics and what it does better than rsync:
// trailing-slash rule, links, modes, mtimes, owners, odd names, fan-out to three
// destinations, the same-size-same-mtime trap, extras and --delete.

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

#include "copy_test_util.hpp"
#include "smk/copy_report.hpp"

namespace {

namespace fs = std::filesystem;

// A small backup tree with a nested directory, a link, odd modes and a 3 MiB file
// (more than one 1 MiB chunk).
void make_tree(const fs::path& root) {
    smk_test::write_file(root / "smk-backup.tar", std::string(3 * 1024 * 1024 + 17, 'k'));
    smk_test::write_file(root / "keys/kek.bin", "key encryption key blob");
    smk_test::write_file(root / "keys/empty", "");
    fs::permissions(root / "keys/kek.bin", fs::perms::owner_read | fs::perms::group_read);
    fs::create_directories(root / "empty-dir");
    fs::create_symlink("keys/kek.bin", root / "current");
    fs::create_symlink("/etc/hostname", root / "outside-link");
    // A fixed, sub-second mtime: it must survive the copy exactly.
    const std::array<timespec, 2> times = {timespec{1700000000, 123456789},
                                           timespec{1700000000, 123456789}};
    REQUIRE(::utimensat(AT_FDCWD, (root / "smk-backup.tar").c_str(), times.data(), 0) == 0);
}

}  // namespace

TEST_CASE("copy: SRC/ lands in each of three destinations, verified, as rsync -a would") {
    const smk_test::TempDir tmp("copy-basic");
    make_tree(tmp / "src");
    const std::vector<std::string> dsts = {(tmp / "master").string(), (tmp / "op1").string(),
                                           (tmp / "op2").string()};
    const smk::copy::Report report = smk::copy::copy_tree((tmp / "src").string() + "/", dsts);
    CHECK(report.files == 3);
    CHECK(report.verified_ok());
    REQUIRE(report.destinations.size() == 3);
    for (std::size_t d = 0; d < 3; ++d) {
        CAPTURE(dsts[d]);
        const smk::copy::DestinationReport& dest = report.destinations[d];
        CHECK(dest.copied == 3);
        CHECK(dest.symlinks == 2);
        CHECK(dest.files_verified == 3);
        CHECK(dest.bytes_written == report.bytes);
        copy_test::check_same_tree(tmp / "src", dsts[d]);
        CHECK(fs::is_directory(fs::path(dsts[d]) / "empty-dir"));
        // Links are copied as links, never followed.
        CHECK(fs::is_symlink(fs::path(dsts[d]) / "outside-link"));
        CHECK(copy_test::temp_leftovers(dsts[d]).empty());
    }
}

TEST_CASE("copy: SRC without a slash lands in DST/SRC - a single file in DST/NAME") {
    const smk_test::TempDir tmp("copy-slash");
    make_tree(tmp / "src");
    const smk::copy::Report report =
        smk::copy::copy_tree((tmp / "src").string(), {(tmp / "dst").string()});
    CHECK(report.destinations[0].root == tmp / "dst/src");
    copy_test::check_same_tree(tmp / "src", tmp / "dst/src");
    CHECK_FALSE(copy_test::exists_no_follow(tmp / "dst/smk-backup.tar"));

    const smk::copy::Report single =
        smk::copy::copy_tree((tmp / "src/keys/kek.bin").string(), {(tmp / "one").string()});
    CHECK(single.files == 1);
    CHECK(single.destinations[0].copied == 1);
    CHECK(smk_test::read_file_if_exists(tmp / "one/kek.bin") == "key encryption key blob");
}

TEST_CASE("copy: names with spaces, newlines and backslashes") {
    const smk_test::TempDir tmp("copy-names");
    const std::vector<std::string> names = {"with space.bin", "new\nline",
                                            "back\\slash",    "dir with space/and\\more\nlines",
                                            " lead",          "tab\there"};
    for (const std::string& name : names) {
        smk_test::write_file(tmp / "src" / name, "content of " + name);
    }
    const smk::copy::Report report =
        smk::copy::copy_tree((tmp / "src/").string(), {(tmp / "a").string(), (tmp / "b").string()});
    CHECK(report.verified_ok());
    for (const char* dst : {"a", "b"}) {
        copy_test::check_same_tree(tmp / "src", tmp / dst);
    }
}

TEST_CASE("copy: owner and group are kept when running as root") {
    if (::geteuid() != 0) {
        FAIL("this test needs root (chown), and smk keeps owners only as root");
    }
    const smk_test::TempDir tmp("copy-owner");
    smk_test::write_file(tmp / "src/f", "x");
    REQUIRE(::chown((tmp / "src/f").c_str(), 1234, 5678) == 0);
    (void)smk::copy::copy_tree((tmp / "src/").string(), {(tmp / "dst").string()});
    const struct stat st = copy_test::lstat_of(tmp / "dst/f");
    CHECK(st.st_uid == 1234);
    CHECK(st.st_gid == 5678);
}

TEST_CASE("copy: a re-run hashes same-size same-mtime files and rewrites a corrupted one") {
    const smk_test::TempDir tmp("copy-trap");
    make_tree(tmp / "src");
    const std::string src = (tmp / "src/").string();
    const std::vector<std::string> dsts = {(tmp / "a").string(), (tmp / "b").string()};
    (void)smk::copy::copy_tree(src, dsts);

    // The rsync trap: same size, same mtime, different bytes. rsync -aW skips it.
    const fs::path victim = tmp / "b/smk-backup.tar";
    const struct stat before = copy_test::lstat_of(victim);
    {
        const int fd = ::open(victim.c_str(), O_WRONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        REQUIRE(::pwrite(fd, "CORRUPT", 7, 2 * 1024 * 1024) == 7);
        ::close(fd);
    }
    const std::array<timespec, 2> times = {before.st_atim, before.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, victim.c_str(), times.data(), 0) == 0);
    REQUIRE(copy_test::lstat_of(victim).st_size == before.st_size);

    const smk::copy::Report again = smk::copy::copy_tree(src, dsts);
    CHECK(again.verified_ok());
    CHECK(again.destinations[0].unchanged_verified == 3);
    CHECK(again.destinations[0].rewritten == 0);
    CHECK(again.destinations[0].bytes_written == 0);
    CHECK(again.destinations[1].unchanged_verified == 2);
    CHECK(again.destinations[1].rewritten == 1);
    CHECK(again.destinations[1].files_verified == 1);
    copy_test::check_same_tree(tmp / "src", tmp / "b");
    CHECK(copy_test::temp_leftovers(tmp / "b").empty());
}

TEST_CASE("copy: a file whose size or mtime differ is updated in place of the old one") {
    const smk_test::TempDir tmp("copy-update");
    smk_test::write_file(tmp / "src/f", "new content");
    smk_test::write_file(tmp / "dst/f", "old");
    const smk::copy::Report report =
        smk::copy::copy_tree((tmp / "src/").string(), {(tmp / "dst").string()});
    CHECK(report.destinations[0].updated == 1);
    CHECK(smk_test::read_file_if_exists(tmp / "dst/f") == "new content");
}

TEST_CASE("copy: extra entries are reported, and removed only with delete_extras") {
    const smk_test::TempDir tmp("copy-extra");
    smk_test::write_file(tmp / "src/keep", "k");
    smk_test::write_file(tmp / "dst/keep", "k");
    smk_test::write_file(tmp / "dst/stale.bin", "old");
    smk_test::write_file(tmp / "dst/old dir/x", "old");
    const std::string src = (tmp / "src/").string();

    const smk::copy::Report kept = smk::copy::copy_tree(src, {(tmp / "dst").string()});
    CHECK(kept.destinations[0].extra == std::vector<std::string>{"old dir", "stale.bin"});
    CHECK(kept.destinations[0].deleted.empty());
    CHECK(fs::exists(tmp / "dst/stale.bin"));
    CHECK(fs::exists(tmp / "dst/old dir/x"));

    smk::copy::Options options;
    options.delete_extras = true;
    const smk::copy::Report deleted = smk::copy::copy_tree(src, {(tmp / "dst").string()}, options);
    CHECK(deleted.destinations[0].deleted == std::vector<std::string>{"old dir", "stale.bin"});
    CHECK_FALSE(fs::exists(tmp / "dst/stale.bin"));
    CHECK_FALSE(fs::exists(tmp / "dst/old dir"));
    CHECK(fs::exists(tmp / "dst/keep"));
}

TEST_CASE("copy: temporary files a killed copy left are removed and named - not kept as extras") {
    const smk_test::TempDir tmp("copy-leftover");
    smk_test::write_file(tmp / "src/keys/kek.bin", "kek");
    // What a copy killed mid-file leaves (core's AtomicFile names), at two depths,
    // beside a user's file that merely looks alike and a directory of that name.
    smk_test::write_file(tmp / "dst/.smk-tmp-0123456789ab-smk-backup.tar", "half");
    smk_test::write_file(tmp / "dst/keys/.smk-tmp-ba9876543210-kek.bin", "k");
    smk_test::write_file(tmp / "dst/my.smk-tmp-notes", "user");
    smk_test::write_file(tmp / "dst/.smk-tmp-dir/x", "user");

    const smk::copy::Report report =
        smk::copy::copy_tree((tmp / "src/").string(), {(tmp / "dst").string()});
    CHECK(report.destinations[0].leftovers_removed ==
          std::vector<std::string>{".smk-tmp-0123456789ab-smk-backup.tar",
                                   "keys/.smk-tmp-ba9876543210-kek.bin"});
    CHECK(report.destinations[0].extra ==
          std::vector<std::string>{".smk-tmp-dir", "my.smk-tmp-notes"});
    CHECK_FALSE(fs::exists(tmp / "dst/.smk-tmp-0123456789ab-smk-backup.tar"));
    CHECK_FALSE(fs::exists(tmp / "dst/keys/.smk-tmp-ba9876543210-kek.bin"));
    CHECK(fs::exists(tmp / "dst/my.smk-tmp-notes"));
    CHECK(fs::exists(tmp / "dst/.smk-tmp-dir/x"));
    CHECK(smk_test::read_file(tmp / "dst/keys/kek.bin") == "kek");
    const std::string text = smk::copy::report_text(report, false);
    CHECK(text.find("removed: keys/.smk-tmp-ba9876543210-kek.bin (a temporary file an interrupted "
                    "copy left)") != std::string::npos);
}

TEST_CASE("copy: progress reports every phase and the bytes read") {
    const smk_test::TempDir tmp("copy-progress");
    make_tree(tmp / "src");
    std::vector<smk::copy::Phase> phases;
    std::uint64_t copied = 0;
    smk::copy::Options options;
    options.progress = [&](const smk::copy::Progress& p) {
        if (phases.empty() || phases.back() != p.phase) {
            phases.push_back(p.phase);
        }
        if (p.phase == smk::copy::Phase::copying) {
            copied = p.bytes_done;
        }
    };
    const smk::copy::Report report =
        smk::copy::copy_tree((tmp / "src/").string(), {(tmp / "dst").string()}, options);
    CHECK(phases ==
          std::vector<smk::copy::Phase>{smk::copy::Phase::checking, smk::copy::Phase::copying,
                                        smk::copy::Phase::verifying, smk::copy::Phase::done});
    CHECK(copied == report.bytes);
}

TEST_CASE("copy: every link is checked on every destination after writing, both targets named") {
    const smk_test::TempDir tmp("copy-link-verify");
    make_tree(tmp / "src");
    const std::vector<std::string> dsts = {(tmp / "a").string(), (tmp / "b").string(),
                                           (tmp / "c").string()};
    // Between the writing and the read-back, one link on b is retargeted and one on c
    // is replaced by a file holding what its target holds.
    bool changed = false;
    smk::copy::Options options;
    options.progress = [&](const smk::copy::Progress& p) {
        if (!changed && p.phase == smk::copy::Phase::verifying) {
            changed = true;
            fs::remove(tmp / "b/current");
            fs::create_symlink("keys/empty", tmp / "b/current");
            fs::remove(tmp / "c/outside-link");
            smk_test::write_file(tmp / "c/outside-link",
                                 smk_test::read_file_if_exists("/etc/hostname"));
        }
    };
    const smk::copy::Report report =
        smk::copy::copy_tree((tmp / "src").string() + "/", dsts, options);
    REQUIRE(changed);
    CHECK_FALSE(report.verified_ok());
    const auto& a = report.destinations[0];
    const auto& b = report.destinations[1];
    const auto& c = report.destinations[2];
    CHECK(a.verified_ok());
    CHECK(a.links_verified == 2);
    CHECK(b.links_verified == 2);
    CHECK(b.verify_failed == std::vector<std::string>{"current"});
    REQUIRE(b.links_failed.size() == 1);
    CHECK(b.links_failed[0].expected_target == "keys/kek.bin");
    CHECK(b.links_failed[0].actual_target == "keys/empty");
    CHECK(b.links_failed[0].detail ==
          "a symbolic link -> keys/empty, but the source has -> keys/kek.bin");
    REQUIRE(c.links_failed.size() == 1);
    CHECK(c.links_failed[0].name == "outside-link");
    CHECK(c.links_failed[0].actual_target.empty());
    CHECK(c.links_failed[0].detail ==
          "a regular file, not a symbolic link; the source has -> /etc/hostname");
    CHECK(b.files_verified == 3);  // the files themselves read back fine

    const std::string text = smk::copy::report_text(report, false);
    CHECK(text.find("  FAILED: current (a symbolic link -> keys/empty, but the source has -> "
                    "keys/kek.bin)\n  read back from the device: OK (3 of 3 files)\n  symbolic "
                    "links: FAILED (1 of 2 with the source's target)\n") != std::string::npos);
    try {
        smk::copy::throw_if_read_back_failed(report);
        FAIL("a link that differs must fail the read-back");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::verification);
        CHECK(std::string(e.what()).find("FAILED on " + (tmp / "b").string() + ", " +
                                         (tmp / "c").string() + ";") != std::string::npos);
    }

    // A re-run puts both links back and checks them.
    const smk::copy::Report again = smk::copy::copy_tree((tmp / "src").string() + "/", dsts);
    CHECK(again.verified_ok());
    CHECK(again.destinations[1].symlinks == 1);
    CHECK(again.destinations[2].symlinks == 1);
    for (const std::string& dst : dsts) {
        copy_test::check_same_tree(tmp / "src", dst);
    }
}
