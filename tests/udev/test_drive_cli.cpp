// smk media list / check / eject as a subprocess, seeing the umockdev testbed
// (the child inherits the preload and UMOCKDEV_DIR). Exit codes and --json.

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/run.hpp"
#include "support/umockdev_testbed.hpp"

namespace {

constexpr const char* kPaper = "001CC OEC 34BE-FB 90671D 25F1";

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("smk media list --json: every USB drive with its iSerial, the non-USB disk left out") {
    const smk_test::Testbed bed{"stick.umockdev", "twins.umockdev", "virtio.umockdev"};
    const auto r = smk_test::run_smk({"media", "list", "--json"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto json = nlohmann::json::parse(r.out);
    REQUIRE(json["drives"].size() == 3);
    CHECK(json["drives"][0]["serial"] == "001CC0EC34BEFB90671D25F1");
    CHECK(json["drives"][0]["vendor_id"] == "0781");
    CHECK(json["drives"][0]["disk"]["node"] == "/dev/sdb");
    CHECK(json["drives"][0]["partitions"][0]["fs_label"] == "BACKUP_A");
    CHECK(json["drives"][1]["serial"] == "4C530001110000000001");
    CHECK(json["drives"][2]["serial"] == "4C530001110000000002");
}

TEST_CASE("smk media list: text names the drive, serial, partitions and filesystems") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const auto r = smk_test::run_smk({"media", "list"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(
        has(r.out, "/dev/sdb (SanDisk Cruzer Blade, 0781:5567)  serial 001CC0EC34BEFB90671D25F1"));
    CHECK(has(r.out, "part /dev/sdb1  14.4 GiB  vfat \"BACKUP_A\""));
}

TEST_CASE("smk media list with no USB drive says so and succeeds") {
    const smk_test::Testbed bed{"virtio.umockdev"};
    const auto r = smk_test::run_smk({"media", "list"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "No USB drives found.\n");
}

TEST_CASE("smk media check: the paper example fails with the look-alike explained (exit 5)") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const auto r =
        smk_test::run_smk({"media", "check", "--serial", kPaper, "--device", "/dev/sdb1"});
    CHECK(r.exit_code == 5);
    CHECK(has(r.out,
              "  paper: 001CCOEC34BEFB90671D25F1\n"
              "  drive: 001CC0EC34BEFB90671D25F1\n"
              "              ^\n"));
    CHECK(has(r.out,
              "the paper serial has O where the drive has 0 at position 6: a look-alike; "
              "check the paper"));
    CHECK(has(r.out, "MISMATCH"));
    CHECK(has(r.err, "only look-alike characters differ"));
}

TEST_CASE("smk media check: a match exits 0") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const auto r = smk_test::run_smk(
        {"media", "check", "--serial", "001cc 0ec 34be-fb 90671d 25f1", "--device", "/dev/sdb"});
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(has(r.out, "MATCH: the drive's USB serial is the one on the paper"));
}

TEST_CASE("smk media check --json: mismatch details, and still exit 5") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const auto r = smk_test::run_smk(
        {"media", "check", "--serial", kPaper, "--device", "/dev/sdb1", "--json"});
    CHECK(r.exit_code == 5);
    const auto json = nlohmann::json::parse(r.out);
    CHECK(json["match"] == false);
    CHECK(json["only_look_alikes"] == true);
    CHECK(json["paper"] == "001CCOEC34BEFB90671D25F1");
    CHECK(json["serial"] == "001CC0EC34BEFB90671D25F1");
    REQUIRE(json["differences"].size() == 1);
    CHECK(json["differences"][0]["position"] == 6);
    CHECK(json["differences"][0]["paper"] == "O");
    CHECK(json["differences"][0]["drive"] == "0");
}

TEST_CASE("smk media check: the twin's serial is a real mismatch, not a look-alike") {
    const smk_test::Testbed bed{"twins.umockdev"};
    const auto r = smk_test::run_smk(
        {"media", "check", "--serial", "4C53 0001 1100 0000 0001", "--device", "/dev/sdd"});
    CHECK(r.exit_code == 5);
    CHECK_FALSE(has(r.out, "look-alike"));
    CHECK(has(r.err, "this is not the drive on the paper"));
    const auto ok = smk_test::run_smk(
        {"media", "check", "--serial", "4C53 0001 1100 0000 0001", "--device", "/dev/sdc1"});
    CHECK(ok.exit_code == 0);
}

TEST_CASE("smk media check on a non-USB disk: exit 3, not a USB drive") {
    const smk_test::Testbed bed{"virtio.umockdev"};
    const auto r = smk_test::run_smk({"media", "check", "--serial", "X", "--device", "/dev/vda1"});
    CHECK(r.exit_code == 3);
    CHECK(has(r.err, "not a USB drive"));
}

TEST_CASE("smk media check on a path of this machine (not a USB drive): exit 3") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const auto r = smk_test::run_smk({"media", "check", "--serial", "X", SMK_SOURCE_DIR});
    CHECK(r.exit_code == 3);
    CHECK(has(r.err, "not a USB drive"));
}

TEST_CASE("smk media check: no such device or path, exit 6") {
    const smk_test::Testbed bed{"stick.umockdev"};
    auto r = smk_test::run_smk({"media", "check", "--serial", "X", "--device", "/dev/sdz9"});
    CHECK(r.exit_code == 6);
    CHECK(has(r.err, "/dev/sdz9"));
    r = smk_test::run_smk({"media", "check", "--serial", "X", "/nonexistent/smk"});
    CHECK(r.exit_code == 6);
    CHECK(has(r.err, "/nonexistent/smk"));
}

TEST_CASE("smk media check: usage errors (exit 2)") {
    const smk_test::Testbed bed{"stick.umockdev"};
    // Neither PATH nor --device.
    CHECK(smk_test::run_smk({"media", "check", "--serial", "X"}).exit_code == 2);
    // Both.
    CHECK(smk_test::run_smk({"media", "check", "--serial", "X", "/tmp", "--device", "/dev/sdb"})
              .exit_code == 2);
    // A serial that is only spaces and dashes.
    const auto r = smk_test::run_smk({"media", "check", "--serial", " - ", "--device", "/dev/sdb"});
    CHECK(r.exit_code == 2);
    CHECK(has(r.err, "--serial is empty"));
    // No --serial at all.
    CHECK(smk_test::run_smk({"media", "check", "--device", "/dev/sdb"}).exit_code == 2);
}

TEST_CASE("smk media eject: a non-USB disk is refused (exit 3), nothing written") {
    const smk_test::Testbed bed{"virtio.umockdev"};
    const auto r = smk_test::run_smk({"media", "eject", "--device", "/dev/vda"});
    CHECK(r.exit_code == 3);
    CHECK(has(r.err, "not a USB drive"));
}

TEST_CASE("smk media eject --json: an unmounted USB drive is stopped and disconnected") {
    const smk_test::Testbed bed{"stick.umockdev"};
    const auto r = smk_test::run_smk({"media", "eject", "--device", "/dev/sdb1", "--json"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto json = nlohmann::json::parse(r.out);
    CHECK(json["scsi_deleted"] == true);
    CHECK(json["usb_removed"] == true);
    CHECK(json["unmounted"].empty());
    CHECK(read_text(bed.sys_file("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/remove")) == "1");
}
