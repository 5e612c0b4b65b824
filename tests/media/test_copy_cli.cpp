// `smk media copy` through CLI11, in-process, stdout and stderr captured, exit codes
// mapped as cli/main.cpp maps them.
// (tests/CMakeLists.txt compiles cli/media*.cpp into this suite.)
#include <CLI/CLI.hpp>

#include "cli/media_copy.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli/media.hpp"
#include "copy_test_util.hpp"
#include "media_cli_run.hpp"

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
    const CopyRun run = run_copy_cli({(tmp / "src/").string(), (tmp / "d1").string(),
                                      (tmp / "d2").string(), "--json"},
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
}
