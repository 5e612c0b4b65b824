// `smk media copy`: the smk binary as a subprocess, stdout and stderr captured, its
// exit codes and texts (smk_run.hpp); and the copy report of the library when the
// drive changes under the read-back (in-process: the progress callback corrupts it).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "copy_test_util.hpp"
#include "smk/copy.hpp"
#include "smk/copy_report.hpp"
#include "smk/error.hpp"
#include "smk_run.hpp"

namespace {

namespace fs = std::filesystem;

using CopyRun = smk_test::CliRun;

CopyRun run_copy_cli(const std::vector<std::string>& args, const fs::path& scratch) {
    std::vector<std::string> full = {"media", "copy"};
    full.insert(full.end(), args.begin(), args.end());
    return smk_test::run_media_cli(full, scratch);
}

}  // namespace

TEST_CASE("smk media copy: --json per destination, silent stderr when not a terminal") {
    const smk_test::TempDir tmp("copy-cli");
    fs::create_directories(tmp / "scratch");
    smk_test::write_file(tmp / "src/a.bin", "abc");
    smk_test::write_file(tmp / "src/new\nline", "x");
    smk_test::write_file(tmp / "d2/extra file", "e");
    const CopyRun run = run_copy_cli(
        {(tmp / "src/").string(), (tmp / "d1").string(), (tmp / "d2").string(), "--json"},
        tmp / "scratch");
    CAPTURE(run.error);
    CHECK(run.exit == 0);
    CHECK(run.err.empty());
    const nlohmann::json json = nlohmann::json::parse(run.out);
    CHECK(json["ok"] == true);
    CHECK(json["files"] == 2);
    REQUIRE(json["destinations"].size() == 2);
    CHECK(json["destinations"][0]["files_copied"] == 2);
    CHECK(json["destinations"][0]["verified"] == "OK");
    CHECK(json["destinations"][1]["extra"] == nlohmann::json::array({"extra file"}));
    CHECK(json["destinations"][1]["bytes_written"] == 4);
    CHECK(fs::exists(tmp / "d2/extra file"));

    const CopyRun again =
        run_copy_cli({(tmp / "src/").string(), (tmp / "d1").string(), "--delete"}, tmp / "scratch");
    CHECK(again.exit == 0);
    CHECK(again.out.find("2 unchanged (verified by hash)") != std::string::npos);
    // A name with a newline stays on one line, escaped as sha256sum does.
    const CopyRun extra = [&] {
        smk_test::write_file(tmp / "d1/odd\nextra", "e");
        return run_copy_cli({(tmp / "src/").string(), (tmp / "d1").string()}, tmp / "scratch");
    }();
    CHECK(extra.out.find("  extra: \\odd\\nextra\n") != std::string::npos);
}

TEST_CASE("smk media copy: exit codes for usage, refusal and I/O") {
    const smk_test::TempDir tmp("copy-cli-exit");
    fs::create_directories(tmp / "scratch");
    smk_test::write_file(tmp / "src/a.bin", "abc");
    CHECK(run_copy_cli({(tmp / "src/").string()}, tmp / "scratch").exit == 2);
    CHECK(run_copy_cli({}, tmp / "scratch").exit == 2);
    const CopyRun refused =
        run_copy_cli({(tmp / "src/").string(), (tmp / "src/in").string()}, tmp / "scratch");
    CHECK(refused.exit == 7);
    CHECK(refused.error.find("lies inside the source") != std::string::npos);
    const CopyRun io = run_copy_cli(
        {(tmp / "src/").string(), (tmp / "no/such/parent/dst").string()}, tmp / "scratch");
    CHECK(io.exit == 6);
    CHECK(io.error.find("no/such/parent") != std::string::npos);
    // A missing source is a missing input: I/O (6), naming it and what to do.
    const CopyRun missing =
        run_copy_cli({(tmp / "gone/").string(), (tmp / "dst").string()}, tmp / "scratch");
    CHECK(missing.exit == 6);
    CHECK(missing.error.find("the source " + (tmp / "gone/").string() + " does not exist") !=
          std::string::npos);
    CHECK(missing.error.find("Check the path") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "dst"));
}

TEST_CASE("copy report: read-back FAILED (exit 5) when the drive holds other bytes than written") {
    const smk_test::TempDir tmp("copy-cli-exit5");
    const copy_test::ScratchMount drive(tmp, copy_test::ScratchMount::Type::ext4_image);
    if (!drive.mounted()) {
        FAIL("loop-mount test cannot run here (needs root and loop devices): " << drive.why_not());
    }
    smk_test::write_file(tmp / "src/share.bin", std::string(8192, 'G'));
    smk_test::write_file(tmp / "src/other.bin", "other");
    // The copy is written and synced; when the read-back starts, its first block
    // changes on the "drive" (the image file), behind the filesystem and its cache.
    bool corrupted = false;
    smk::copy::Options options;
    options.progress = [&](const smk::copy::Progress& p) {
        if (!corrupted && p.phase == smk::copy::Phase::verifying) {
            corrupted = true;
            copy_test::corrupt_behind_filesystem(drive.point() / "share.bin", drive.image(), 'B');
        }
    };
    const smk::copy::Report report = smk::copy::copy_tree(
        (tmp / "src/").string(), {(tmp / "ok").string(), drive.point().string()}, options);
    REQUIRE(corrupted);
    const std::string text = smk::copy::report_json(report, false);
    CAPTURE(text);
    const nlohmann::json json = nlohmann::json::parse(text);
    CHECK(json["ok"] == false);
    CHECK(json["destinations"][0]["verified"] == "OK");
    CHECK(json["destinations"][1]["verified"] == "FAILED");
    CHECK(json["destinations"][1]["verify_failed"] == nlohmann::json::array({"share.bin"}));
    CHECK(json["destinations"][1]["files_verified"] == 2);
    CHECK(smk::copy::report_text(report, false).find("  FAILED: share.bin\n") != std::string::npos);
    try {
        smk::copy::throw_if_read_back_failed(report);
        FAIL("a failed read-back must throw");
    } catch (const smk::Error& e) {
        const std::string error = e.what();
        CHECK(smk::exit_code(e.category()) == 5);
        CHECK(error.find("FAILED on " + drive.point().string()) != std::string::npos);
        CHECK(error.find((tmp / "ok").string()) == std::string::npos);
    }
}

TEST_CASE(
    "smk media verify exits 5 on a copy corrupted behind the filesystem where sha256sum -c "
    "passes") {
    const smk_test::TempDir tmp("verify-cli-exit5");
    fs::create_directories(tmp / "scratch");
    const copy_test::ScratchMount drive(tmp, copy_test::ScratchMount::Type::ext4_image);
    if (!drive.mounted()) {
        FAIL("loop-mount test cannot run here (needs root and loop devices): " << drive.why_not());
    }
    smk_test::write_file(tmp / "src/share.bin", std::string(8192, 'G'));
    smk_test::write_file(tmp / "src/other.bin", "other");
    REQUIRE(run_copy_cli({(tmp / "src/").string(), drive.point().string()}, tmp / "scratch").exit ==
            0);
    const smk_test::CliRun manifest =
        smk_test::run_media_cli({"media", "manifest", drive.point().string(), "--out",
                                 (drive.point() / "SHA256SUMS").string()},
                                tmp / "scratch");
    REQUIRE(manifest.exit == 0);
    // Read once through the cache (as sha256sum -c right after the copy would), then
    // change the drive's bytes behind the filesystem.
    REQUIRE(
        smk_test::run({"sha256sum", "-c", "SHA256SUMS"}, drive.point(), tmp / "scratch").status ==
        0);
    copy_test::corrupt_behind_filesystem(drive.point() / "share.bin", drive.image(), 'B');
    // The trap: the page cache still answers with the written bytes (advisory, since
    // memory pressure may have dropped the pages already).
    WARN(smk_test::run({"sha256sum", "-c", "SHA256SUMS"}, drive.point(), tmp / "scratch").status ==
         0);

    const smk_test::CliRun verify =
        smk_test::run_media_cli({"media", "verify", drive.point().string()}, tmp / "scratch");
    CAPTURE(verify.out);
    CAPTURE(verify.err);
    CHECK(verify.exit == 5);
    CHECK(verify.out.find("share.bin: FAILED") != std::string::npos);
    CHECK(verify.out.find("other.bin: OK") != std::string::npos);
    // smk dropped the stale pages: sha256sum -c now sees the drive too.
    const smk_test::ToolRun after =
        smk_test::run({"sha256sum", "-c", "SHA256SUMS"}, drive.point(), tmp / "scratch");
    CHECK(after.status == 1);
    CHECK(after.out.find("share.bin: FAILED") != std::string::npos);
}

TEST_CASE("odd names through the CLI: copy, manifest, and sha256sum -c agree both ways") {
    const smk_test::TempDir tmp("copy-cli-names");
    fs::create_directories(tmp / "scratch");
    const std::vector<std::string> names = {"with space.bin", "new\nline.bin", "back\\slash.bin",
                                            "dir with\\both\n/inner file"};
    for (std::size_t i = 0; i < names.size(); ++i) {
        smk_test::write_file(tmp / "src" / names[i], "content " + std::to_string(i));
    }
    const CopyRun copied =
        run_copy_cli({(tmp / "src/").string(), (tmp / "dst").string()}, tmp / "scratch");
    CAPTURE(copied.error);
    REQUIRE(copied.exit == 0);
    for (const std::string& name : names) {
        CAPTURE(name);
        CHECK(smk_test::read_file_if_exists(tmp / "dst" / name) ==
              smk_test::read_file_if_exists(tmp / "src" / name));
    }
    // smk's manifest of the copy passes sha256sum -c --strict ...
    const smk_test::CliRun manifest = smk_test::run_media_cli(
        {"media", "manifest", (tmp / "dst").string(), "--out", (tmp / "smk.sha256sum").string()},
        tmp / "scratch");
    REQUIRE(manifest.exit == 0);
    const smk_test::ToolRun check =
        smk_test::run({"sha256sum", "-c", "--strict", (tmp / "smk.sha256sum").string()},
                      tmp / "dst", tmp / "scratch");
    CHECK(check.status == 0);
    CHECK(check.out.find("\\new\\nline.bin: OK\n") != std::string::npos);
    // (coreutils 9.1 escapes a name in -c output only when it holds a newline)
    CHECK(check.out.find("back\\slash.bin: OK\n") != std::string::npos);
    // ... and sha256sum's manifest of the source passes smk media verify on the copy.
    std::vector<std::string> argv = {"sha256sum"};
    argv.insert(argv.end(), names.begin(), names.end());
    const smk_test::ToolRun listed = smk_test::run(argv, tmp / "src", tmp / "scratch");
    REQUIRE(listed.status == 0);
    smk_test::write_file(tmp / "coreutils.sha256sum", listed.out);
    const smk_test::CliRun verify =
        smk_test::run_media_cli({"media", "verify", (tmp / "dst").string(), "--manifest",
                                 (tmp / "coreutils.sha256sum").string(), "--strict"},
                                tmp / "scratch");
    CAPTURE(verify.out);
    CHECK(verify.exit == 0);
}

TEST_CASE(
    "links through the CLI: the tree copy writes verifies with --strict, a changed link fails") {
    const smk_test::TempDir tmp("copy-cli-links");
    fs::create_directories(tmp / "scratch");
    smk_test::write_file(tmp / "src/keys/kek.bin", "key");
    smk_test::write_file(tmp / "src/other.bin", "other");
    fs::create_symlink("keys/kek.bin", tmp / "src/current");
    fs::create_symlink("../other.bin", tmp / "src/keys/sibling");
    const fs::path dst = tmp / "dst";
    REQUIRE(run_copy_cli({(tmp / "src/").string(), dst.string()}, tmp / "scratch").exit == 0);
    const smk_test::CliRun manifest = smk_test::run_media_cli(
        {"media", "manifest", dst.string(), "--out", (dst / "SHA256SUMS").string()},
        tmp / "scratch");
    REQUIRE(manifest.exit == 0);
    CHECK(manifest.out.find("Wrote " + (dst / "SHA256SUMS").string() +
                            ": 2 files and 2 symbolic links") != std::string::npos);
    const auto verify = [&] {
        return smk_test::run_media_cli({"media", "verify", dst.string(), "--strict"},
                                       tmp / "scratch");
    };
    smk_test::CliRun r = verify();
    CAPTURE(r.out);
    CAPTURE(r.err);
    CHECK(r.exit == 0);
    CHECK(r.out.find("current: OK (symbolic link -> keys/kek.bin)\n") != std::string::npos);
    CHECK(r.out.find("; symbolic links: 2 OK, 0 FAILED, 0 MISSING, 0 unreadable") !=
          std::string::npos);
    // coreutils agrees on the files and says nothing about the link lines.
    const smk_test::ToolRun coreutils =
        smk_test::run({"sha256sum", "-c", "--strict", "SHA256SUMS"}, dst, tmp / "scratch");
    CHECK(coreutils.status == 0);
    CHECK(coreutils.err.empty());

    // A link retargeted on the copy: exit 5, the link and both targets named.
    fs::remove(dst / "current");
    fs::create_symlink("/etc/hostname", dst / "current");
    r = verify();
    CHECK(r.exit == 5);
    CHECK(r.out.find("current: FAILED (a symbolic link -> /etc/hostname, but the manifest "
                     "records -> keys/kek.bin)\n") != std::string::npos);
    CHECK(r.error.find("first link: current: FAILED (a symbolic link -> /etc/hostname, but the "
                       "manifest records -> keys/kek.bin)") != std::string::npos);
    // A re-run of the copy puts the link back, and checks it.
    const CopyRun again = run_copy_cli({(tmp / "src/").string(), dst.string()}, tmp / "scratch");
    CHECK(again.exit == 0);
    CHECK(again.out.find("symbolic links: OK (2 of 2 with the source's target)") !=
          std::string::npos);
    CHECK(fs::read_symlink(dst / "current") == "keys/kek.bin");
    CHECK(verify().exit == 0);
}

TEST_CASE("smk media copy: FIFOs and device nodes are skipped with a note, not copied") {
    if (::geteuid() != 0) {
        FAIL("this test needs root to make a device node");
    }
    const smk_test::TempDir tmp("copy-cli-special");
    fs::create_directories(tmp / "scratch");
    smk_test::write_file(tmp / "src/a.bin", "abc");
    REQUIRE(::mkfifo((tmp / "src/pipe").c_str(), 0600) == 0);
    fs::create_directories(tmp / "src/dev");
    REQUIRE(::mknod((tmp / "src/dev/null-like").c_str(), S_IFCHR | 0600, ::makedev(1, 3)) == 0);
    const CopyRun run =
        run_copy_cli({(tmp / "src/").string(), (tmp / "dst").string()}, tmp / "scratch");
    CAPTURE(run.err);
    CHECK(run.exit == 0);
    CHECK(run.out.find("  note: not a file, link or directory, not copied: dev/null-like\n") !=
          std::string::npos);
    CHECK(run.out.find("  note: not a file, link or directory, not copied: pipe\n") !=
          std::string::npos);
    CHECK(smk_test::read_file_if_exists(tmp / "dst/a.bin") == "abc");
    CHECK_FALSE(copy_test::exists_no_follow(tmp / "dst/pipe"));
    CHECK_FALSE(copy_test::exists_no_follow(tmp / "dst/dev/null-like"));
    CHECK(fs::is_directory(tmp / "dst/dev"));

    const CopyRun json =
        run_copy_cli({(tmp / "src/").string(), (tmp / "dst").string(), "--json"}, tmp / "scratch");
    CHECK(json.exit == 0);
    CHECK(nlohmann::json::parse(json.out)["skipped_special"] ==
          nlohmann::json::array({"dev/null-like", "pipe"}));
}
