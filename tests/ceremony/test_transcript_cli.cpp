// smk transcript verify / print / note / exception, end to end: the real binary on
// transcripts written with smk::transcript::Writer. An edited, cut or empty
// transcript is refused naming the line at fault; a note or exception names
// participants of the plan, and a refusal leaves the transcript as it was.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "ceremony/ceremony_test_util.hpp"
#include "cli/run.hpp"
#include "smk/ceremony/transcript.hpp"

namespace {

namespace fs = std::filesystem;
using smk_test::run_smk;

}  // namespace

TEST_CASE("cli: smk transcript verify names the edited line, print renders an intact one") {
    smk_test::TempDir dir;
    const std::string file = dir / "t.jsonl";
    {
        smk::transcript::Writer writer(file);
        writer.append({"issue", "start", {{"plan", "p.toml"}}, {}, {}});
        writer.append(
            {"issue", "card-written", {{"card", "FFFF:5AC00001"}}, {{"read_back", "ok"}}, {}});
        writer.append({"issue", "done", {}, {{"result", "ok"}}, {}});
    }
    const auto ok = run_smk({"transcript", "verify", file});
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("OK, 3 lines") != std::string::npos);
    const auto printed = run_smk({"transcript", "print", file});
    CHECK(printed.exit_code == 0);
    CHECK(printed.out.find("card-written") != std::string::npos);
    CHECK(printed.out.find("card=FFFF:5AC00001") != std::string::npos);
    CHECK(printed.out.find("SHA-256 of the last line") != std::string::npos);

    std::string text = smk_test::slurp(file);
    text.replace(text.find("FFFF:5AC00001"), 13, "FFFF:5AC00009");
    smk_test::spit(file, text);
    const auto bad = run_smk({"transcript", "verify", file});
    CHECK(bad.exit_code == 5);
    CHECK(bad.err.find("broken at line 2") != std::string::npos);
    const auto bad_json = run_smk({"transcript", "verify", "--json", file});
    CHECK(bad_json.exit_code == 5);
    CHECK(bad_json.out.find("\"first_broken_line\": 2") != std::string::npos);
    CHECK(run_smk({"transcript", "print", file}).exit_code == 5);
    CHECK(run_smk({"transcript", "verify", dir / "missing.jsonl"}).exit_code == 6);
}

TEST_CASE("cli: transcript verify takes the paper's value and refuses an empty or cut transcript") {
    smk_test::TempDir dir;
    const std::string file = dir / "t.jsonl";
    {
        smk::transcript::Writer writer(file);
        for (int i = 0; i < 14; ++i) {
            writer.append({"issue", "step-" + std::to_string(i), {}, {}, {}});
        }
    }
    const auto whole = smk::transcript::verify_file(file);
    const auto ok = run_smk({"transcript", "verify", file, "--expect-last", whole.last_hash});
    CHECK(ok.exit_code == 0);
    // The text shows the value in both forms; the words, as read aloud, are accepted too.
    const auto words_at = ok.out.find("  PGP words: ");
    REQUIRE(words_at != std::string::npos);
    const std::string words =
        ok.out.substr(words_at + 13, ok.out.find('\n', words_at) - words_at - 13);
    CHECK(run_smk({"transcript", "verify", file, "--expect-last", words}).exit_code == 0);
    const auto json = run_smk({"transcript", "verify", "--json", file});
    CHECK(json.out.find("\"last_line_sha256_pgp_words\": \"" + words + "\"") != std::string::npos);

    std::string text = smk_test::slurp(file);
    std::size_t keep = 0;
    for (int i = 0; i < 2; ++i) {
        keep = text.find('\n', keep) + 1;
    }
    smk_test::spit(file, text.substr(0, keep));                     // the last 12 lines cut off
    CHECK(run_smk({"transcript", "verify", file}).exit_code == 0);  // the chain alone holds
    const auto cut = run_smk({"transcript", "verify", file, "--expect-last", whole.last_hash});
    CHECK(cut.exit_code == 5);
    CHECK(cut.err.find("the SHA-256 of its last line (line 2)") != std::string::npos);
    const auto typo = run_smk({"transcript", "verify", file, "--expect-last", "abc"});
    CHECK(typo.exit_code == 2);
    CHECK(typo.err.find("--expect-last: a SHA-256 is 64 hex digits") != std::string::npos);

    smk_test::spit(file, "");
    const auto empty_json = run_smk({"transcript", "verify", "--json", file});
    CHECK(empty_json.exit_code == 5);
    CHECK(empty_json.out.find("\"ok\": false") != std::string::npos);
    for (const char* sub : {"verify", "print"}) {
        const auto empty = run_smk({"transcript", sub, file});
        CHECK(empty.exit_code == 5);
        CHECK(empty.err.find("is empty") != std::string::npos);
    }
}

TEST_CASE("cli: transcript note and exception name people and the CA decides") {
    smk_test::TempDir dir;
    const std::string file = dir / "t.jsonl";
    const std::string plan = dir / "plan.toml";
    smk_test::spit(plan, smk_test::example_plan_text() +
                             "\n[[participants]]\nname = \"Carol\"\nrole = "
                             "\"ceremony-administrator\"\n\n[[participants]]\nname = "
                             "\"Ivan\"\nrole = \"internal-witness\"\n");
    // A mistyped transcript name never starts a new chain.
    const auto nowhere = run_smk({"transcript", "note", file, "--by", "Ivan", "a note"});
    CHECK(nowhere.exit_code == 6);
    CHECK(nowhere.err.find("transcript " + file + " does not exist") != std::string::npos);
    CHECK_FALSE(fs::exists(file));
    {
        smk::transcript::Writer writer(file);
        writer.append({"issue", "start", {}, {}, {}});
    }
    const auto note = run_smk({"transcript", "note", file, "--by", "Ivan", "--plan", plan,
                               "Safe #2 opened; bag TEB-100003 intact"});
    INFO("stderr: " << note.err);
    REQUIRE(note.exit_code == 0);
    const auto v = smk::transcript::verify_file(file);
    CHECK(note.out.find("ends at line 2") != std::string::npos);
    CHECK(note.out.find("  " + v.last_hash + "\n") != std::string::npos);  // for the paper
    auto lines = smk::transcript::read_file(file);
    REQUIRE(lines.size() == 2);
    lines.erase(lines.begin());
    CHECK(lines[0].flow == "note");
    // The first line names the tool: version, commit, and the binary's SHA-256 as
    // coreutils computes it.
    const auto sum = smk_test::run_shell("sha256sum '" + std::string(SMK_BINARY) + "'");
    REQUIRE(sum.shell_status() == 0);
    bool binary_named = false;
    for (const auto& [key, value] : lines[0].digests) {
        binary_named = binary_named || (key == "smk_binary" && value == sum.out.substr(0, 64));
    }
    CHECK(binary_named);
    bool version_named = false;
    for (const auto& [key, value] : lines[0].results) {
        version_named = version_named || (key == "smk_version" && !value.empty());
    }
    CHECK(version_named);

    const auto exception = run_smk(
        {"transcript", "exception", file, "--by", "Ivan", "--what", "holder 4 absent (illness)",
         "--decision", "go on with holders 1-3 and 5-7", "--ca", "Carol", "--plan", plan});
    INFO("stderr: " << exception.err);
    CHECK(exception.exit_code == 0);
    CHECK(smk::transcript::read_file(file).back().step == "exception");
    // Refusals leave the transcript as it was.
    const std::string before = smk_test::slurp(file);
    const auto not_ca = run_smk({"transcript", "exception", file, "--by", "Carol", "--what", "x",
                                 "--decision", "y", "--ca", "Ivan", "--plan", plan});
    CHECK(not_ca.exit_code == 3);
    CHECK(not_ca.err.find("\"Ivan\" is not a ceremony-administrator") != std::string::npos);
    const auto stranger =
        run_smk({"transcript", "note", file, "--by", "Mallory", "--plan", plan, "hello"});
    CHECK(stranger.exit_code == 3);
    CHECK(stranger.err.find("\"Mallory\" is not a participant") != std::string::npos);
    const auto empty = run_smk({"transcript", "exception", file, "--by", "Ivan", "--what", "",
                                "--decision", "y", "--ca", "Carol"});
    CHECK(empty.exit_code == 2);
    CHECK(empty.err.find("--what is empty") != std::string::npos);
    const auto missing = run_smk(
        {"transcript", "exception", file, "--by", "Ivan", "--what", "x", "--decision", "y"});
    CHECK(missing.exit_code == 2);  // --ca is required
    CHECK(smk_test::slurp(file) == before);
}
