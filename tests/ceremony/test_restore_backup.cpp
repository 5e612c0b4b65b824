// smk ceremony restore with an application-key backup, end to end: the real binary
// against the rig's cards and SoftHSM2 tokens, the backup on a loop-mounted ext4
// drive that umockdev shows to libudev as a USB stick (scripts/usb-stick-record.sh,
// the records the demo uses; smk runs under umockdev-run). The drive's USB serial,
// the backup's SHA-256 recorded in the plan and the backup's wrapping KCV are each
// checked before any token is opened; a token that holds the SMK needs no card; a
// key of the backup's label is refused unless --replace-keys. The test module of
// tests/pkcs11/shim stands for an HSM without CKM_AES_CMAC, and for one whose unwrap
// fails part-way through a restore.

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/transcript.hpp"

namespace {

namespace fs = std::filesystem;
using smk_test::run_smk;
using smk_test::RunResult;

using smk_test::contains;

// Test setup only: fixed commands on temp paths.
smk_test::ProcessResult sh(const std::string& command) {
    return smk_test::run_shell(command);
}

const std::string kStickSerial = "4C530001110000000003";

// A 16 MiB ext4 image on a loop device mounted at DIR/NAME, and the umockdev
// records that make it USB stick kStickSerial on port 1.
class UsbStick {
  public:
    UsbStick(const fs::path& dir, const std::string& name) : m_point(dir / name) {
        REQUIRE_MESSAGE(::geteuid() == 0, "the drive needs root (loop mounts)");
        fs::create_directories(m_point);
        const std::string img = (dir / (name + ".img")).string();
        const auto made =
            sh("truncate -s 16M '" + img + "' && mkfs.ext4 -q -b 4096 -L " + name + " '" + img +
               "' && mount -o loop '" + img + "' '" + m_point.string() + "'");
        REQUIRE_MESSAGE(made.shell_status() == 0, "loop mount failed: " << made.err);
        const auto loop = sh("findmnt -n -o SOURCE '" + m_point.string() + "'");
        REQUIRE(loop.shell_status() == 0);
        const std::string device = loop.out.substr(0, loop.out.find('\n'));
        const std::string script = std::string(SMK_SOURCE_DIR) + "/scripts/usb-stick-record.sh";
        m_record = (dir / (name + ".umockdev")).string();
        m_controller = (dir / "controller.umockdev").string();
        const auto records =
            sh("'" + script + "' '" + device + "' " + kStickSerial + " 1 " + name + " >'" +
               m_record + "' && '" + script + "' --controller >'" + m_controller + "'");
        REQUIRE_MESSAGE(records.shell_status() == 0, "usb-stick-record.sh failed: " << records.err);
    }
    ~UsbStick() { (void)sh("umount '" + m_point.string() + "' 2>/dev/null"); }
    UsbStick(const UsbStick&) = delete;
    UsbStick& operator=(const UsbStick&) = delete;

    [[nodiscard]] const fs::path& point() const noexcept { return m_point; }

    // smk ARGS under umockdev-run with this stick's records, `env` added to ours.
    [[nodiscard]] RunResult smk(const std::vector<std::string>& args,
                                const std::vector<std::string>& env = {}) const {
        std::vector<std::string> argv = {"umockdev-run", "--device", m_record,  "--device",
                                         m_controller,   "--",       SMK_BINARY};
        argv.insert(argv.end(), args.begin(), args.end());
        smk_test::Command command(argv);
        command.env = env;
        // umockdev-run preloads its library ahead of the ASan runtime of an ASan build
        // (tests/CMakeLists.txt); other builds ignore ASAN_OPTIONS.
        command.env.emplace_back("ASAN_OPTIONS=verify_asan_link_order=0");
        return smk_test::as_run_result(smk_test::run_process(command));
    }

  private:
    fs::path m_point;
    std::string m_record;
    std::string m_controller;
};

using smk_test::issued_plan_of;
using smk_test::steps;

// The issued plan with AUCKLAND restoring `backup` (SHA-256 `sha256`, or none) from the
// stick, which is planned as drive AUCKLAND with USB serial `serial`.
std::string phase2_plan(const std::string& issued_text, const fs::path& backup,
                        const std::string& sha256, const fs::path& stick, const std::string& serial,
                        const fs::path& master) {
    std::string facility = "tokens = [ { label = \"hsm-two\"";
    const auto at = issued_text.find(facility);
    REQUIRE(at != std::string::npos);
    const auto end = issued_text.find('\n', at);
    std::string text = issued_text;
    std::string lines = "\napplication_backup = \"" + backup.string() + "\"";
    if (!sha256.empty()) {
        lines += "\napplication_backup_sha256 = \"" + sha256 + "\"";
    }
    text.insert(end, lines);
    const auto marker = text.find(smk::ceremony::kIssuedMarker);
    REQUIRE(marker != std::string::npos);
    text.insert(marker, "[backup]\nsource = \"" + master.string() +
                            "/\"\n\n[[drives]]\nname = \"MASTER\"\nusb_serial = "
                            "\"001CC0EC34BEFB90671D25F1\"\nmount = \"" +
                            master.string() + "\"\n\n[[drives]]\nname = \"AUCKLAND\"\n" +
                            "usb_serial = \"" + serial + "\"\nmount = \"" + stick.string() +
                            "\"\n\n");
    return text;
}

// How many objects labelled `label` pkcs11-tool (OpenSC, not smk) lists on `token`.
std::size_t objects_listed(const std::string& token, const std::string& label) {
    const auto listed = sh("pkcs11-tool --module " + smk_test::kSoftHsmModule + " --token-label " +
                           token + " --login --pin 246810 --list-objects 2>&1");
    REQUIRE_MESSAGE(listed.shell_status() == 0, listed.out);
    std::size_t n = 0;
    const std::string wanted = "label:      " + label + "\n";
    for (auto at = listed.out.find(wanted); at != std::string::npos;
         at = listed.out.find(wanted, at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE(
    "cli: restore reads the application backup from its planned drive, checks its USB serial and "
    "the plan's SHA-256 before any token, then restores onto HSMs with and without the SMK, and "
    "undoes a restore that fails part-way") {
    smk_test::CeremonyRig rig;
    const std::string dir = fs::path(rig.plan()).parent_path().string();
    const UsbStick stick(dir, "AUCKLAND");
    const fs::path master = fs::path(dir) / "MASTER";
    fs::create_directories(master);

    const auto issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    REQUIRE(issue.exit_code == 0);
    const std::string issued = issued_plan_of(dir);
    REQUIRE_FALSE(issued.empty());
    const std::string issued_text = smk_test::slurp(issued);
    const auto kcv_at = issued_text.find("kcv = \"");
    REQUIRE(kcv_at != std::string::npos);
    const std::string kcv = issued_text.substr(kcv_at + 7, 6);

    // Phase 1: an application key made in the WELLINGTON HSM by OpenSC, backed up under
    // the SMK onto the drive.
    const auto made = sh("pkcs11-tool --module " + smk_test::kSoftHsmModule +
                         " --token-label hsm-one --login --pin 246810 --keygen --key-type aes:32 "
                         "--label app-1 --id a1 --extractable 2>&1");
    REQUIRE_MESSAGE(made.shell_status() == 0, made.out);
    fs::create_directories(stick.point() / "hsm-backup");
    const fs::path backup = stick.point() / "hsm-backup" / "application-keys.smkwrap";
    const auto backed_up =
        run_smk({"hsm", "backup", "--pkcs11-module", smk_test::kSoftHsmModule, "--token", "hsm-one",
                 "--pin-file", rig.token_pin(), "--wrap-with", "SMK", "--key", "app-1", "--out",
                 backup.string()});
    INFO("backup stderr: " << backed_up.err);
    REQUIRE(backed_up.exit_code == 0);
    const auto summed = sh("sha256sum '" + backup.string() + "'");
    REQUIRE(summed.shell_status() == 0);
    const std::string sha256 = summed.out.substr(0, 64);

    const auto restore_with = [&](const std::string& text, const std::vector<std::string>& extra) {
        return stick.smk(
            smk_test::restore_variant_args(dir + "/phase2.toml", text, rig.transcript(), extra));
    };
    const std::string right =
        phase2_plan(issued_text, backup, sha256, stick.point(), kStickSerial, master);

    // The plan records another SHA-256: refused before any token is opened.
    {
        const auto r = restore_with(phase2_plan(issued_text, backup, std::string(64, '0'),
                                                stick.point(), kStickSerial, master),
                                    {});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 5);
        CHECK(contains(r.err, backup.string() + " has SHA-256 " + sha256));
        CHECK(contains(r.err, std::string(64, '0') + " was recorded"));
        CHECK(steps(rig.transcript(), "restore", "application-backup-refused") == 1);
        CHECK(steps(rig.transcript(), "restore", "token-opened") == 0);
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
    }
    // The drive and its serial are right, but the backup is not on it: exit 6 naming the
    // file and the drive, no token opened.
    {
        const fs::path away = backup.string() + ".away";
        fs::rename(backup, away);
        const auto r = restore_with(right, {});
        fs::rename(away, backup);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 6);
        CHECK(
            contains(r.err, "application_backup " + backup.string() + " is not on drive AUCKLAND"));
        CHECK(contains(r.err, "smk ceremony backup-copies"));
        CHECK(steps(rig.transcript(), "restore", "token-opened") == 0);
    }
    // The drive at the planned mount has another USB serial: refused, nothing read.
    {
        const auto r = restore_with(
            phase2_plan(issued_text, backup, sha256, stick.point(), "4C530001110000000009", master),
            {});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(contains(r.err, "drive AUCKLAND: the drive at " + stick.point().string() +
                                  " has USB serial " + kStickSerial));
        CHECK(contains(r.err, "Nothing was read or installed."));
        CHECK(steps(rig.transcript(), "restore", "drive-serial-mismatch") == 1);
        CHECK(steps(rig.transcript(), "restore", "token-opened") == 0);
    }
    // A plan of another SMK (its KCV is not the one the backup was wrapped under).
    {
        const auto r = restore_with(
            smk_test::replaced(right, "kcv = \"" + kcv + "\"", "kcv = \"000000\""), {});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 5);
        CHECK(contains(
            r.err, "was wrapped under a key with KCV " + kcv + ", the plan's SMK has KCV 000000"));
        CHECK(steps(rig.transcript(), "restore", "token-opened") == 0);
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
    }
    // AUCKLAND's HSM behind the test module of tests/pkcs11/shim.
    const std::string softhsm_line = "name = \"AUCKLAND\"\nmodule = \"" + smk_test::kSoftHsmModule;
    const std::string shim_line = "name = \"AUCKLAND\"\nmodule = \"" + std::string(SMK_TOKEN_SHIM);
    // AUCKLAND's HSM lacks CKM_AES_CMAC (a module hiding it in front of SoftHSM2): refused
    // when the tokens are checked, before any card is read or anything installed.
    {
        const auto r =
            stick.smk(smk_test::restore_variant_args(
                          dir + "/phase2.toml", smk_test::replaced(right, softhsm_line, shim_line),
                          rig.transcript(), {}),
                      {"SMK_SHIM_MODULE=" + smk_test::kSoftHsmModule, "SMK_SHIM_HIDE=0x108A"});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(contains(r.err, "does not offer CKM_AES_CMAC"));
        CHECK(steps(rig.transcript(), "restore", "card-read") == 0);
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
    }
    // AUCKLAND with two tokens, hsm-two (no SMK yet) and hsm-one (the SMK and app-1 already),
    // whose second C_UnwrapKey fails: the restore fails part-way, and what it created in
    // hsm-two (the SMK, app-1) is destroyed again; hsm-one keeps what it had.
    {
        const std::string one =
            "tokens = [ { label = \"hsm-two\", pin_file = \"" + rig.token_pin() + "\" } ]";
        const std::string two = "tokens = [ { label = \"hsm-two\", pin_file = \"" +
                                rig.token_pin() + "\" }, { label = \"hsm-one\", pin_file = \"" +
                                rig.token_pin() + "\" } ]";
        const std::string text =
            smk_test::replaced(smk_test::replaced(right, softhsm_line, shim_line), one, two);
        const auto r =
            stick.smk(smk_test::restore_variant_args(dir + "/phase2.toml", text, rig.transcript(),
                                                     {"--replace-keys"}),
                      {"SMK_SHIM_MODULE=" + smk_test::kSoftHsmModule, "SMK_SHIM_FAIL_UNWRAP=2"});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 5);
        CHECK(contains(r.err, "CKR_DEVICE_ERROR"));
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
        CHECK(objects_listed("hsm-two", "app-1") == 0);
        CHECK(rig.token_kcv("hsm-one").exit_code == 0);
        CHECK(objects_listed("hsm-one", "app-1") == 1);
        CHECK(steps(rig.transcript(), "restore", "rolled-back") == 2);
    }
    // A dry run: the drive, the backup and the token checked, nothing written.
    {
        const auto r = restore_with(right, {"--dry-run"});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "1 of them without the SMK; application backup " + backup.string() +
                                  " checked (1 key(s))"));
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
    }

    // Phase 2 onto an HSM without the SMK: from five cards, then the key.
    const auto restored = restore_with(right, {});
    INFO("restore stderr: " << restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK(contains(restored.out, "SMK restored at AUCKLAND from set "));
    CHECK(contains(restored.out, "application keys restored into hsm-two: 1 (app-1)"));
    CHECK(contains(restored.out, "KCV AUCKLAND hsm-two: " + kcv + "\n"));
    CHECK(contains(restored.err, "SHA-256 " + sha256 + " as the plan records"));
    CHECK(objects_listed("hsm-two", "app-1") == 1);
    CHECK(steps(rig.transcript(), "restore", "drive-checked") >= 1);
    CHECK(steps(rig.transcript(), "restore", "application-backup-checked") >= 1);
    // One here, one in hsm-two in the attempt that was rolled back.
    CHECK(steps(rig.transcript(), "restore", "application-keys-restored") == 2);

    // Again, every card out of its reader: the token holds the SMK and app-1 already.
    for (int i = 0; i < 14; ++i) {
        rig.pull(i);
    }
    {
        const auto r = restore_with(right, {});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(contains(r.err, "already holds \"app-1\", a key of the backup"));
        CHECK(contains(r.err, "Give --replace-keys"));
        CHECK(objects_listed("hsm-two", "app-1") == 1);
    }
    // With --replace-keys: no card is read, app-1 is replaced by the backup's.
    const auto replaced = restore_with(right, {"--replace-keys"});
    INFO("replace stderr: " << replaced.err);
    CHECK(replaced.exit_code == 0);
    CHECK(contains(replaced.out, "SMK already in every token at AUCKLAND: no card was read"));
    CHECK(contains(replaced.out, "application keys restored into hsm-two: 1 (app-1)"));
    CHECK(contains(replaced.out, "KCV AUCKLAND hsm-two: " + kcv + " (the SMK was there already)"));
    CHECK(objects_listed("hsm-two", "app-1") == 1);
    CHECK(run_smk({"transcript", "verify", rig.transcript()}).exit_code == 0);
}
