// smk ceremony backup-copies against USB drives: loop-mounted ext4 images that a
// umockdev testbed presents as USB sticks with the planned (or a wrong) serial,
// as tests/udev does. Runs under umockdev-wrapper (tests/CMakeLists.txt).

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "ceremony/ceremony_test_util.hpp"
#include "ceremony/drives_support.hpp"
#include "cli/run.hpp"
#include "smk/ceremony/transcript.hpp"
#include "support/umockdev_testbed.hpp"

namespace {

namespace fs = std::filesystem;
using smk_test::drives::kControllerRecord;
using smk_test::drives::sh;
using smk_test::drives::stick_record_of_mount;

using smk_test::contains;

// A fresh ext4 image mounted on a loop device (mount -o loop: the loop device is
// released when it is unmounted, also by smk's eject).
class LoopDrive final {
  public:
    explicit LoopDrive(const fs::path& dir, const std::string& name) : m_point(dir / name) {
        fs::create_directories(m_point);
        REQUIRE_MESSAGE(::geteuid() == 0, "the drive tests need root (loop mounts)");
        const std::string img = (dir / (name + ".img")).string();
        REQUIRE_MESSAGE(sh("truncate -s 16M '" + img + "' && mkfs.ext4 -q -b 4096 '" + img +
                           "' && mount -o loop '" + img + "' '" + m_point.string() + "'") == 0,
                        "truncate, mkfs.ext4 or mount -o loop failed: loop devices needed");
    }
    ~LoopDrive() {
        // Unconditional: a test that failed half-way may have left it mounted.
        (void)sh("umount '" + m_point.string() + "' 2>/dev/null");
    }
    LoopDrive(const LoopDrive&) = delete;
    LoopDrive& operator=(const LoopDrive&) = delete;

    [[nodiscard]] const fs::path& point() const noexcept { return m_point; }
    [[nodiscard]] bool mounted() const {
        return sh("mountpoint -q '" + m_point.string() + "'") == 0;
    }

  private:
    fs::path m_point;
};

const std::string kMasterSerial = "001CC0EC34BEFB90671D25F1";
const std::string kOperativeSerial = "4C530001110000000001";

// The example plan with two drives at the given mounts and the given serials.
std::string plan_text(const fs::path& source, const fs::path& master, const fs::path& operative,
                      const std::string& master_serial, const std::string& operative_serial) {
    std::string text = smk_test::without_application_backup(smk_test::example_plan_text());
    text.erase(text.find("[backup]"));
    text += "[backup]\nsource = \"" + source.string() + "/\"\n\n[[drives]]\nname = \"MASTER\"\n" +
            "usb_serial = \"" + master_serial + "\"\nmount = \"" + master.string() + "\"\n\n" +
            "[[drives]]\nname = \"WELLINGTON\"\nusb_serial = \"" + operative_serial +
            "\"\nmount = \"" + operative.string() + "\"\n";
    return text;
}

// Two loop drives, the HSM backup tree to copy, the testbed, a plan.
struct DriveRig {
    smk_test::TempDir dir;
    LoopDrive master{dir.path(), "MASTER"};
    LoopDrive operative{dir.path(), "WELLINGTON"};
    fs::path source = dir.path() / "hsm-backup";
    fs::path plan = dir.path() / "plan.toml";
    fs::path transcript = dir.path() / "smk-ceremony.transcript.jsonl";
    smk_test::Testbed bed{std::initializer_list<const char*>{}};

    explicit DriveRig(const std::string& operative_serial = kOperativeSerial) {
        fs::create_directories(source / "keys");
        smk_test::spit(source / "keys" / "application-keys.smkwrap", "wrapped keys\n");
        smk_test::spit(source / "README.txt", "HSM backup\n");
        bed.add_record_text(kControllerRecord);
        bed.add_record_text(stick_record_of_mount(1, kMasterSerial, master.point()));
        bed.add_record_text(stick_record_of_mount(2, kOperativeSerial, operative.point()));
        smk_test::spit(plan, plan_text(source, master.point(), operative.point(), kMasterSerial,
                                       operative_serial));
    }
};

std::size_t steps(const fs::path& transcript, const std::string& step) {
    std::size_t n = 0;
    for (const auto& line : smk::transcript::read_file(transcript)) {
        n += line.step == step ? 1U : 0U;
    }
    return n;
}

}  // namespace

TEST_CASE("backup-copies: every serial checked, both drives copied and verified from the device") {
    DriveRig rig;
    const auto r =
        smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string(), "--no-eject"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(
        r.out, "MASTER       " + kMasterSerial + "  copied and verified from the device: 2 files"));
    CHECK(contains(r.out, "WELLINGTON   " + kOperativeSerial +
                              "  copied and verified from the device: 2 files"));
    CHECK(contains(r.out, "left mounted (--no-eject)"));
    for (const auto* drive : {&rig.master, &rig.operative}) {
        CHECK(smk_test::slurp(drive->point() / "keys" / "application-keys.smkwrap") ==
              "wrapped keys\n");
        CHECK(smk_test::slurp(drive->point() / "README.txt") == "HSM backup\n");
        CHECK(drive->mounted());
    }
    CHECK(steps(rig.transcript, "drive-checked") == 2);
    CHECK(steps(rig.transcript, "drive-copied") == 2);
    CHECK(steps(rig.transcript, "drive-verified") == 2);
    CHECK(smk::transcript::verify_file(rig.transcript).ok());
}

TEST_CASE(
    "backup-copies: a symbolic link in the backup tree is copied and part of each tree digest") {
    DriveRig rig;
    fs::create_symlink("keys/application-keys.smkwrap", rig.source / "current");
    const auto r =
        smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string(), "--no-eject"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    std::string source_tree;
    std::vector<std::string> drive_trees;
    for (const auto& line : smk::transcript::read_file(rig.transcript)) {
        for (const auto& [key, value] : line.digests) {
            if (key != "tree") {
                continue;
            }
            if (line.step == "drive-verified") {
                drive_trees.push_back(value);
                CHECK(std::find(line.results.begin(), line.results.end(),
                                std::pair<std::string, std::string>{"links", "1"}) !=
                      line.results.end());
            } else if (line.step == "done") {
                source_tree = value;
            }
        }
    }
    REQUIRE(drive_trees.size() == 2);
    CHECK_FALSE(source_tree.empty());
    for (const auto& tree : drive_trees) {
        CHECK(tree == source_tree);  // the drive's files and links are the source's
    }
    for (const auto* drive : {&rig.master, &rig.operative}) {
        CHECK(fs::read_symlink(drive->point() / "current") == "keys/application-keys.smkwrap");
    }
}

TEST_CASE("backup-copies: each drive is ejected after its verification") {
    DriveRig rig;
    const auto r = smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string()});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "ejected"));
    CHECK_FALSE(rig.master.mounted());
    CHECK_FALSE(rig.operative.mounted());
    CHECK(steps(rig.transcript, "drive-ejected") == 2);
}

TEST_CASE("backup-copies: a drive whose USB serial is not the planned one stops before any write") {
    DriveRig rig("4C530001110000000009");
    const auto r = smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string()});
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 7);
    CHECK(contains(r.err, "drive WELLINGTON"));
    CHECK(contains(r.err,
                   "has USB serial " + kOperativeSerial + ", the plan says 4C530001110000000009"));
    CHECK(contains(r.err, "Nothing was written to any drive."));
    CHECK_FALSE(fs::exists(rig.master.point() / "README.txt"));  // MASTER comes first, still empty
    CHECK_FALSE(fs::exists(rig.operative.point() / "README.txt"));
    CHECK(rig.master.mounted());
    CHECK(steps(rig.transcript, "drive-serial-mismatch") == 1);
}

TEST_CASE("backup-copies: a look-alike character in the planned serial is still a mismatch") {
    DriveRig rig("4C53OOO111OOOOOOOOO1");
    const auto r = smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string()});
    CHECK(r.exit_code == 7);
    CHECK(contains(r.err, "look-alike"));
    CHECK_FALSE(fs::exists(rig.master.point() / "README.txt"));
}

TEST_CASE("backup-copies: a look-alike serial is overridden only by the CA typing the drive's") {
    const std::string look_alike = "4C53OOO111OOOOOOOOO1";  // letter O for zero on the paper
    {
        // A reading that is not the drive's (the paper's again): still refused.
        DriveRig rig(look_alike);
        const auto r = smk_test::run_smk_pty(
            {"ceremony", "backup-copies", rig.plan.string(), "--no-eject", "--look-alike-override"},
            {{"type it as you read it: ", look_alike + "\n"}}, false);
        INFO("tty: " << r.tty << "\nstderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(contains(r.tty, "differs from the plan's only in look-alike characters"));
        CHECK(steps(rig.transcript, "drive-serial-override-refused") == 1);
        CHECK(steps(rig.transcript, "exception") == 0);
        CHECK_FALSE(fs::exists(rig.master.point() / "README.txt"));
    }
    {
        // Without the flag the error says how the CA may override it.
        DriveRig rig(look_alike);
        const auto r = smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string()});
        CHECK(r.exit_code == 7);
        CHECK(contains(r.err, "--look-alike-override lets them type the serial"));
    }
    DriveRig rig(look_alike);
    const auto r = smk_test::run_smk_pty(
        {"ceremony", "backup-copies", rig.plan.string(), "--no-eject", "--look-alike-override"},
        {{"type it as you read it: ", "4C53 0001 1100 0000 0001\n"}}, false);
    INFO("tty: " << r.tty << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    // The drive's serial was not on the screen before the answer: it was read off the drive.
    const std::string before_answer = r.tty.substr(0, r.tty.find("4C53 0001"));
    CHECK(before_answer.find(kOperativeSerial) == std::string::npos);
    CHECK(contains(before_answer, look_alike));
    CHECK(smk_test::slurp(rig.operative.point() / "README.txt") == "HSM backup\n");
    bool recorded = false;
    for (const auto& line : smk::transcript::read_file(rig.transcript)) {
        if (line.step != "exception") {
            continue;
        }
        recorded = true;
        CHECK(std::find(line.items.begin(), line.items.end(),
                        std::pair<std::string, std::string>{"typed_usb_serial",
                                                            kOperativeSerial}) != line.items.end());
        CHECK(std::find(line.items.begin(), line.items.end(),
                        std::pair<std::string, std::string>{"expected_usb_serial", look_alike}) !=
              line.items.end());
    }
    CHECK(recorded);
    CHECK(steps(rig.transcript, "drive-checked") == 2);
}

TEST_CASE("backup-copies: the plan's participants are confirmed and recorded before any drive") {
    DriveRig rig;
    std::string text = smk_test::slurp(rig.plan);
    text +=
        "\n[[participants]]\nname = \"Carol Admin\"\nrole = \"ceremony-administrator\"\n"
        "\n[[participants]]\nname = \"Sam Sysadmin\"\nrole = \"system-administrator\"\n";
    smk_test::spit(rig.plan, text);
    // No terminal and no flag: nothing can confirm them.
    const auto no_tty = smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string()});
    CHECK(no_tty.exit_code == 2);
    CHECK(contains(no_tty.err, "--confirm-participants"));
    CHECK_FALSE(fs::exists(rig.master.point() / "README.txt"));
    // Not confirmed at the prompt: refused, recorded, nothing written.
    const auto no = smk_test::run_smk_pty({"ceremony", "backup-copies", rig.plan.string()},
                                          {{"Type yes to go on: ", "no\n"}}, false);
    INFO("tty: " << no.tty << "\nstderr: " << no.err);
    CHECK(no.exit_code == 7);
    CHECK(contains(no.tty, "Carol Admin, ceremony-administrator"));
    CHECK(steps(rig.transcript, "drive-checked") == 0);
    CHECK_FALSE(fs::exists(rig.master.point() / "README.txt"));
    const auto yes = smk_test::run_smk(
        {"ceremony", "backup-copies", rig.plan.string(), "--no-eject", "--confirm-participants"});
    INFO("stderr: " << yes.err);
    REQUIRE(yes.exit_code == 0);
    std::vector<std::string> confirmed;
    for (const auto& line : smk::transcript::read_file(rig.transcript)) {
        if (line.step == "participants") {
            confirmed.push_back(line.results.at(0).second);
            CHECK(line.items.at(1).second == "Sam Sysadmin (system-administrator)");
        }
    }
    CHECK(confirmed == std::vector<std::string>{"no", "--confirm-participants"});
}

TEST_CASE("backup-copies: --dry-run checks the serials and writes nothing, transcript included") {
    DriveRig rig;
    const auto r = smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string(), "--dry-run"});
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "MASTER       " + kMasterSerial + "  serial OK  would copy 2 files"));
    CHECK(contains(r.out, "dry run: nothing was written"));
    CHECK_FALSE(fs::exists(rig.master.point() / "README.txt"));
    CHECK_FALSE(fs::exists(rig.transcript));
}

TEST_CASE("backup-copies: a planned mount that is missing, or not a USB drive, exits 8") {
    DriveRig rig;
    const std::string text = smk_test::slurp(rig.plan);
    smk_test::spit(rig.plan, smk_test::replaced(text, rig.operative.point().string(),
                                                (rig.dir.path() / "nowhere").string()));
    auto r = smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string()});
    CHECK(r.exit_code == 8);
    CHECK(contains(r.err, "drive WELLINGTON"));
    CHECK(contains(r.err, "not mounted?"));
    fs::create_directories(rig.dir.path() / "plain");
    smk_test::spit(rig.plan, smk_test::replaced(text, rig.operative.point().string(),
                                                (rig.dir.path() / "plain").string()));
    r = smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string()});
    CHECK(r.exit_code == 8);
    CHECK(contains(r.err, "drive WELLINGTON"));
    CHECK(contains(r.err, "The plan expects USB drive " + kOperativeSerial));
    CHECK_FALSE(fs::exists(rig.master.point() / "README.txt"));
}
