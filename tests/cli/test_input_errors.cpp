// Exit codes and texts for inputs that are wrong in the ways a new user gets them
// wrong (issue 11): empty files, hex keys with white space, line breaks or a 0x
// prefix, a media copy source that does not exist. Through the real binary.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fixtures.hpp"
#include "run.hpp"

namespace {

using namespace smk_test;

// `smk split --secret-file FILE` with FILE holding `content`: must fail with exit 3
// naming FILE, saying `why`, and write nothing.
void check_bad_key(const std::string& name, const std::string& content, const std::string& why) {
    TempDir tmp;
    write_file(tmp / name, content);
    const auto r = run_smk({"split", "--secret-file", tmp / name, "--out-dir", tmp / "x"});
    INFO(name << ": " << r.err);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "smk: invalid input: --secret-file " + (tmp / name)));
    CHECK(contains(r.err, why));
    if (!contains(why, "even number")) {  // the message the other cases used to get
        CHECK_FALSE(contains(r.err, "expected an even number"));
    }
    CHECK_FALSE(fs::exists(tmp / "x"));
}

}  // namespace

TEST_CASE("share inspect: an empty file is invalid input (3) saying it is empty") {
    TempDir tmp;
    write_file(tmp / "empty.txt", "");
    const auto r = run_smk({"share", "inspect", tmp / "empty.txt"});
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "smk: invalid input: " + (tmp / "empty.txt") + " is empty"));
    CHECK(contains(r.err, "one mnemonic per line"));
    CHECK_FALSE(contains(r.err, "cannot recover"));
    CHECK(r.out.empty());

    write_file(tmp / "blank.txt", "\n  \n\t\n");
    const auto blank = run_smk({"share", "inspect", tmp / "blank.txt"});
    CHECK(blank.exit_code == 3);
    CHECK(contains(blank.err, (tmp / "blank.txt") + " is empty (only blank lines)"));

    const auto from_stdin = run_smk({"share", "inspect"}, "");
    CHECK(from_stdin.exit_code == 3);
    CHECK(contains(from_stdin.err, "smk: invalid input: stdin is empty"));
}

TEST_CASE("card write: an empty share file is invalid input (3) before any card is touched") {
    TempDir tmp;
    write_file(tmp / "empty.txt", "");
    const auto r =
        run_smk({"card", "write", "--reader", "no such reader", tmp / "empty.txt"}, "123456\n");
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "smk: invalid input: " + (tmp / "empty.txt") + " is empty"));
    CHECK_FALSE(contains(r.err, "cannot recover"));
}

TEST_CASE("split --secret-file: an empty key file says it is empty") {
    check_bad_key("empty.hex", "", "empty.hex is empty");
    check_bad_key("spaces.hex", "  \n\n", "spaces.hex holds only white space");
}

TEST_CASE("split --secret-file: hex with spaces or line breaks says how to write one line") {
    std::string spaced;
    for (std::size_t i = 0; i < kSecretHex.size(); i += 2) {
        spaced += (i == 0 ? "" : " ") + kSecretHex.substr(i, 2);
    }
    check_bad_key("spaced.hex", spaced + "\n", "separated by white space");
    check_bad_key("spaced.hex", spaced + "\n", "xxd -p -c 32");
    // `xxd -p` writes 30 bytes per line: a 32-byte key takes two lines.
    const std::string xxd = kSecretHex.substr(0, 60) + "\n" + kSecretHex.substr(60) + "\n";
    check_bad_key("xxd.hex", xxd, "the hex digits are on 2 lines (as `xxd -p` writes them)");
    check_bad_key("xxd.hex", xxd, "xxd -p -c 32");
    // Two lines of an even count each, so the total is even too.
    const std::string even = kSecretHex.substr(0, 32) + "\n" + kSecretHex.substr(32) + "\n";
    check_bad_key("lines.hex", even, "on 2 lines");
}

TEST_CASE("split --secret-file: a 0x prefix says to remove it and the digit rule names A-F") {
    check_bad_key("prefixed.hex", "0x" + kSecretHex + "\n", "remove the 0x prefix");
    check_bad_key("upper-prefixed.hex", "0X" + kSecretHex + "\n", "remove the 0x prefix");
    check_bad_key("bad.hex", kSecretHex.substr(0, 10) + "g" + kSecretHex.substr(11) + "\n",
                  "character 11 is not a hex digit (only 0-9, a-f and A-F are allowed)");
    check_bad_key("odd.hex", kSecretHex.substr(1) + "\n",
                  "expected an even number of hex digits (two per byte), got 63");

    // What was accepted stays accepted: upper case, surrounding white space.
    TempDir tmp;
    std::string upper = kSecretHex;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    write_file(tmp / "upper.hex", " \t" + upper + "\r\n\n");
    const auto ok = run_smk(
        {"split", "--secret-file", tmp / "upper.hex", "--out-dir", tmp / "shares", "--json"});
    INFO(ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(contains(ok.out, kcv_of(kSecretHex)));
}

TEST_CASE("media copy: a source that does not exist is an I/O error (6) naming it") {
    TempDir tmp;
    const auto r = run_smk({"media", "copy", (tmp / "no-such-backup") + "/", tmp / "dst"});
    INFO(r.err);
    CHECK(r.exit_code == 6);
    CHECK(contains(r.err,
                   "smk: I/O error: the source " + (tmp / "no-such-backup") + "/ does not exist"));
    CHECK(contains(r.err, "Check the path"));
    CHECK_FALSE(fs::exists(tmp / "dst"));
}
