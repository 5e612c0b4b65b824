// The ceremony flows of smk_ceremony run in process (smk/ceremony/flows.hpp):
// what they tell the operator is captured through an Output, the transcript is
// read back; no terminal, no subprocess.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ceremony/ceremony_test_util.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/error.hpp"
#include "smk/sha256.hpp"

namespace {

namespace cer = smk::ceremony;
namespace fs = std::filesystem;
using smk_test::replaced;

// Keeps what a flow says, as the terminal would show it.
using smk_test::CapturedOutput;

bool any_line_has(const std::vector<std::string>& lines, const std::string& part) {
    for (const auto& line : lines) {
        if (line.find(part) != std::string::npos) {
            return true;
        }
    }
    return false;
}

// `text` written to dir/plan.toml; its transcript is kTranscript beside it.
const std::string kTranscript = "smk-ceremony.transcript.jsonl";
fs::path write_plan(const smk_test::TempDir& dir, const std::string& text) {
    const fs::path file = dir.path() / "plan.toml";
    smk_test::spit(file, text);
    return file;
}

// The example plan without its [backup] and [[drives]] (they come last), and so
// without the application backup read from one of them.
std::string without_drives(const std::string& text) {
    const std::string without = smk_test::without_application_backup(text);
    const auto at = without.find("[backup]");
    REQUIRE(at != std::string::npos);
    return without.substr(0, at);
}

}  // namespace

TEST_CASE("flows: ceremony check reports the example plan line by line in process") {
    const smk_test::TempDir dir;
    const fs::path plan = write_plan(dir, smk_test::example_plan_text());
    CapturedOutput output;
    cer::check_plan(plan, output);
    REQUIRE(output.results.size() == 3 + 2 + 2 + 1 + 1 + 1 + 7 + 4);
    CHECK(output.results[0] == "plan " + plan.string() + ": OK");
    CHECK(output.results[1] == "  name: SMK issuance, Wellington, 2026-12-01");
    CHECK(any_line_has(output.results, "  facility WELLINGTON: module /usr/lib/softhsm/"));
    CHECK(any_line_has(output.results,
                       "  facility AUCKLAND: restores /media/smk/AUCKLAND/hsm-backup/"
                       "application-keys.wrapped from drive AUCKLAND, SHA-256 3f1c6d0e"));
    CHECK(any_line_has(output.results, "  facility WELLINGTON token hsm-wellington: NOT pinned"));
    CHECK(any_line_has(output.results, "  holder 3 Holder Three: set A card FFFF:5AC00003"));
    CHECK(any_line_has(output.results,
                       "  cards: PINs set at issuance (each holder's own PIN and the custodian's "
                       "admin PIN replace the factory PINs); admin PIN typed; each card "
                       "generates its authentication key at issuance"));
    CHECK(any_line_has(output.results,
                       "  holder 3 Holder Three: set A card FFFF:5AC00003 bag "
                       "TEB-100003, set B card FFFF:5AC0000A bag TEB-100003; PIN "
                       "typed by the holder"));
    CHECK(any_line_has(output.results,
                       "  policy: set A 5-of-7, set B 5-of-7; any 1 set recovers the SMK; a "
                       "32-byte SMK; passphrase: none"));
    CHECK(any_line_has(output.results, "  drive MASTER: USB serial 001CC0EC 34BE-FB 90671D 25F1"));
    CHECK(any_line_has(output.results,
                       "  drive ALBANY: USB serial 4C530001110000000002 at "
                       "/media/smk/ALBANY, facility AUCKLAND, bag "));
    CHECK(output.said.empty());
    CHECK_FALSE(fs::exists(dir.path() / kTranscript));
}

TEST_CASE("flows: backup-copies refuses a plan without drives and begins no transcript") {
    const smk_test::TempDir dir;
    cer::BackupCopiesOptions options;
    options.plan = write_plan(dir, without_drives(smk_test::example_plan_text()));
    CapturedOutput output;
    try {
        cer::backup_copies(options, output);
        FAIL("backup-copies accepted a plan without drives");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::usage);
        CHECK(std::string(e.what()).find("has no [[drives]]: nothing to copy") !=
              std::string::npos);
    }
    CHECK(output.said.empty());
    CHECK(output.results.empty());
    CHECK_FALSE(fs::exists(dir.path() / kTranscript));
}

TEST_CASE("flows: backup-copies with the backup source missing writes nothing") {
    const smk_test::TempDir dir;
    cer::BackupCopiesOptions options;
    options.plan = write_plan(dir, replaced(smk_test::example_plan_text(), "/var/lib/hsm-backup/",
                                            (dir.path() / "no-such-source").string()));
    CapturedOutput output;
    try {
        cer::backup_copies(options, output);
        FAIL("backup-copies accepted a missing source");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::io);
        CHECK(std::string(e.what()).find("is not a directory; nothing was written") !=
              std::string::npos);
    }
    CHECK(output.results.empty());
    CHECK_FALSE(fs::exists(dir.path() / kTranscript));
}

TEST_CASE(
    "flows: backup-copies stops at a planned drive that is not mounted and records the start") {
    const smk_test::TempDir dir;
    fs::create_directory(dir.path() / "source");
    smk_test::spit(dir.path() / "source" / "keys.bin", "backup");
    std::string text = replaced(smk_test::example_plan_text(), "/var/lib/hsm-backup/",
                                (dir.path() / "source").string());
    text = replaced(std::move(text), "/media/smk/MASTER", (dir.path() / "not-mounted").string());
    cer::BackupCopiesOptions options;
    options.plan = write_plan(dir, text);
    CapturedOutput output;
    try {
        cer::backup_copies(options, output);
        FAIL("backup-copies went on without the Master drive");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::device);
        const std::string message = e.what();
        CHECK(message.find("drive MASTER: ") != std::string::npos);
        CHECK(message.find("is not there (not mounted?)") != std::string::npos);
        CHECK(message.find("Nothing was written to any drive.") != std::string::npos);
    }
    CHECK(output.said.find("Backup copies of " + (dir.path() / "source").string()) !=
          std::string::npos);
    CHECK(output.results.empty());
    // The transcript records the start (naming the tool) and the participants, and verifies.
    const auto lines = smk::transcript::read_file(dir.path() / kTranscript);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].flow == "backup-copies");
    CHECK(lines[0].step == "start");
    CHECK(lines[0].digests.back().first == "smk_binary");
    CHECK(lines[1].step == "participants");
    CHECK(lines[1].results == smk::transcript::Fields{{"planned", "none"}});
    CHECK(smk::transcript::verify_file(dir.path() / kTranscript).ok());
}

TEST_CASE("flows: a journal forwards the operator words and a dry run writes no transcript") {
    const smk_test::TempDir dir;
    const fs::path file = dir.path() / "t.jsonl";
    CapturedOutput output;
    {
        cer::Journal dry(file, true, "issue", output);
        dry.say("checking\n");
        dry.record("start", {{"plan", "p"}});
        dry.result("dry run: nothing was written");
        CHECK(dry.dry_run());
    }
    CHECK(output.said == "checking\n");
    REQUIRE(output.results.size() == 1);
    CHECK(output.results[0] == "dry run: nothing was written");
    CHECK_FALSE(fs::exists(file));
    {
        cer::Journal real(file, false, "restore", output);
        real.record("start", {{"plan", "p"}}, {{"dry_run", "no"}});
        real.record("done", {}, {{"result", "ok"}});
        CHECK(real.path() == file.string());
    }
    const auto lines = smk::transcript::read_file(file);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].flow == "restore");
    CHECK(lines[1].step == "done");
    CHECK(smk::sha256_hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
