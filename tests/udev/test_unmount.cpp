// The unmount half of eject, on a real loop-mounted ext4 image (not USB, so the
// internal function is tested directly): a free mount is unmounted; a busy one is
// refused with the PID and command of each process holding it.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "drive_unmount.hpp"
#include "media/media_test_util.hpp"
#include "mountinfo.hpp"
#include "smk/error.hpp"

namespace dt = smk::drive::detail;
namespace fs = std::filesystem;

namespace {

bool is_mounted(const std::string& point) {
    for (const smk::media::MountInfo& m : smk::media::read_mountinfo()) {
        if (m.mount_point == point) {
            return true;
        }
    }
    return false;
}

// An 8 MiB ext4 image loop-mounted in a fresh temp dir; unmounted and removed after.
// Loop mounts not possible here: the test FAILs with the reason.
class LoopMount final {
  public:
    LoopMount() : m_dir("udev-loop") {
        m_image = (m_dir.path() / "fs.img").string();
        m_point = (m_dir.path() / "mnt").string();
        fs::create_directories(m_point);
        const std::string log = (m_dir.path() / "log").string();
        const std::string cmd = "truncate -s 8M " + m_image + " && mkfs.ext4 -q " + m_image +
                                " && mount -o loop " + m_image + " " + m_point + " >" + log +
                                " 2>&1";
        if (smk_test::run_shell(cmd).shell_status() != 0) {
            FAIL("cannot loop-mount an ext4 image (root and loop devices needed): "
                 << smk_test::read_file_if_exists(log));
        }
        struct stat st {};
        REQUIRE(::stat(m_point.c_str(), &st) == 0);
        m_dev = dt::devnum_of(st.st_dev);
        fs::create_directories(fs::path(m_point) / "keys");
        smk_test::write_file(fs::path(m_point) / "keys" / "share.txt", "not a secret\n");
    }
    ~LoopMount() {
        for (const pid_t pid : m_children) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        if (is_mounted(m_point)) {
            ::umount2(m_point.c_str(), MNT_DETACH);
        }
    }
    LoopMount(const LoopMount&) = delete;
    LoopMount& operator=(const LoopMount&) = delete;

    // A `sleep` whose working directory is `cwd` and whose stdin is `input` (if given).
    pid_t start_holder(const std::string& cwd, const std::string& input = {}) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            if (::chdir(cwd.c_str()) != 0) {
                ::_exit(126);
            }
            if (!input.empty()) {
                const int fd = ::open(input.c_str(), O_RDONLY);
                if (fd < 0 || ::dup2(fd, 0) < 0) {
                    ::_exit(126);
                }
            }
            ::execlp("sleep", "sleep", "60", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        m_children.push_back(pid);
        // Wait until the child runs sleep (its comm changes) with its cwd on the mount.
        for (int i = 0; i < 200; ++i) {
            const std::string comm =
                smk_test::read_file_if_exists("/proc/" + std::to_string(pid) + "/comm");
            if (comm == "sleep\n") {
                return pid;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        FAIL("the holder process did not start");
        return pid;
    }

    void stop(pid_t pid) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        std::erase(m_children, pid);
    }

    [[nodiscard]] const std::string& point() const noexcept { return m_point; }
    [[nodiscard]] dt::DevNum dev() const noexcept { return m_dev; }

  private:
    smk_test::TempDir m_dir;
    std::string m_image;
    std::string m_point;
    dt::DevNum m_dev;
    std::vector<pid_t> m_children;
};

}  // namespace

TEST_CASE("a mounted filesystem nobody uses is unmounted") {
    LoopMount loop;
    REQUIRE(is_mounted(loop.point()));
    CHECK(dt::processes_using_device(loop.dev()).empty());
    dt::unmount_mount_point(loop.point(), loop.dev());
    CHECK_FALSE(is_mounted(loop.point()));
}

TEST_CASE("a process with its working directory on the mount is named, and nothing is unmounted") {
    LoopMount loop;
    const pid_t pid = loop.start_holder(loop.point() + "/keys");
    const std::vector<dt::Holder> holders = dt::processes_using_device(loop.dev());
    REQUIRE(holders.size() == 1);
    CHECK(holders[0].pid == pid);
    CHECK(holders[0].command == "sleep");
    REQUIRE(!holders[0].uses.empty());
    CHECK(holders[0].uses[0] == "cwd " + loop.point() + "/keys");
    try {
        dt::unmount_mount_point(loop.point(), loop.dev());
        FAIL("a busy mount was unmounted");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::device);
        const std::string msg = e.what();
        CHECK(msg.find(loop.point() + " is busy, held by PID " + std::to_string(pid) +
                       " (sleep): cwd " + loop.point() + "/keys") != std::string::npos);
        CHECK(msg.find("run the command again") != std::string::npos);
    }
    CHECK(is_mounted(loop.point()));
    loop.stop(pid);
    dt::unmount_mount_point(loop.point(), loop.dev());
    CHECK_FALSE(is_mounted(loop.point()));
}

TEST_CASE("a process holding a file open on the mount is named with the file") {
    LoopMount loop;
    const std::string file = loop.point() + "/keys/share.txt";
    const pid_t pid = loop.start_holder("/", file);
    const std::vector<dt::Holder> holders = dt::processes_using_device(loop.dev());
    REQUIRE(holders.size() == 1);
    CHECK(holders[0].pid == pid);
    CHECK(std::find(holders[0].uses.begin(), holders[0].uses.end(), "fd 0 " + file) !=
          holders[0].uses.end());
    CHECK_THROWS_AS(dt::unmount_mount_point(loop.point(), loop.dev()), smk::Error);
    CHECK(is_mounted(loop.point()));
}

TEST_CASE("unmounting what is not a mount point is a device error naming it") {
    const smk_test::TempDir dir("udev-notmount");
    try {
        dt::unmount_mount_point(dir.path().string(), {0, 0});
        FAIL("unmounting a plain directory succeeded");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::device);
        CHECK(std::string(e.what()).find("cannot unmount " + dir.path().string()) !=
              std::string::npos);
    }
}
