// Fault drills for `smk media copy`, black box: the real binary, real signals, a
// real loop-mounted ext4 drive that turns read-only in the middle of a copy.
// After every fault: no partial or wrong file under a final name, an exit code that
// says what happened, and a message that says what to do next.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "drill.hpp"

namespace {

using namespace faults;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Starts a copy of a 144 MiB tree, sends `sig` as soon as the first temporary file
// exists on the destination, and returns what smk did.
Outcome interrupted_copy(int sig, const fs::path& src, const fs::path& dst) {
    make_source(src, 6, 24);
    fs::create_directories(dst);
    Child child = spawn_smk({"media", "copy", src.string() + "/", dst.string()});
    const bool started = wait_for([&] { return has_temp_file(dst); });
    child.signal(sig);
    Outcome o = child.wait();
    REQUIRE_MESSAGE(started, "the copy never wrote a temporary file: " << o.err);
    return o;
}

void drill_signal_keeps_names_honest(int sig) {
    TempDir t;
    const Outcome o = interrupted_copy(sig, t.path() / "src", t.path() / "dst");
    INFO("exit: " << std::string(o.exited ? "code " : "signal ") << o.code
                  << "\nstderr: " << o.err);
    CHECK(partial_files_under_final_names(t.path() / "src", t.path() / "dst").empty());
    // And the copy can simply be run again, which completes it.
    Child again = spawn_smk(
        {"media", "copy", (t.path() / "src").string() + "/", (t.path() / "dst").string()});
    const Outcome o2 = again.wait();
    INFO("second run stderr: " << o2.err);
    CHECK(o2.exited);
    CHECK(o2.code == 0);
    CHECK(partial_files_under_final_names(t.path() / "src", t.path() / "dst").empty());
    // Nothing of the interrupted run is left behind.
    CHECK(temp_files(t.path() / "dst").empty());
}

// What smk should do on SIGINT/SIGTERM (issue 6, "prints what to do next"): stop
// cleanly, remove its temporary files, exit non-zero with a message.
void drill_signal_reports(int sig) {
    TempDir t;
    const Outcome o = interrupted_copy(sig, t.path() / "src", t.path() / "dst");
    INFO("exit: " << std::string(o.exited ? "code " : "signal ") << o.code
                  << "\nstderr: " << o.err);
    CHECK_MESSAGE(o.exited, "smk died of the signal instead of stopping cleanly");
    CHECK(o.code == 130);
    CHECK(contains(o.err, "interrupted"));
    CHECK(contains(o.err, "again"));  // e.g. "run the same command again to complete it"
    CHECK(temp_files(t.path() / "dst").empty());
}

}  // namespace

TEST_CASE("SIGINT during media copy leaves no partial file under a final name, a rerun completes") {
    drill_signal_keeps_names_honest(SIGINT);
}

TEST_CASE(
    "SIGTERM during media copy leaves no partial file under a final name, a rerun completes") {
    drill_signal_keeps_names_honest(SIGTERM);
}

// smk media copy runs inside an InterruptScope (smk/interrupt.hpp): the signal stops
// the copy at its next chunk, the temporary files are removed, exit code 130.
TEST_CASE("SIGINT during media copy - exit code and message say what to do") {
    drill_signal_reports(SIGINT);
}

TEST_CASE("SIGTERM during media copy - exit code and message say what to do") {
    drill_signal_reports(SIGTERM);
}

namespace {

// A 160 MiB ext4 image loop-mounted with errors=remount-ro. Needs root.
struct LoopDrive {
    fs::path image;
    fs::path mount;
    std::string loop;  // e.g. "loop3"
    bool mounted = false;

    explicit LoopDrive(const fs::path& dir) : image(dir / "drive.img"), mount(dir / "drive") {
        REQUIRE_MESSAGE(::geteuid() == 0, "the read-only drill needs root (loop mounts)");
        fs::create_directories(mount);
        REQUIRE(run_command("truncate -s 160M '" + image.string() +
                            "' && mkfs.ext4 -q -F -b 4096 '" + image.string() + "'") == 0);
        mount_it();
    }
    void mount_it() {
        REQUIRE(run_command("mount -o loop,errors=remount-ro '" + image.string() + "' '" +
                            mount.string() + "'") == 0);
        mounted = true;
        // The loop device behind the mount, for /sys/fs/ext4/<dev>/.
        std::ifstream mounts("/proc/self/mounts");
        for (std::string line; std::getline(mounts, line);) {
            if (line.find(" " + mount.string() + " ") != std::string::npos) {
                loop = fs::path(line.substr(0, line.find(' '))).filename().string();
            }
        }
        REQUIRE_FALSE(loop.empty());
    }
    void unmount() {
        if (mounted) {
            run_command("umount '" + mount.string() + "'");
            mounted = false;
        }
    }
    ~LoopDrive() { unmount(); }
    LoopDrive(const LoopDrive&) = delete;
    LoopDrive& operator=(const LoopDrive&) = delete;
};

}  // namespace

TEST_CASE("a drive that turns read-only during media copy - I/O error naming it, no partial file") {
    TempDir t;
    LoopDrive drive(t.path());
    const fs::path src = t.path() / "src";
    make_source(src, 4, 24);
    const fs::path dst = drive.mount / "backup";
    fs::create_directories(dst);
    Child child = spawn_smk({"media", "copy", src.string() + "/", dst.string()});
    const bool started = wait_for([&] { return has_temp_file(dst); });
    // ext4's own test hook: report a filesystem error, which with errors=remount-ro
    // turns the mounted filesystem read-only at once, as a failing drive does.
    const std::string trigger = "/sys/fs/ext4/" + drive.loop + "/trigger_fs_error";
    const int rc = run_command("echo fault-drill > " + trigger);
    Outcome o = child.wait();
    INFO("exit: " << std::string(o.exited ? "code " : "signal ") << o.code
                  << "\nstderr: " << o.err);
    REQUIRE_MESSAGE(started, "the copy never wrote a temporary file");
    REQUIRE_MESSAGE(rc == 0, "could not write " << trigger);
    std::ifstream mounts("/proc/self/mounts");
    std::string line;
    bool read_only = false;
    while (std::getline(mounts, line)) {
        if (line.find(" " + drive.mount.string() + " ") != std::string::npos) {
            // Linux 6.x marks an ext4 turned read-only by an error "emergency_ro".
            read_only = line.find(" ro,") != std::string::npos ||
                        line.find("emergency_ro") != std::string::npos;
        }
    }
    CHECK_MESSAGE(read_only, "the drill did not make the drive read-only");
    CHECK(o.exited);
    CHECK(o.code == 6);  // I/O
    CHECK(contains(o.err, drive.mount.string()));
    // Remount (the journal replays) and look at what is there under final names.
    drive.unmount();
    REQUIRE(run_command("e2fsck -fy '" + drive.image.string() + "' >/dev/null 2>&1; true") == 0);
    drive.mount_it();
    if (fs::exists(dst)) {
        CHECK(partial_files_under_final_names(src, dst).empty());
    }
}
