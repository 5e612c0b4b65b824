// `smk transcript print FILE --out OUT` (include/smk/ceremony/transcript_print.hpp):
// the printed record as text and as a PDF read back by poppler's pdftotext, the
// SHA-256 smk prints of it against coreutils' sha256sum, every refusal with
// nothing written; and the jq + sha256sum chain check of docs/CEREMONY.md, run
// as the page prints it.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ceremony/ceremony_test_util.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/ceremony/transcript_print.hpp"
#include "smk/digest.hpp"
#include "smk/hex.hpp"

namespace {

namespace fs = std::filesystem;
namespace tr = smk::transcript;
using smk_test::run_smk;
using smk_test::TempDir;

// A digest of line N's step, as a flow would record it.
std::string tree_digest(int n) {
    return smk_test::sha256_hex("tree " + std::to_string(n));
}

// `count` lines, each with items, results and one digest.
void write_transcript(const fs::path& file, int count) {
    tr::Writer writer(file);
    for (int i = 1; i <= count; ++i) {
        writer.append({"backup-copies",
                       "drive-verified-" + std::to_string(i),
                       {{"drive", "/media/DRIVE" + std::to_string(i)}, {"serial", "001CC0EC34BE"}},
                       {{"files", std::to_string(i * 3)}, {"result", "ok"}},
                       {{"tree", tree_digest(i)}}});
    }
}

smk::Sha256 digest_of(const std::string& hex) {
    smk::Sha256 digest{};
    REQUIRE(smk::decode_public_hex(hex, digest));
    return digest;
}

// Runs of white space as one space: how a reader sees words a layout put on rows.
std::string one_space(const std::string& text) {
    std::string out;
    for (const char c : text) {
        const bool space = c == ' ' || c == '\n' || c == '\f' || c == '\t';
        if (!space) {
            out += c;
        } else if (!out.empty() && out.back() != ' ') {
            out += ' ';
        }
    }
    return out;
}

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

std::string sha256sum_of(const fs::path& file) {
    const auto r = smk_test::run_process(smk_test::Command({"sha256sum", file.string()}));
    REQUIRE(r.code == 0);
    return r.out.substr(0, 64);
}

// The script between the chain-check markers of docs/CEREMONY.md, fences removed.
std::string chain_check_script() {
    const std::string doc = smk_test::slurp(fs::path(SMK_SOURCE_DIR) / "docs/CEREMONY.md");
    const auto begin = doc.find("<!-- chain-check: begin -->");
    const auto end = doc.find("<!-- chain-check: end -->");
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    std::string script;
    std::size_t pos = doc.find('\n', begin) + 1;
    while (pos < end) {
        const auto eol = doc.find('\n', pos);
        const std::string row = doc.substr(pos, eol - pos);
        if (row.rfind("```", 0) != 0) {
            script += row + "\n";
        }
        pos = eol + 1;
    }
    return script;
}

}  // namespace

TEST_CASE("transcript print: --out writes a text record with each digest in three forms") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_transcript(file, 3);
    const auto v = tr::verify_file(file);
    const auto out = dir / "record.txt";
    const auto r = run_smk({"transcript", "print", file, "--out", out});
    REQUIRE(r.exit_code == 0);
    const std::string text = smk_test::slurp(out);
    for (int i = 1; i <= 3; ++i) {
        const auto digest = digest_of(tree_digest(i));
        CHECK(has(text, "step: drive-verified-" + std::to_string(i)));
        CHECK(has(text, "Line " + std::to_string(i) + " of 3"));
        CHECK(has(text, "hex    " + smk::digest_hex(digest)));
        CHECK(has(text, "colon  " + smk::digest_colon_hex(digest)));
        CHECK(has(one_space(text), smk::pgp_words(digest)));
        CHECK(has(text, "drive=/media/DRIVE" + std::to_string(i) + ", serial=001CC0EC34BE"));
        CHECK(has(text, "files=" + std::to_string(i * 3) + ", result=ok"));
    }
    // The last line's SHA-256 in three forms, the initials fields, page marks.
    const auto last = digest_of(v.last_hash);
    CHECK(has(text, "colon  " + smk::digest_colon_hex(last)));
    CHECK(has(one_space(text), smk::pgp_words(last)));
    CHECK(has(text, "Initials:  administrator __________   witness __________"));
    CHECK(has(text, "page 1 of 1"));
    CHECK(has(text, "SHA-256 of the last line (line 3): " + v.last_hash));
    CHECK(has(text, "smk transcript record: " + file.string()));
    CHECK(fs::status(out).permissions() == (fs::perms::owner_read | fs::perms::owner_write |
                                            fs::perms::group_read | fs::perms::others_read));

    // What smk prints for the paper script is coreutils' SHA-256 of the file.
    const std::string hex = sha256sum_of(out);
    const auto written = digest_of(hex);
    CHECK(has(r.out, "wrote " + out.string() + " (text, 1 page)"));
    CHECK(has(r.out, "  SHA-256    " + hex + "\n"));
    CHECK(has(r.out, "  colon      " + smk::digest_colon_hex(written) + "\n"));
    CHECK(has(r.out, "  PGP words  " + smk::pgp_words(written) + "\n"));

    // The same transcript, the same record, byte for byte.
    const auto again = dir / "again.txt";
    REQUIRE(run_smk({"transcript", "print", file, "--out", again}).exit_code == 0);
    CHECK(smk_test::slurp(again) == text);
}

TEST_CASE("transcript print: the PDF record opens in pdftotext with every step and the words") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_transcript(file, 12);  // more than one page
    const auto v = tr::verify_file(file);
    const auto pdf = dir / "record.PDF";  // the suffix in any case
    const auto txt = dir / "record.txt";
    const auto r = run_smk({"transcript", "print", file, "--out", pdf, "--out", txt});
    REQUIRE(r.exit_code == 0);
    CHECK(smk_test::slurp(pdf).rfind("%PDF-", 0) == 0);

    const auto shown =
        smk_test::run_process(smk_test::Command({"pdftotext", "-layout", pdf.string(), "-"}));
    REQUIRE(shown.code == 0);
    const std::string text = one_space(shown.out);
    for (int i = 1; i <= 12; ++i) {
        CHECK(has(text, "step: drive-verified-" + std::to_string(i) + " "));
        CHECK(has(text, smk::pgp_words(digest_of(tree_digest(i)))));
    }
    CHECK(has(text, smk::pgp_words(digest_of(v.last_hash))));
    const auto pages = tr::record_pages(file, tr::read_file(file), v);
    REQUIRE(pages.size() > 1);
    CHECK(has(text, "page 2 of " + std::to_string(pages.size())));
    CHECK(has(text, "Initials: administrator __________ witness __________"));
    // The font the layout is measured for is the one embedded.
    const auto fonts = smk_test::run_process(smk_test::Command({"pdffonts", pdf.string()}));
    REQUIRE(fonts.code == 0);
    CHECK(has(fonts.out, "DejaVuSansMono"));
    // The text file holds the same pages.
    CHECK(smk_test::slurp(txt) == tr::record_text(pages));

    // Both files' SHA-256 as sha256sum computes them, and a second run gives the
    // same PDF bytes (no time of printing in it).
    CHECK(has(r.out, "wrote " + pdf.string() + " (PDF, " + std::to_string(pages.size()) +
                         " pages); for the paper script:\n  SHA-256    " + sha256sum_of(pdf)));
    CHECK(has(r.out, "wrote " + txt.string() + " (text, " + std::to_string(pages.size()) +
                         " pages); for the paper script:\n  SHA-256    " + sha256sum_of(txt)));
    const auto again = dir / "again.pdf";
    REQUIRE(run_smk({"transcript", "print", file, "--out", again}).exit_code == 0);
    CHECK(smk_test::slurp(again) == smk_test::slurp(pdf));
}

TEST_CASE("transcript print: an --out file that exists is refused with exit 7 and kept") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_transcript(file, 2);
    const auto existing = dir / "record.pdf";
    smk_test::spit(existing, "the earlier record\n");
    const auto fresh = dir / "fresh.txt";
    // The existing file is second: the first is not written either.
    const auto r = run_smk({"transcript", "print", file, "--out", fresh, "--out", existing});
    CHECK(r.exit_code == 7);
    CHECK(has(r.err, existing.string() + " already exists"));
    CHECK(smk_test::slurp(existing) == "the earlier record\n");
    CHECK_FALSE(fs::exists(fresh));
    CHECK(r.out.empty());
    // The transcript itself as OUT: the same refusal, the transcript untouched.
    const std::string before = smk_test::slurp(file);
    CHECK(run_smk({"transcript", "print", file, "--out", file}).exit_code == 7);
    CHECK(smk_test::slurp(file) == before);
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 2);
}

TEST_CASE("transcript print: an empty or broken transcript is refused with exit 5 and no file") {
    TempDir dir;
    const auto out = dir / "record.txt";
    const auto pdf = dir / "record.pdf";
    const auto empty = dir / "empty.jsonl";
    smk_test::spit(empty, "");
    const auto e = run_smk({"transcript", "print", empty, "--out", out, "--out", pdf});
    CHECK(e.exit_code == 5);
    CHECK(has(e.err, "transcript " + empty.string() + " is empty"));

    const auto broken = dir / "broken.jsonl";
    write_transcript(broken, 3);
    std::string text = smk_test::slurp(broken);
    text.replace(text.find("/media/DRIVE2"), 13, "/media/DRIVE9");
    smk_test::spit(broken, text);
    const auto b = run_smk({"transcript", "print", broken, "--out", out, "--out", pdf});
    CHECK(b.exit_code == 5);
    CHECK(has(b.err, broken.string() + " is broken at line 2"));

    const auto cut = dir / "cut.jsonl";
    write_transcript(cut, 2);
    text = smk_test::slurp(cut);
    smk_test::spit(cut, text.substr(0, text.size() - 1));  // no newline after the last line
    CHECK(run_smk({"transcript", "print", cut, "--out", out}).exit_code == 5);
    CHECK_FALSE(fs::exists(out));
    CHECK_FALSE(fs::exists(pdf));
}

TEST_CASE("transcript print: the same --out twice is exit 2 and a missing folder exit 6") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_transcript(file, 1);
    const auto out = dir / "record.txt";
    const auto twice = run_smk({"transcript", "print", file, "--out", out, "--out",
                                dir.path().string() + "/./record.txt"});
    CHECK(twice.exit_code == 2);
    CHECK(has(twice.err, "is named twice in --out"));
    CHECK_FALSE(fs::exists(out));

    const auto nowhere = dir / "missing/record.txt";
    const auto r = run_smk({"transcript", "print", file, "--out", out, "--out", nowhere});
    CHECK(r.exit_code == 6);
    CHECK(has(r.err, nowhere.string()));
    CHECK_FALSE(fs::exists(out));  // the first file, written, is removed again
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("transcript print: pages keep their size whatever the values hold") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    {
        tr::Writer writer(file);
        writer.append({"issue",
                       "start",
                       {{"plan", std::string(300, 'p') + " a b\tc\nd"}},
                       {{"note", "caf\xc3\xa9 " + std::string(150, 'x')}},
                       {{"plan", "not a digest"}, {"tree", tree_digest(1)}}});
    }
    const auto v = tr::verify_file(file);
    const auto pages = tr::record_pages(file, tr::read_file(file), v);
    REQUIRE(pages.size() == 1);
    std::string all;
    for (const auto& row : pages[0]) {
        std::size_t chars = 0;
        for (const char c : row) {
            chars += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
            CHECK(static_cast<unsigned char>(c) >= 0x20);  // a control character is shown as ?
        }
        CHECK(chars <= tr::kPageColumns);
        all += row + "\n";
    }
    CHECK(pages[0].size() == tr::kPageRows);
    CHECK(has(all, "a b?c?d"));
    CHECK(has(all, "caf\xc3\xa9"));
    CHECK(has(all, "digest plan = not a digest (not a SHA-256 in hex)"));
    CHECK(has(one_space(all), smk::pgp_words(digest_of(tree_digest(1)))));
}

TEST_CASE("transcript print: the chain check of docs/CEREMONY.md") {
    TempDir dir;
    const auto script = dir / "check-chain.sh";
    smk_test::spit(script, chain_check_script());
    const auto file = dir / "t.jsonl";
    write_transcript(file, 4);
    const auto check = [&](const fs::path& transcript) {
        return smk_test::run_process(
            smk_test::Command({"/bin/sh", script.string(), transcript.string()}));
    };
    const auto ok = check(file);
    CHECK(ok.code == 0);
    CHECK(ok.out ==
          "OK: 4 lines; SHA-256 of the last line: " + tr::verify_file(file).last_hash + "\n");
    const auto smk = run_smk({"transcript", "verify", file});
    CHECK(has(smk.out, tr::verify_file(file).last_hash));

    const std::string text = smk_test::slurp(file);
    std::vector<std::pair<std::string, std::string>> bad;  // name, content
    std::string edited = text;
    edited.replace(edited.find("/media/DRIVE3"), 13, "/media/DRIVE8");
    bad.emplace_back("line 3: own sha256 does not match", edited);
    const auto second = text.find('\n') + 1;
    const auto third = text.find('\n', second) + 1;
    bad.emplace_back("line 2: seq is not 2", text.substr(0, second) + text.substr(third));
    bad.emplace_back("line 4: no newline", text.substr(0, text.size() - 1));
    bad.emplace_back("line 1: empty transcript", "");
    for (const auto& [why, content] : bad) {
        CAPTURE(why);
        const auto wrong = dir / "wrong.jsonl";
        smk_test::spit(wrong, content);
        const auto r = check(wrong);
        CHECK(r.code != 0);
        CHECK(has(r.err, why));
        CHECK(run_smk({"transcript", "verify", wrong}).exit_code == 5);  // smk agrees
    }
}

TEST_CASE("transcript print: a PDF without its monospace font is refused with exit 6") {
    TempDir dir;
    const auto file = dir / "t.jsonl";
    write_transcript(file, 1);
    // fontconfig that sees DejaVu but none of its monospace faces: it would fall back
    // to a proportional font, and the columns would not line up.
    const auto conf = dir / "fonts.conf";
    smk_test::spit(conf,
                   "<?xml version=\"1.0\"?>\n<fontconfig>"
                   "<dir>/usr/share/fonts/truetype/dejavu</dir><selectfont><rejectfont>"
                   "<glob>*Mono*</glob></rejectfont></selectfont><cachedir>" +
                       dir.path().string() + "/cache</cachedir></fontconfig>\n");
    const auto out = dir / "record.pdf";
    auto command = smk_test::smk_command({"transcript", "print", file, "--out", out});
    command.env.push_back("FONTCONFIG_FILE=" + conf.string());
    const auto r = smk_test::run_process(command);
    CHECK(r.code == 6);
    CHECK(has(r.err, "needs the monospace font DejaVu Sans Mono"));
    CHECK_FALSE(fs::exists(out));
}
