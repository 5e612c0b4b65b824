#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/manifest.hpp"

namespace {

namespace mf = smk::manifest;

const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kAbcUpper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";

std::string error_of(const std::string& text, bool strict) {
    try {
        (void)mf::parse(text, "MANIFEST", strict);
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("parse: text, binary and BSD tag lines") {
    const mf::Parsed p = mf::parse(
        kAbc + "  a b\n" + kAbc + " *bin\nSHA256 (t a g) = " + kAbc + "\nSHA256(x)=" + kAbc + "\n",
        "M", true);
    REQUIRE(p.entries.size() == 4);
    CHECK(p.improper.empty());
    CHECK(p.entries[0].name == "a b");
    CHECK(p.entries[0].format == mf::LineFormat::text);
    CHECK(p.entries[0].line == 1);
    CHECK(p.entries[1].name == "bin");
    CHECK(p.entries[1].format == mf::LineFormat::binary);
    CHECK(p.entries[2].name == "t a g");
    CHECK(p.entries[2].format == mf::LineFormat::tag);
    CHECK(p.entries[3].name == "x");
    for (const mf::Entry& e : p.entries) {
        CHECK(e.digest == smk::sha256_text("abc"));
    }
}

TEST_CASE("parse: upper-case hex, CRLF line ends, no final newline, leading blanks") {
    const mf::Parsed p =
        mf::parse(kAbcUpper + "  f\r\n \t" + kAbc + "  g\r\n" + kAbc + "  h", "M", true);
    REQUIRE(p.entries.size() == 3);
    CHECK(p.entries[0].name == "f");
    CHECK(p.entries[0].digest == smk::sha256_text("abc"));
    CHECK(p.entries[1].name == "g");
    CHECK(p.entries[2].name == "h");
    CHECK(p.entries[2].line == 3);
}

TEST_CASE("parse: names keep their spaces, only a trailing CR is a line end") {
    const mf::Parsed p = mf::parse(kAbc + "   lead\n" + kAbc + "  trail \n", "M", true);
    REQUIRE(p.entries.size() == 2);
    CHECK(p.entries[0].name == " lead");
    CHECK(p.entries[1].name == "trail ");
}

TEST_CASE("parse: escaped names, and backslashes taken literally in lines not marked escaped") {
    const mf::Parsed p = mf::parse("\\" + kAbc + "  a\\\\b\\nc\\rd\n" + kAbc + "  x\\y\n" +
                                       "\\SHA256 (p\\\\q) = " + kAbc + "\n",
                                   "M", true);
    REQUIRE(p.entries.size() == 3);
    CHECK(p.entries[0].name == "a\\b\nc\rd");
    CHECK(p.entries[1].name == "x\\y");
    CHECK(p.entries[2].name == "p\\q");
    CHECK(error_of("\\" + kAbc + "  a\\xb\n", true).find("bad escape") != std::string::npos);
    CHECK(error_of("\\" + kAbc + "  ab\\\n", true).find("bad escape") != std::string::npos);
}

TEST_CASE("parse: '#' comments in the first column and empty lines are skipped") {
    const mf::Parsed p = mf::parse("# made by hand\n\n\r\n" + kAbc + "  f\n#\n", "M", true);
    REQUIRE(p.entries.size() == 1);
    CHECK(p.entries[0].line == 4);
}

TEST_CASE("parse: improperly formatted lines are errors with strict, naming the line") {
    const std::string text = "# comment\n" + kAbc + "  ok1\n" + kAbc + "  ok2\n\n" + kAbc +
                             "  ok3\n" + kAbc + "  ok4\nthis is not a checksum line\n" + kAbc +
                             "  ok5\n";
    CHECK(error_of(text, true) ==
          "MANIFEST line 7: not a sha256sum line (expected 64 hex digits, two spaces or ' *', "
          "a name)");
    // Without strict the same line is reported and skipped.
    const mf::Parsed p = mf::parse(text, "MANIFEST", false);
    CHECK(p.entries.size() == 5);
    REQUIRE(p.improper.size() == 1);
    CHECK(p.improper[0].line == 7);
}

TEST_CASE("parse: what sha256sum 9.1 does not accept either") {
    // Each of these was fed to `sha256sum -c`: "improperly formatted".
    CHECK(error_of(" #indented comment\n", true).find("line 1") != std::string::npos);
    CHECK(error_of("   \n", true).find("line 1: not a sha256sum line") != std::string::npos);
    CHECK(error_of(kAbc + "00  f\n", true).find("line 1") != std::string::npos);
    CHECK(error_of(kAbc.substr(0, 62) + "  f\n", true).find("line 1") != std::string::npos);
    CHECK(error_of(kAbc + "*f\n", true).find("line 1") != std::string::npos);
    CHECK(error_of("g" + kAbc.substr(1) + "  f\n", true).find("line 1") != std::string::npos);
    CHECK(error_of("SHA256 (f) = " + kAbc + "00\n", true).find("64 hex digits") !=
          std::string::npos);
    CHECK(error_of("SHA256  (f) = " + kAbc + "\n", true).find("line 1") != std::string::npos);
    CHECK(error_of("SHA256 (f) " + kAbc + "\n", true).find("'='") != std::string::npos);
}

TEST_CASE("parse: stricter than sha256sum where it would open a name no file can have") {
    // sha256sum tries to open "" and a name cut at the NUL; both are refused here.
    CHECK(error_of("SHA256 () = " + kAbc + "\n", true).find("empty") != std::string::npos);
    CHECK(error_of(kAbc + "  a" + std::string(1, '\0') + "b\n", true).find("NUL") !=
          std::string::npos);
}

TEST_CASE("parse: a tag line of another algorithm is named as such") {
    CHECK(error_of("MD5 (f) = 900150983cd24fb0d6963f7d28e17f72\n", true).find("'MD5'") !=
          std::string::npos);
    CHECK(error_of("SHA2-256(f)= " + kAbc + "\n", true).find("'SHA2-256'") != std::string::npos);
}

TEST_CASE("parse: one space (BSD 'sha256 -r') is accepted, but never mixed with two") {
    const mf::Parsed p = mf::parse(kAbc + " f\n" + kAbc + "  g\n", "M", false);
    REQUIRE(p.entries.size() == 2);
    CHECK(p.entries[0].format == mf::LineFormat::bsd_reversed);
    CHECK(p.entries[0].name == "f");
    CHECK(p.entries[1].name == " g");  // in a reversed manifest the space is the name's
    CHECK(error_of(kAbc + "  g\n" + kAbc + " f\n", true).find("line 2: one space") !=
          std::string::npos);
}

TEST_CASE("parse: no properly formatted line at all is an error even without strict") {
    CHECK(error_of("", false) ==
          "MANIFEST: no properly formatted sha256sum lines (the manifest "
          "is empty)");
    CHECK(error_of("# only a comment\n\n", false).find("empty") != std::string::npos);
    CHECK(error_of("junk\n", false) ==
          "MANIFEST: no properly formatted sha256sum lines; line 1: not a sha256sum line "
          "(expected 64 hex digits, two spaces or ' *', a name)");
}

TEST_CASE("format_line writes sha256sum's text format and escapes as coreutils 9.1 does") {
    const smk::Sha256 d = smk::sha256_text("abc");
    CHECK(mf::format_line("plain name", d) == kAbc + "  plain name\n");
    CHECK(mf::format_line("b\\c", d) == "\\" + kAbc + "  b\\\\c\n");
    CHECK(mf::format_line("n\nl", d) == "\\" + kAbc + "  n\\nl\n");
    CHECK(mf::format_line("c\rr", d) == "\\" + kAbc + "  c\\rr\n");
    // Round trip through the parser.
    const std::string name = "all\\three\nof\rthem";
    const mf::Parsed p = mf::parse(mf::format_line(name, d), "M", true);
    REQUIRE(p.entries.size() == 1);
    CHECK(p.entries[0].name == name);
}

TEST_CASE("parse: '# symlink NAME -> TARGET' lines are links, other '#' lines comments") {
    const mf::Parsed p = mf::parse(kAbc + "  f\n# symlink cur rent -> keys/k 1.bin\r\n" +
                                       "# symlinks below are checked\n#symlink x -> y\n" +
                                       "# symlink a\\\\b\\n\\r\\> -> \\>\\\\t\n",
                                   "M", true);
    REQUIRE(p.entries.size() == 1);
    REQUIRE(p.links.size() == 2);
    CHECK(p.links[0].name == "cur rent");
    CHECK(p.links[0].target == "keys/k 1.bin");  // the CR of a CRLF line is not the target's
    CHECK(p.links[0].line == 2);
    CHECK(p.links[1].name == "a\\b\n\r>");
    CHECK(p.links[1].target == ">\\t");
    CHECK(p.links[1].line == 5);
}

TEST_CASE("parse: a malformed link line is an error naming the line with strict") {
    const std::string file = kAbc + "  f\n";
    CHECK(error_of(file + "# symlink a => b\n", true) ==
          "MANIFEST line 2: a '# symlink' line without ' -> ' (expected '# symlink NAME -> "
          "TARGET')");
    CHECK(error_of(file + "# symlink a\\x -> b\n", true) ==
          "MANIFEST line 2: bad escape in a '# symlink' line (only \\\\, \\n, \\r and \\> exist)");
    CHECK(error_of(file + "# symlink a -> b\\\n", true).find("line 2: bad escape") !=
          std::string::npos);
    CHECK(error_of(file + "# symlink  -> b\n", true) ==
          "MANIFEST line 2: the link's name is empty");
    CHECK(error_of(file + "# symlink a -> \n", true) ==
          "MANIFEST line 2: the link's target is empty");
    CHECK(error_of(file + "# symlink a -> b" + std::string(1, '\0') + "c\n", true)
              .find("line 2: the line holds a NUL byte") != std::string::npos);
    // Without strict the line is reported and skipped, as sha256sum -c skips it.
    const mf::Parsed p = mf::parse(file + "# symlink no arrow\n", "M", false);
    CHECK(p.links.empty());
    REQUIRE(p.improper.size() == 1);
    CHECK(p.improper[0].line == 2);
    // Link lines alone are no manifest: sha256sum -c would find no checksum line.
    CHECK(error_of("# symlink a -> b\n", false).find("no properly formatted sha256sum lines") !=
          std::string::npos);
}

TEST_CASE("format_link_line escapes name and target so that the first ' -> ' splits them") {
    CHECK(mf::format_link_line("cur", "keys/k.bin") == "# symlink cur -> keys/k.bin\n");
    CHECK(mf::format_link_line("a -> b", "c\\d\ne") == "# symlink a -\\> b -> c\\\\d\\ne\n");
    for (const auto& [name, target] : std::vector<std::pair<std::string, std::string>>{
             {"a -> b", "c -> d"}, {"->", "->"}, {"x\\", "\\"}, {"\r\n", ">"}, {" ", " -> "}}) {
        CAPTURE(name);
        const mf::Parsed p =
            mf::parse(kAbc + "  f\n" + mf::format_link_line(name, target), "M", true);
        REQUIRE(p.links.size() == 1);
        CHECK(p.links[0].name == name);
        CHECK(p.links[0].target == target);
    }
}
