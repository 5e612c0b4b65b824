// The "media" command group: the smk binary run as a subprocess, stdout and stderr
// captured, its exit codes and texts (smk_run.hpp).

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "media_test_util.hpp"
#include "smk/manifest.hpp"
#include "smk_run.hpp"

namespace {

namespace fs = std::filesystem;

const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

using smk_test::CliRun;

CliRun run_cli(const std::vector<std::string>& args, const fs::path& scratch) {
    return smk_test::run_media_cli(args, scratch);
}

void tree(const fs::path& root) {
    smk_test::write_file(root / "a.txt", "abc");
    smk_test::write_file(root / "keys/b c.bin", "abc");
}

}  // namespace

TEST_CASE("smk media manifest DIR prints the manifest on stdout, notes on stderr") {
    const smk_test::TempDir tmp("cli-manifest");
    tree(tmp / "tree");
    fs::create_symlink("a.txt", tmp / "tree/link");
    REQUIRE(::mkfifo((tmp / "tree/fifo").c_str(), 0600) == 0);
    const CliRun r = run_cli({"media", "manifest", (tmp / "tree").string()}, tmp.path());
    CHECK(r.exit == 0);
    CHECK(r.out == kAbc + "  a.txt\n" + kAbc + "  keys/b c.bin\n# symlink link -> a.txt\n");
    CHECK(r.err == "note: not a regular file, not listed: fifo\n");

    const CliRun json =
        run_cli({"media", "manifest", (tmp / "tree").string(), "--json"}, tmp.path());
    REQUIRE(json.exit == 0);
    const nlohmann::json parsed = nlohmann::json::parse(json.out);
    CHECK(parsed["symlinks"] == nlohmann::json::parse(R"([{"name": "link", "target": "a.txt"}])"));
    CHECK(parsed["skipped_special"] == nlohmann::json::array({"fifo"}));
}

TEST_CASE("smk media manifest --out writes a new file sha256sum accepts, and never overwrites") {
    const smk_test::TempDir tmp("cli-out");
    tree(tmp / "tree");
    const std::string out = (tmp / "tree/SHA256SUMS").string();
    CliRun r = run_cli({"media", "manifest", (tmp / "tree").string(), "--out", out}, tmp.path());
    CHECK(r.exit == 0);
    CHECK(r.out.find("Wrote " + out + ": 2 files") != std::string::npos);
    CHECK(smk_test::run({"sha256sum", "-c", "--strict", "SHA256SUMS"}, tmp / "tree", tmp.path())
              .status == 0);
    r = run_cli({"media", "manifest", (tmp / "tree").string(), "--out", out}, tmp.path());
    CHECK(r.exit == 7);
    CHECK(r.error.find("already exists") != std::string::npos);
}

TEST_CASE("smk media manifest --json") {
    const smk_test::TempDir tmp("cli-manifest-json");
    tree(tmp / "tree");
    const CliRun r = run_cli({"media", "manifest", (tmp / "tree").string(), "--json"}, tmp.path());
    REQUIRE(r.exit == 0);
    const nlohmann::json json = nlohmann::json::parse(r.out);
    REQUIRE(json["files"].size() == 2);
    CHECK(json["files"][1]["name"] == "keys/b c.bin");
    CHECK(json["files"][1]["sha256"] == kAbc);
    CHECK(json["manifest"] == kAbc + "  a.txt\n" + kAbc + "  keys/b c.bin\n");
    CHECK(json["manifest_pgp_words"].size() == 32);
}

TEST_CASE("smk media verify: exit 0 when all is well, 5 on FAILED or MISSING") {
    const smk_test::TempDir tmp("cli-verify");
    tree(tmp / "tree");
    (void)smk::manifest::write_manifest(tmp / "tree", tmp / "tree/SHA256SUMS");
    CliRun r = run_cli({"media", "verify", (tmp / "tree").string()}, tmp.path());
    CHECK(r.exit == 0);
    CHECK(r.out.find("a.txt: OK\n") != std::string::npos);
    CHECK(r.out.find("2 OK, 0 FAILED, 0 MISSING") != std::string::npos);

    smk_test::write_file(tmp / "tree/a.txt", "abd");
    fs::remove(tmp / "tree/keys/b c.bin");
    r = run_cli({"media", "verify", (tmp / "tree").string()}, tmp.path());
    CHECK(r.exit == 5);
    CHECK(r.out.find("a.txt: FAILED (SHA-256 differs from the manifest)\n") != std::string::npos);
    CHECK(r.out.find("keys/b c.bin: MISSING") != std::string::npos);
    CHECK(r.error.find("0 OK, 1 FAILED, 1 MISSING") != std::string::npos);
}

TEST_CASE("smk media verify: extra files fail only with --strict") {
    const smk_test::TempDir tmp("cli-extra");
    tree(tmp / "tree");
    (void)smk::manifest::write_manifest(tmp / "tree", tmp / "tree/SHA256SUMS");
    smk_test::write_file(tmp / "tree/stray", "x");
    CliRun r = run_cli({"media", "verify", (tmp / "tree").string()}, tmp.path());
    CHECK(r.exit == 0);
    CHECK(r.out.find("stray: EXTRA (in no manifest)\n") != std::string::npos);
    r = run_cli({"media", "verify", (tmp / "tree").string(), "--strict"}, tmp.path());
    CHECK(r.exit == 5);
}

TEST_CASE("smk media verify: a malformed manifest is exit 3, an unreadable tree exit 6") {
    const smk_test::TempDir tmp("cli-malformed");
    tree(tmp / "tree");
    const std::string manifest = (tmp / "m.sha256sum").string();
    smk_test::write_file(manifest, kAbc + "  a.txt\nnot a line\n");
    CliRun r =
        run_cli({"media", "verify", (tmp / "tree").string(), "--manifest", manifest, "--strict"},
                tmp.path());
    CHECK(r.exit == 3);
    CHECK(r.error == manifest +
                         " line 2: not a sha256sum line (expected 64 hex digits, two "
                         "spaces or ' *', a name)");
    // Without --strict: a warning on stderr, and the listed file checks out.
    r = run_cli({"media", "verify", (tmp / "tree").string(), "--manifest", manifest}, tmp.path());
    CHECK(r.exit == 0);
    CHECK(r.err.find("warning: " + manifest + " line 2:") != std::string::npos);
    r = run_cli({"media", "verify", (tmp / "nowhere").string(), "--manifest", manifest},
                tmp.path());
    CHECK(r.exit == 6);
}

TEST_CASE("smk media verify --json, with two --manifest options") {
    const smk_test::TempDir tmp("cli-verify-json");
    tree(tmp / "tree");
    smk_test::write_file(tmp / "one", kAbc + "  a.txt\n");
    smk_test::write_file(tmp / "two", std::string(64, '0') + "  keys/b c.bin\n");
    const CliRun r =
        run_cli({"media", "verify", (tmp / "tree").string(), "--manifest", (tmp / "one").string(),
                 "--manifest", (tmp / "two").string(), "--json"},
                tmp.path());
    CHECK(r.exit == 5);
    const nlohmann::json json = nlohmann::json::parse(r.out);
    CHECK(json["ok"] == false);
    CHECK(json["manifests"].size() == 2);
    REQUIRE(json["files"].size() == 2);
    CHECK(json["files"][0]["status"] == "OK");
    CHECK(json["files"][1]["status"] == "FAILED");
    CHECK(json["files"][1]["actual_sha256"] == kAbc);
    CHECK(json["read_mode"] == "direct");
}

TEST_CASE("smk media digest prints hex, the openssl line and PGP words") {
    const smk_test::TempDir tmp("cli-digest");
    smk_test::write_file(tmp / "abc", "abc");
    const std::string file = (tmp / "abc").string();
    CliRun r = run_cli({"media", "digest", file}, tmp.path());
    CHECK(r.exit == 0);
    CHECK(r.out.find("  sha256sum  " + kAbc + "\n") != std::string::npos);
    CHECK(r.out.find("  openssl    SHA2-256(" + file + ")= ba:78:16:bf:") != std::string::npos);
    CHECK(r.out.find(" 1- 8  shadow indigo backward rebellion payday adviser stagehand "
                     "undaunted\n") != std::string::npos);
    CHECK(r.out.find("25-32  scenic autopsy Zulu frequency uproot adroitness backfield "
                     "perceptive\n") != std::string::npos);

    r = run_cli({"media", "digest", file, "--json"}, tmp.path());
    CHECK(r.exit == 0);
    const nlohmann::json json = nlohmann::json::parse(r.out);
    CHECK(json["sha256"] == kAbc);
    CHECK(json["size"] == 3);
    REQUIRE(json["pgp_words"].size() == 32);
    CHECK(json["pgp_words"][0] == "shadow");
    CHECK(json["pgp_words"][31] == "perceptive");

    r = run_cli({"media", "digest", (tmp / "missing").string()}, tmp.path());
    CHECK(r.exit == 6);
    r = run_cli({"media", "digest"}, tmp.path());
    CHECK(r.exit == 2);
}
