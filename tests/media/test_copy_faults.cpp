// The copy engine's faults: a full drive, a source file changing or vanishing
// mid-copy, an unreadable source file, destinations overlapping the source, a type
// in the way, and the page-cache trap on a loop-mounted ext4 drive.

#include <doctest/doctest.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "copy_test_util.hpp"
#include "smk_run.hpp"

namespace {

namespace fs = std::filesystem;
using smk::ErrorCategory;

std::string random_bytes(std::size_t n) {
    std::string s(n, '\0');
    std::uint32_t x = 2463534242U;
    for (char& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x & 0xffU);
    }
    return s;
}

}  // namespace

TEST_CASE("copy fault: a full destination names the file and leaves no partial file") {
    const smk_test::TempDir tmp("copy-full");
    const copy_test::ScratchMount drive(tmp, copy_test::ScratchMount::Type::tmpfs_1m);
    if (!drive.mounted()) {
        FAIL("cannot mount a 1 MiB tmpfs (needs root): " << drive.why_not());
    }
    const std::string big = random_bytes(2 * 1024 * 1024);
    smk_test::write_file(tmp / "src/a-small.txt", "fits");
    smk_test::write_file(tmp / "src/big backup.bin", big);
    const smk::Sha256 before = smk::sha256_text(big);
    const struct stat src_before = copy_test::lstat_of(tmp / "src/big backup.bin");

    const std::string message =
        copy_test::copy_error((tmp / "src/").string(),
                              {(tmp / "ok").string(), drive.point().string()}, ErrorCategory::io);
    CHECK(message.find("big backup.bin") != std::string::npos);
    CHECK(message.find("No space left on device") != std::string::npos);
    CHECK_FALSE(copy_test::exists_no_follow(drive.point() / "big backup.bin"));
    CHECK(copy_test::temp_leftovers(drive.point()).empty());
    CHECK(copy_test::temp_leftovers(tmp / "ok").empty());
    // Files are placed in synced batches: one sealed before the failure is either
    // not placed yet (its temporary file removed) or complete, never partial.
    if (copy_test::exists_no_follow(drive.point() / "a-small.txt")) {
        CHECK(smk_test::read_file_if_exists(drive.point() / "a-small.txt") == "fits");
    }
    // The source is untouched.
    CHECK(smk::sha256_file(tmp / "src/big backup.bin").sha256 == before);
    const struct stat src_after = copy_test::lstat_of(tmp / "src/big backup.bin");
    CHECK(src_after.st_mtim.tv_nsec == src_before.st_mtim.tv_nsec);
    CHECK(src_after.st_mtim.tv_sec == src_before.st_mtim.tv_sec);
}

TEST_CASE(
    "copy fault: an update rsync -aW completes on a nearly full drive says why it needs room") {
    // Two 1 MiB drives, each holding old copies of four 200 KiB files (224 KiB free).
    // rsync -aW replaces one file at a time (200 KiB of room); smk keeps the batch's
    // new copies beside the old ones until one sync, and needs 800 KiB.
    const smk_test::TempDir tmp("copy-full-update");
    const smk_test::TempDir tmp_rsync("copy-full-rsync");
    const copy_test::ScratchMount drive(tmp, copy_test::ScratchMount::Type::tmpfs_1m);
    const copy_test::ScratchMount rsync_drive(tmp_rsync, copy_test::ScratchMount::Type::tmpfs_1m);
    if (!drive.mounted() || !rsync_drive.mounted()) {
        FAIL("cannot mount a 1 MiB tmpfs (needs root): " << drive.why_not()
                                                         << rsync_drive.why_not());
    }
    fs::create_directories(tmp / "scratch");
    const std::string old_copy(200 * 1024, 'o');
    const std::vector<std::string> names = {"part-1.bin", "part-2.bin", "part-3.bin", "part-4.bin"};
    const std::array<timespec, 2> old_time = {timespec{1600000000, 0}, timespec{1600000000, 0}};
    for (std::size_t i = 0; i < names.size(); ++i) {
        smk_test::write_file(tmp / "src" / names[i],
                             random_bytes(200 * 1024).replace(0, 1, std::to_string(i)));
        for (const fs::path& root : {drive.point(), rsync_drive.point()}) {
            smk_test::write_file(root / names[i], old_copy);
            REQUIRE(::utimensat(AT_FDCWD, (root / names[i]).c_str(), old_time.data(), 0) == 0);
        }
    }

    const smk_test::CliRun run = smk_test::run_media_cli(
        {"media", "copy", (tmp / "src/").string(), drive.point().string()}, tmp / "scratch");
    CAPTURE(run.err);
    const std::string root = drive.point().string();
    CHECK(run.exit == 6);
    CHECK(run.error.find("No space left on device") != std::string::npos);
    // Why, how much, which drive, what is left, what to do.
    CHECK(run.error.find(root +
                         " filled up while a batch of new copies waited there under temporary "
                         "names: smk media copy syncs files in batches (up to 512 files or "
                         "256.0 MiB) before it renames any") != std::string::npos);
    CHECK(run.error.find("so this update needs 800.0 KiB more free space on " + root +
                         " than the finished copy takes") != std::string::npos);
    CHECK(run.error.find("rsync -aW, one file at a time") != std::string::npos);
    CHECK(run.error.find("Nothing under a final name is half-written") != std::string::npos);
    CHECK(run.error.find("its temporary files were removed") != std::string::npos);
    CHECK(run.error.find("Free at least 800.0 KiB on " + root) != std::string::npos);
    CHECK(run.error.find("run the same command again") != std::string::npos);
    // What it says is so: the old copies are whole, nothing temporary is left.
    for (const std::string& name : names) {
        CHECK(smk_test::read_file_if_exists(drive.point() / name) == old_copy);
    }
    CHECK(copy_test::temp_leftovers(drive.point()).empty());

    // The same update with rsync -aW (a tool we did not write) completes.
    const smk_test::ToolRun rsync =
        smk_test::run({"rsync", "-aW", (tmp / "src/").string(), rsync_drive.point().string() + "/"},
                      tmp / "scratch", tmp / "scratch");
    CHECK_MESSAGE(rsync.status == 0, rsync.err);
    for (const std::string& name : names) {
        CHECK(smk_test::read_file_if_exists(rsync_drive.point() / name) ==
              smk_test::read_file_if_exists(tmp / "src" / name));
    }
}

TEST_CASE("copy fault: a source file that changes during the copy is named and not put in place") {
    const smk_test::TempDir tmp("copy-change");
    smk_test::write_file(tmp / "src/growing.log", std::string(3 * 1024 * 1024, 'g'));
    // The kernel's file clock is coarse (a tick): wait until a file written now gets
    // another mtime than growing.log, so that the change below shows in the mtime.
    const struct timespec written = copy_test::lstat_of(tmp / "src/growing.log").st_mtim;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        smk_test::write_file(tmp / "clock-probe", "tick");
        const struct timespec now = copy_test::lstat_of(tmp / "clock-probe").st_mtim;
        if (now.tv_sec != written.tv_sec || now.tv_nsec != written.tv_nsec) {
            break;
        }
        REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "the file clock stood still");
    }
    const fs::path file = tmp / "src/growing.log";
    bool changed = false;
    smk::copy::Options options;

    SUBCASE("it grows") {
        options.progress = [&](const smk::copy::Progress& p) {
            if (!changed && p.phase == smk::copy::Phase::copying && p.bytes_done > 0) {
                changed = true;
                std::ofstream(file, std::ios::app) << "more";
            }
        };
    }
    SUBCASE("it is rewritten in place, same size") {
        options.progress = [&](const smk::copy::Progress& p) {
            if (!changed && p.phase == smk::copy::Phase::copying && p.bytes_done > 0) {
                changed = true;
                const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
                REQUIRE(fd >= 0);
                REQUIRE(::pwrite(fd, "X", 1, 2 * 1024 * 1024) == 1);
                ::close(fd);
            }
        };
    }
    const std::string message = copy_test::copy_error(
        (tmp / "src/").string(), {(tmp / "dst").string()}, ErrorCategory::io, options);
    CHECK(changed);
    CHECK(message.find("growing.log") != std::string::npos);
    CHECK(message.find("changed while it was being copied") != std::string::npos);
    CHECK_FALSE(copy_test::exists_no_follow(tmp / "dst/growing.log"));
    CHECK(copy_test::temp_leftovers(tmp / "dst").empty());
}

TEST_CASE("copy fault: a source file removed after the walk is named") {
    // Real on a live system: the walk lists the tree first, then copies file by file.
    const smk_test::TempDir tmp("copy-vanish");
    smk_test::write_file(tmp / "src/a.bin", std::string(2 * 1024 * 1024, 'a'));
    smk_test::write_file(tmp / "src/b.bin", "b");
    smk::copy::Options options;
    options.progress = [&](const smk::copy::Progress& p) {
        if (p.current == "a.bin") {
            fs::remove(tmp / "src/b.bin");
        }
    };
    const std::string message = copy_test::copy_error(
        (tmp / "src/").string(), {(tmp / "dst").string()}, ErrorCategory::io, options);
    CHECK(message.find("b.bin") != std::string::npos);
    CHECK(message.find("disappeared") != std::string::npos);
    CHECK(copy_test::temp_leftovers(tmp / "dst").empty());
}

TEST_CASE("copy fault: an unreadable source file is named (run as an unprivileged user)") {
    // Root reads any file whatever its mode, so the copy runs in a child process that
    // has dropped to uid/gid 65534 (nobody), as an operator without root would: a
    // mode-000 file is then really unreadable.
    if (::geteuid() != 0) {
        FAIL("this test needs root to switch to the nobody user");
    }
    const smk_test::TempDir tmp("copy-unreadable");
    fs::permissions(tmp.path(), fs::perms::all);  // let nobody in
    smk_test::write_file(tmp / "src/readable.txt", "ok");
    smk_test::write_file(tmp / "src/secret share.bin", "no");
    smk_test::write_file(tmp / "src/sub/later.txt", "after the unreadable file");
    fs::create_symlink("readable.txt", tmp / "src/zz-link");
    fs::permissions(tmp / "src", fs::perms::all);
    fs::permissions(tmp / "src/sub", fs::perms::all);
    fs::permissions(tmp / "src/secret share.bin", fs::perms::none);
    fs::create_directories(tmp / "dst");
    fs::permissions(tmp / "dst", fs::perms::all);

    std::array<int, 2> pipe_fds{};
    REQUIRE(::pipe(pipe_fds.data()) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(pipe_fds[0]);
        int code = 99;
        std::string message = "did not fail";
        if (::setgroups(0, nullptr) == 0 && ::setgid(65534) == 0 && ::setuid(65534) == 0) {
            try {
                (void)smk::copy::copy_tree((tmp / "src/").string(), {(tmp / "dst").string()});
            } catch (const smk::Error& e) {
                code = smk::exit_code(e.category());
                message = e.what();
            } catch (...) {
                code = 98;
            }
        } else {
            message = "cannot drop to nobody";
        }
        (void)!::write(pipe_fds[1], message.data(), message.size());
        ::_exit(code);
    }
    ::close(pipe_fds[1]);
    std::string message;
    std::array<char, 512> buf{};
    for (ssize_t n = 0; (n = ::read(pipe_fds[0], buf.data(), buf.size())) > 0;) {
        message.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CAPTURE(message);
    CHECK(WEXITSTATUS(status) == smk::exit_code(ErrorCategory::io));
    CHECK(message.find("secret share.bin") != std::string::npos);
    CHECK(message.find("Permission denied") != std::string::npos);
    CHECK_FALSE(copy_test::exists_no_follow(tmp / "dst/secret share.bin"));
    CHECK(copy_test::temp_leftovers(tmp / "dst").empty());
    // The copy stopped after the directories and links were made, and says so (and
    // what to do); the file before it was still waiting in its batch: not placed.
    CHECK(message.find("the copy stopped there. On every destination the directories and "
                       "links are made (new directories keep mode 0700 until a copy "
                       "completes)") != std::string::npos);
    CHECK(message.find("no final name holds a partial file") != std::string::npos);
    CHECK(message.find("Make it readable (or run as its owner) and run the same command again.") !=
          std::string::npos);
    CHECK(fs::is_directory(tmp / "dst/sub"));
    CHECK((copy_test::lstat_of(tmp / "dst/sub").st_mode & 07777) == 0700);
    CHECK(fs::read_symlink(tmp / "dst/zz-link") == "readable.txt");
    CHECK_FALSE(copy_test::exists_no_follow(tmp / "dst/readable.txt"));
    CHECK_FALSE(copy_test::exists_no_follow(tmp / "dst/sub/later.txt"));
}

TEST_CASE("copy fault: destinations overlapping the source are refused before any write") {
    const smk_test::TempDir tmp("copy-overlap");
    smk_test::write_file(tmp / "src/f", "x");
    smk_test::write_file(tmp / "src/sub/g", "y");
    const std::string src = (tmp / "src").string();
    const auto before = copy_test::all_names(tmp.path());
    struct Case {
        std::string source;
        std::string dst;
        std::string says;
    };
    const std::vector<Case> cases = {
        {src + "/", src, "is the source"},
        {src + "/", src + "/", "is the source"},
        {src, tmp.path().string(), "is the source"},  // lands in tmp/src
        {src + "/", src + "/sub", "lies inside the source"},
        {src + "/", src + "/new-dir", "lies inside the source"},
        {src + "/", (tmp / "src/sub/../sub/deeper").string(), "lies inside the source"},
        {src + "/sub/", src, "contains the source"},
        {src + "/sub/", tmp.path().string(), "contains the source"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.source);
        CAPTURE(c.dst);
        const std::string message =
            copy_test::copy_error(c.source, {(tmp / "ok").string(), c.dst}, ErrorCategory::refused);
        CHECK(message.find(c.says) != std::string::npos);
    }
    SUBCASE("through a symbolic link to the source") {
        fs::create_directory_symlink(tmp / "src", tmp / "alias");
        (void)copy_test::copy_error(src + "/", {(tmp / "alias/sub").string()},
                                    ErrorCategory::refused);
        fs::remove(tmp / "alias");
    }
    SUBCASE("two destinations that overlap") {
        const std::string message = copy_test::copy_error(
            src + "/", {(tmp / "a").string(), (tmp / "a/b").string()}, ErrorCategory::refused);
        CHECK(message.find("overlap") != std::string::npos);
    }
    // Nothing was created anywhere: not even the first, innocent destination.
    CHECK(copy_test::all_names(tmp.path()) == before);
}

TEST_CASE("copy fault: a destination reached through a bind mount of the source is refused") {
    const smk_test::TempDir tmp("copy-bind");
    smk_test::write_file(tmp / "src/f", "x");
    fs::create_directories(tmp / "view");
    if (::mount((tmp / "src").c_str(), (tmp / "view").c_str(), nullptr, MS_BIND, nullptr) != 0) {
        FAIL("cannot bind-mount (needs root): " << std::strerror(errno));
    }
    // Canonical paths differ (tmp/view/x vs tmp/src); st_dev/st_ino of view is src's.
    const std::string message = copy_test::copy_error(
        (tmp / "src/").string(), {(tmp / "view/inner").string()}, ErrorCategory::refused);
    CHECK(message.find("lies inside the source") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "src/inner"));
    REQUIRE(::umount((tmp / "view").c_str()) == 0);
}

TEST_CASE("copy fault: a directory in the way of a file (or the reverse) is refused first") {
    const smk_test::TempDir tmp("copy-type");
    smk_test::write_file(tmp / "src/a", "file");
    smk_test::write_file(tmp / "src/z/inner", "file");
    fs::create_directories(tmp / "dst/a");
    smk_test::write_file(tmp / "dst/z", "a file where the source has a directory");
    const std::string message = copy_test::copy_error(
        (tmp / "src/").string(), {(tmp / "dst").string()}, ErrorCategory::refused);
    CHECK(message.find("dst/a") != std::string::npos);
    CHECK(copy_test::all_names(tmp / "dst") == std::vector<std::string>{"a", "z"});
}

TEST_CASE("copy fault: the usage errors") {
    const smk_test::TempDir tmp("copy-usage");
    // A source that does not exist is a missing input file: I/O (exit 6), not usage.
    const std::string missing = copy_test::copy_error((tmp / "missing/").string(),
                                                      {(tmp / "d").string()}, ErrorCategory::io);
    CHECK(missing.find("the source " + (tmp / "missing/").string() + " does not exist") !=
          std::string::npos);
    CHECK(missing.find("Check the path") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "d"));
    smk_test::write_file(tmp / "src/f", "x");
    (void)copy_test::copy_error((tmp / "src/").string(), {}, ErrorCategory::usage);
    (void)copy_test::copy_error((tmp / "src/f/").string(), {(tmp / "d").string()},
                                ErrorCategory::usage);
}

TEST_CASE("copy fault: the page-cache trap on a loop-mounted ext4 drive") {
    const smk_test::TempDir tmp("copy-cache");
    const copy_test::ScratchMount drive(tmp, copy_test::ScratchMount::Type::ext4_image);
    if (!drive.mounted()) {
        FAIL("loop-mount test cannot run here (needs root and loop devices): " << drive.why_not());
    }
    smk_test::write_file(tmp / "src/share.bin", std::string(8192, 'G'));
    smk_test::write_file(tmp / "src/other.bin", "other");
    const std::string src = (tmp / "src/").string();
    const fs::path copy = drive.point() / "share.bin";

    // Between the write (fsynced, its pages clean in the cache) and the read-back,
    // the drive's bytes change behind the filesystem.
    smk::copy::Options options;
    bool corrupted = false;
    options.progress = [&](const smk::copy::Progress& p) {
        if (!corrupted && p.phase == smk::copy::Phase::verifying) {
            corrupted = true;
            copy_test::corrupt_behind_filesystem(copy, drive.image(), 'B');
        }
    };
    const smk::copy::Report report = smk::copy::copy_tree(src, {drive.point().string()}, options);
    REQUIRE(corrupted);
    CHECK_FALSE(report.verified_ok());
    CHECK(report.destinations[0].verify_failed == std::vector<std::string>{"share.bin"});
    CHECK(report.destinations[0].files_verified == 2);

    // A re-run: same size and mtime, so rsync -aW would skip it; smk hashes it from
    // the device, rewrites it and verifies it.
    const smk::copy::Report again = smk::copy::copy_tree(src, {drive.point().string()});
    CHECK(again.verified_ok());
    CHECK(again.destinations[0].rewritten == 1);
    CHECK(again.destinations[0].unchanged_verified == 1);
    CHECK(smk::sha256_file(copy, smk::ReadMode::direct).sha256 ==
          smk::sha256_text(std::string(8192, 'G')));
}
