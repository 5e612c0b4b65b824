// The hash-chained transcript (include/smk/ceremony/transcript.hpp): appending, continuing
// an existing file, and verify() naming the first broken line for every way a
// file can be tampered with.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ceremony/ceremony_test_util.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/ceremony/transcript_report.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"

namespace {

using smk_test::TempDir;
namespace tr = smk::transcript;

void write_lines(const std::filesystem::path& file, int count) {
    tr::Writer writer(file);
    for (int i = 0; i < count; ++i) {
        writer.append({"issue",
                       "step-" + std::to_string(i + 1),
                       {{"card", "FFFF:5AC0000" + std::to_string(i)}},
                       {{"result", "ok"}},
                       {{"tree", std::string(64, 'a')}}});
    }
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto end = text.find('\n', pos);
        lines.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return lines;
}

std::string join(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) {
        text += line + "\n";
    }
    return text;
}

}  // namespace

TEST_CASE("transcript: five appended lines verify, each carries the hash of the one before") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 5);
    const auto v = tr::verify_file(file);
    CHECK(v.ok());
    CHECK(v.lines == 5);
    const auto lines = tr::read_file(file);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0].prev == tr::genesis_hash());
    CHECK(lines[2].step == "step-3");
    CHECK(lines[2].items.at(0).second == "FFFF:5AC00002");
    CHECK(lines[4].seq == 5);
    // The genesis value is the SHA-256 of the documented text.
    // (python3 -c "import hashlib; print(hashlib.sha256(b'smk transcript v1').hexdigest())")
    CHECK(tr::genesis_hash() == "91f9e9732d6dd6af1d7cafca70d7c4aed88992c3125cb7eff284fc7e69b6fe26");
}

TEST_CASE("transcript: an existing transcript is continued after its chain is verified") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 2);
    write_lines(file, 3);
    const auto v = tr::verify_file(file);
    CHECK(v.ok());
    CHECK(v.lines == 5);
    CHECK(tr::read_file(file).back().seq == 5);
}

TEST_CASE("transcript: an edited line N fails verify at line N") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 5);
    auto lines = lines_of(smk_test::slurp(file));
    const auto at = lines[2].find("\"ok\"");
    REQUIRE(at != std::string::npos);
    lines[2].replace(at, 4, "\"OK\"");
    smk_test::spit(file, join(lines));
    const auto v = tr::verify_file(file);
    CHECK_FALSE(v.ok());
    CHECK(v.first_broken == 3);
    CHECK(v.reason.find("edited") != std::string::npos);
}

TEST_CASE(
    "transcript: a line rewritten with a fresh own hash still breaks the chain at the next line") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 4);
    auto lines = lines_of(smk_test::slurp(file));
    const auto at = lines[1].find("\"ok\"");
    REQUIRE(at != std::string::npos);
    lines[1].replace(at, 4, "\"no\"");
    // Recompute the line's own hash the way a forger would.
    const auto cut = lines[1].rfind(",\"sha256\":\"");
    const std::string body = lines[1].substr(0, cut);
    lines[1] = body + ",\"sha256\":\"" + smk_test::sha256_hex(body) + "\"}";
    smk_test::spit(file, join(lines));
    const auto v = tr::verify_file(file);
    CHECK(v.first_broken == 3);
    CHECK(v.reason.find("prev") != std::string::npos);
}

TEST_CASE("transcript: an edited prev field fails at that line") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 4);
    auto lines = lines_of(smk_test::slurp(file));
    const auto at = lines[1].find("\"prev\":\"");
    REQUIRE(at != std::string::npos);
    lines[1][at + 8] = lines[1][at + 8] == '0' ? '1' : '0';
    smk_test::spit(file, join(lines));
    const auto v = tr::verify_file(file);
    CHECK(v.first_broken == 2);
}

TEST_CASE("transcript: a deleted line fails verify at its place") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 5);
    auto lines = lines_of(smk_test::slurp(file));
    lines.erase(lines.begin() + 2);
    smk_test::spit(file, join(lines));
    const auto v = tr::verify_file(file);
    CHECK(v.first_broken == 3);
}

TEST_CASE("transcript: a truncated last line fails verify at that line and is not continued") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 3);
    std::string text = smk_test::slurp(file);
    text.resize(text.size() - 10);
    smk_test::spit(file, text);
    const auto v = tr::verify_file(file);
    CHECK(v.first_broken == 3);
    CHECK(v.reason.find("incomplete") != std::string::npos);
    try {
        tr::Writer writer(file);
        FAIL("a broken transcript was opened for appending");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::verification);
        CHECK(std::string(e.what()).find("line 3") != std::string::npos);
    }
}

TEST_CASE("transcript: reordered lines fail verify at the first line out of place") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 5);
    auto lines = lines_of(smk_test::slurp(file));
    std::swap(lines[1], lines[3]);
    smk_test::spit(file, join(lines));
    CHECK(tr::verify_file(file).first_broken == 2);
}

TEST_CASE("transcript: a line that is not JSON, or lacks a field, is broken") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 2);
    smk_test::spit(file, smk_test::slurp(file) + "not json\n");
    CHECK(tr::verify_file(file).first_broken == 3);
    CHECK(tr::verify_file(file).reason.find("sha256") != std::string::npos);
    auto lines = lines_of(smk_test::slurp(file));
    lines.pop_back();
    // A well-sealed line that lacks fields.
    const std::string body = "{\"seq\":1";
    lines[0] = body + ",\"sha256\":\"" + smk_test::sha256_hex(body) + "\"}";
    smk_test::spit(file, join(lines));
    CHECK(tr::verify_file(file).first_broken == 1);
    CHECK(tr::verify_file(file).reason.find("field") != std::string::npos);
}

TEST_CASE("transcript: a second writer on the same file is refused while the first holds it") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    tr::Writer first(file);
    try {
        tr::Writer second{file};
        FAIL("a second writer opened a transcript that is in use");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::refused);
    }
}

TEST_CASE("transcript: an empty file is an intact chain a flow may start but not a record") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    smk_test::spit(file, "");
    const auto v = tr::verify_file(file);
    CHECK(v.ok());
    CHECK(v.lines == 0);
    CHECK(v.last_hash == tr::genesis_hash());
    try {
        tr::require_complete(file, v, std::nullopt);
        FAIL("an empty transcript was accepted as a record");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::verification);
        CHECK(std::string(e.what()).find("is empty") != std::string::npos);
    }
    tr::Writer writer(file);  // a flow may still start it
    writer.append({"issue", "start", {}, {}, {}});
    CHECK(writer.lines() == 1);
}

TEST_CASE("transcript: the paper's last-line value catches lines cut off the end") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 20);
    const auto whole = tr::verify_file(file);
    REQUIRE(whole.line_hashes.size() == 20);
    smk::Sha256 paper{};
    REQUIRE(smk::decode_public_hex(whole.last_hash, paper));
    tr::require_complete(file, whole, paper);  // the value on the paper: passes

    auto lines = lines_of(smk_test::slurp(file));
    lines.resize(8);  // the last 12 lines cut off: the chain alone still holds
    smk_test::spit(file, join(lines));
    const auto cut = tr::verify_file(file);
    REQUIRE(cut.ok());
    tr::require_complete(file, cut, std::nullopt);
    try {
        tr::require_complete(file, cut, paper);
        FAIL("a transcript cut short passed against the paper's value");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::verification);
        const std::string what = e.what();
        CHECK(what.find("line 8) is " + cut.last_hash) != std::string::npos);
        CHECK(what.find("No line of the transcript has that SHA-256") != std::string::npos);
    }
    // A value written down earlier (lines 9..20 appended since) is named as such.
    smk::Sha256 earlier{};
    REQUIRE(smk::decode_public_hex(whole.line_hashes[4], earlier));
    try {
        tr::require_complete(file, cut, earlier);
        FAIL("an earlier line's value passed as the last line's");
    } catch (const smk::Error& e) {
        CHECK(std::string(e.what()).find("SHA-256 of line 5; 3 line(s) follow it") !=
              std::string::npos);
    }
}

TEST_CASE("transcript: the paper-script rendering and the verify reports of a transcript") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_lines(file, 2);
    const auto lines = tr::read_file(file);
    const auto v = tr::verify_file(file);
    const std::string text = tr::render(file, lines, v.last_hash);
    const auto out = lines_of(text);
    REQUIRE(out.size() == 11);
    CHECK(out[0] == "Transcript " + file.string() + " (2 lines, hash chain verified)");
    CHECK(out[1] == "   1  " + lines[0].time + "  issue          step-1");
    CHECK(out[2] == "        items:   card=FFFF:5AC00000");
    CHECK(out[3] == "        results: result=ok");
    CHECK(out[4] == "        digests: tree=" + std::string(64, 'a'));
    CHECK(out[9] == "SHA-256 of the last line (write it on the paper script): " + v.last_hash);
    smk::Sha256 last{};
    REQUIRE(smk::decode_public_hex(v.last_hash, last));
    const std::string words = smk::pgp_words(last);
    CHECK(out[10] == "  PGP words: " + words);
    CHECK(smk::parse_digest_text(words) == last);  // the words read back to the same value

    CHECK(tr::verification_text(file, v) ==
          file.string() + ": OK, 2 lines, chain intact; SHA-256 of the last line: " + v.last_hash +
              "\n  PGP words: " + words + "\n");
    const auto good = nlohmann::json::parse(tr::verification_json(file, v));
    CHECK(good["ok"] == true);
    CHECK(good["lines"] == 2);
    CHECK(good["last_line_sha256"] == v.last_hash);
    CHECK(good["last_line_sha256_pgp_words"] == words);

    tr::Verification broken = v;
    broken.first_broken = 2;
    broken.reason = "prev does not match";
    const auto bad = nlohmann::json::parse(tr::verification_json(file, broken));
    CHECK(bad["ok"] == false);
    CHECK(bad["first_broken_line"] == 2);
    CHECK_FALSE(bad.contains("last_line_sha256"));
    CHECK(tr::broken_chain_message(file, broken) ==
          file.string() +
              ": chain broken at line 2: prev does not match. Lines before 2 are intact; this "
              "line and everything after it cannot be trusted.");
}
