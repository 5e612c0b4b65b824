// scripts/pcsc-env.sh gives pcscd its own mount namespace. A new namespace starts
// with a copy of every mount present at that moment: a drive mounted before the
// stack started would stay mounted inside it after the System Administrator
// unmounts it, so it could not really be ejected. The script detaches such
// mounts in pcscd's namespace (and only there).

#include <doctest/doctest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "support/files.hpp"
#include "support/pcsc_stack.hpp"
#include "support/temp_dir.hpp"

namespace {

bool mounted_in(const std::string& mountinfo, const std::string& target) {
    return mountinfo.find(" " + target + " ") != std::string::npos;
}

}  // namespace

TEST_CASE("pcsc-env: a drive mounted before the stack starts is not held by pcscd") {
    smk_test::TempDir drive_dir;
    const std::filesystem::path drive = drive_dir.path() / "MASTER";
    std::filesystem::create_directories(drive);
    REQUIRE_MESSAGE(::mount("smk-test-drive", drive.c_str(), "tmpfs", 0, "size=1m") == 0,
                    "mounting a tmpfs as a stand-in drive: " << std::strerror(errno));
    bool unmounted = false;
    {
        smk_test::PcscStack stack(1);
        const std::string ours = smk_test::read_file("/proc/self/mountinfo");
        CHECK(mounted_in(ours, drive.string()));  // the stand-in really is mounted here
        const std::string pcscd =
            smk_test::read_file("/proc/" + std::to_string(stack.pcscd_pid()) + "/mountinfo");
        INFO("pcscd's mounts:\n" << pcscd);
        CHECK_FALSE(mounted_in(pcscd, drive.string()));
        CHECK(mounted_in(pcscd, "/run/pcscd"));  // its own socket directory stays
        // Unmounted here, it is unmounted everywhere: the eject can go ahead.
        unmounted = ::umount2(drive.c_str(), 0) == 0;
        CHECK_MESSAGE(unmounted, "umount: " << std::strerror(errno));
        CHECK_FALSE(mounted_in(smk_test::read_file("/proc/self/mountinfo"), drive.string()));
    }
    if (!unmounted) {
        (void)::umount2(drive.c_str(), MNT_DETACH);
    }
}
