// smk combine, end to end through the real binary.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "run.hpp"
#include "slip39_tools.hpp"

namespace {

using namespace smk_test;

}  // namespace

TEST_CASE("combine: any 5 of set A, shuffled, blank lines, extra shares, stdin and files") {
    SplitRun split;
    const std::string hex = kSecretHex + "\n";

    SUBCASE("stdin, shuffled, blank lines and CRLF") {
        const std::string input = "\n" + split.mnemonic('A', 7) + "\r\n\n   \n" +
                                  split.mnemonic('A', 2) + "\n" + split.mnemonic('A', 5) + "\n\n" +
                                  split.mnemonic('A', 1) + "  \n" +
                                  split.mnemonic('A', 4);  // no final newline
        const auto r = run_smk({"combine", "--out", split.dir / "smk.hex"}, input);
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(read_file(split.dir / "smk.hex") == hex);
        CHECK(file_mode(split.dir / "smk.hex") == 0600U);
        CHECK(r.out.empty());
        CHECK(std::regex_search(
            r.err, std::regex(R"(identifier\s+)" + std::to_string(split.identifier()))));
        CHECK(contains(r.err, "set A"));
        CHECK(std::regex_search(r.err, std::regex(R"(shares used\s+5)")));
        CHECK(contains(r.err, "stdin line 2"));
        CHECK(contains(r.err, "stdin line 9"));
        CHECK(contains(r.err, kcv_of(kSecretHex)));
        CHECK(contains(r.err, fingerprint_of(kSecretHex)));
        CHECK_FALSE(contains(r.err, kSecretHex));
    }
    SUBCASE("files in any order") {
        const auto r =
            run_smk({"combine", "--out", "-", split.share_file('A', 6), split.share_file('A', 3),
                     split.share_file('A', 1), split.share_file('A', 7), split.share_file('A', 2)});
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == hex);
        CHECK(contains(r.err, split.share_file('A', 6) + " line 1"));
    }
    SUBCASE("all seven of set A (more than needed), files and '-' for stdin") {
        const std::string more = split.mnemonic('A', 6) + "\n" + split.mnemonic('A', 7) + "\n";
        const auto r = run_smk(
            {"combine", "--out", "-", split.share_file('A', 1), split.share_file('A', 2), "-",
             split.share_file('A', 3), split.share_file('A', 4), split.share_file('A', 5)},
            more);
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == hex);
    }
    SUBCASE("one file holding several shares, and both sets") {
        std::string all;
        for (int n = 1; n <= 7; ++n) {
            all += split.mnemonic('B', n) + "\n" + split.mnemonic('A', n) + "\n";
        }
        write_file(split.dir / "all.txt", all);
        const auto r = run_smk({"combine", "--out", "-", split.dir / "all.txt"});
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == hex);
    }
}

TEST_CASE("combine --expect-kcv: right gives 0, wrong gives 5 and writes nothing") {
    SplitRun split;
    std::vector<std::string> files = split.set_files('B');
    files.resize(5);
    auto args = [&](std::vector<std::string> head) {
        head.insert(head.end(), files.begin(), files.end());
        return head;
    };
    const std::string kcv = kcv_of(kSecretHex);
    std::string upper = kcv;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    const auto right =
        run_smk(args({"combine", "--expect-kcv", upper, "--out", split.dir / "ok.hex"}));
    INFO("stderr: " << right.err);
    CHECK(right.exit_code == 0);
    CHECK(contains(right.err, kcv + " (as expected)"));
    CHECK(read_file(split.dir / "ok.hex") == kSecretHex + "\n");

    const std::string wrong_kcv = (kcv == "000000") ? "000001" : "000000";
    const auto wrong =
        run_smk(args({"combine", "--expect-kcv", wrong_kcv, "--out", split.dir / "bad.hex"}));
    CHECK(wrong.exit_code == 5);
    CHECK(contains(wrong.err, "smk: verification failed: KCV mismatch"));
    CHECK(contains(wrong.err, kcv));
    CHECK(contains(wrong.err, wrong_kcv));
    CHECK_FALSE(fs::exists(split.dir / "bad.hex"));

    const auto wrong_stdout = run_smk(args({"combine", "--expect-kcv", wrong_kcv, "--out", "-"}));
    CHECK(wrong_stdout.exit_code == 5);
    CHECK(wrong_stdout.out.empty());

    const auto malformed = run_smk(args({"combine", "--expect-kcv", "12345g", "--out", "-"}));
    CHECK(malformed.exit_code == 2);
}

TEST_CASE("combine --out: never overwrites (7), required (2), raw bytes, --json receipt") {
    SplitRun split;
    std::vector<std::string> five = split.set_files('A');
    five.resize(5);
    auto args = [&](std::vector<std::string> head) {
        head.insert(head.end(), five.begin(), five.end());
        return head;
    };
    write_file(split.dir / "existing", "keep me\n");
    const auto exists = run_smk(args({"combine", "--out", split.dir / "existing"}));
    CHECK(exists.exit_code == 7);
    CHECK(contains(exists.err, "smk: refused: "));
    CHECK(contains(exists.err, split.dir / "existing"));
    CHECK(read_file(split.dir / "existing") == "keep me\n");

    const auto missing = run_smk(args({"combine"}));
    CHECK(missing.exit_code == 2);
    CHECK(contains(missing.err, "smk: usage: "));
    CHECK(contains(missing.err, "--out FILE"));
    CHECK(contains(missing.err, "--out -"));
    CHECK(missing.out.empty());

    const auto raw =
        run_smk(args({"combine", "--secret-format", "raw", "--out", split.dir / "smk.bin"}));
    REQUIRE(raw.exit_code == 0);
    const std::string bytes = read_file(split.dir / "smk.bin");
    REQUIRE(bytes.size() == 32);
    CHECK(static_cast<unsigned char>(bytes[0]) == 0x8d);
    CHECK(static_cast<unsigned char>(bytes[31]) == 0xab);
    CHECK(file_mode(split.dir / "smk.bin") == 0600U);

    const auto j = run_smk(args({"combine", "--json", "--out", split.dir / "j.hex"}));
    REQUIRE(j.exit_code == 0);
    const auto receipt = nlohmann::json::parse(j.out);
    CHECK(receipt.at("identifier") == split.identifier());
    CHECK(receipt.at("sets_used") == nlohmann::json::array({"A"}));
    CHECK(receipt.at("shares_used").size() == 5);
    CHECK(receipt.at("kcv") == kcv_of(kSecretHex));
    CHECK(receipt.at("fingerprint") == fingerprint_of(kSecretHex));
    CHECK_FALSE(contains(j.out, kSecretHex));

    CHECK(run_smk(args({"combine", "--json", "--out", "-"})).exit_code == 2);
    CHECK(run_smk(args({"combine", "--secret-format", "raw", "--out", "-"})).exit_code == 2);
}

TEST_CASE("combine: a corrupted word is invalid input (3) naming FILE line N") {
    SplitRun split;
    const std::string bad = split.mnemonic('A', 3);
    write_file(split.dir / "typed.txt", split.mnemonic('A', 1) + "\n\n" + corrupt_word(bad, 10) +
                                            "\n" + split.mnemonic('A', 2) + "\n");
    const auto r =
        run_smk({"combine", "--out", "-", split.dir / "typed.txt", split.share_file('A', 4),
                 split.share_file('A', 5), split.share_file('A', 6)});
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "smk: invalid input: "));
    CHECK(contains(r.err, split.dir / "typed.txt" + " line 3"));
    CHECK(r.out.empty());
    CHECK_FALSE(contains(r.err, bad.substr(0, 20)));  // the share's words are not quoted
}

TEST_CASE("combine: a share from another split is invalid input (3)") {
    SplitRun split;
    SplitRun other({}, kOtherSecretHex);
    const auto r =
        run_smk({"combine", "--out", "-", split.share_file('A', 1), split.share_file('A', 2),
                 other.share_file('A', 3), split.share_file('A', 4), split.share_file('A', 5)});
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "smk: invalid input: "));
    CHECK(contains(r.err, other.share_file('A', 3)));
    CHECK(r.out.empty());
}

TEST_CASE("combine: four shares are not enough (4)") {
    SplitRun split;
    const auto r =
        run_smk({"combine", "--out", split.dir / "smk.hex", split.share_file('A', 1),
                 split.share_file('A', 2), split.share_file('A', 3), split.share_file('A', 4)});
    CHECK(r.exit_code == 4);
    CHECK(contains(r.err, "smk: cannot recover: not enough shares: "));
    CHECK(contains(r.err, "set A: 4 of 5 needed"));
    CHECK_FALSE(fs::exists(split.dir / "smk.hex"));

    const auto empty = run_smk({"combine", "--out", "-"}, "\n\n");
    CHECK(empty.exit_code == 4);
}

TEST_CASE("combine: an extra share that disagrees fails verification (5), named") {
    SplitRun split;
    const std::string liar = tamper_value(split.mnemonic('A', 6));
    write_file(split.dir / "liar.txt", "\n" + liar + "\n");
    const auto r =
        run_smk({"combine", "--out", split.dir / "smk.hex", split.share_file('A', 1),
                 split.share_file('A', 2), split.share_file('A', 3), split.dir / "liar.txt",
                 split.share_file('A', 4), split.share_file('A', 5)});
    CHECK(r.exit_code == 5);
    CHECK(contains(r.err, "smk: verification failed: "));
    CHECK(contains(r.err, split.dir / "liar.txt" + " line 2"));
    CHECK_FALSE(fs::exists(split.dir / "smk.hex"));
}

TEST_CASE(
    "combine: an incomplete set of another split with the same identifier is named unchecked") {
    SplitRun split;
    SplitRun other({}, kOtherSecretHex);
    std::string input;
    for (int n = 1; n <= 5; ++n) {
        input += split.mnemonic('A', n) + "\n";
    }
    for (int n = 1; n <= 4; ++n) {
        input +=
            with_identifier(other.mnemonic('B', n), static_cast<unsigned>(split.identifier())) +
            "\n";
    }
    write_file(split.dir / "mixed.txt", input);
    const auto r = run_smk({"combine", "--out", "-", split.dir / "mixed.txt"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == kSecretHex + "\n");
    CHECK(std::regex_search(r.err, std::regex(R"(shares used\s+5)")));
    CHECK(contains(r.err,
                   "NOT CHECKED      set B: 4 shares given, 5 needed to check them; not used"));
    for (int line = 6; line <= 9; ++line) {
        CHECK(contains(r.err, split.dir / "mixed.txt" + " line " + std::to_string(line)));
    }

    const auto j =
        run_smk({"combine", "--json", "--out", split.dir / "smk.hex", split.dir / "mixed.txt"});
    INFO("stderr: " << j.err);
    REQUIRE(j.exit_code == 0);
    const auto receipt = nlohmann::json::parse(j.out);
    CHECK(receipt.at("sets_used") == nlohmann::json::array({"A"}));
    REQUIRE(receipt.at("sets_not_checked").size() == 1);
    const auto& unchecked = receipt.at("sets_not_checked").at(0);
    CHECK(unchecked.at("set") == "B");
    CHECK(unchecked.at("shares_given") == 4);
    CHECK(unchecked.at("needed") == 5);
    CHECK(unchecked.at("shares").size() == 4);
    CHECK(unchecked.at("note") == "set B: 4 shares given, 5 needed to check them; not used");
    CHECK(contains(j.err, "set B: 4 shares given, 5 needed to check them; not used"));
}

TEST_CASE(
    "combine: one share of the other set is named unchecked and none when every set is used") {
    SplitRun split;
    std::vector<std::string> args = {"combine", "--json", "--out", split.dir / "smk.hex"};
    for (int n = 1; n <= 5; ++n) {
        args.push_back(split.share_file('A', n));
    }
    const auto clean = run_smk(args);
    REQUIRE(clean.exit_code == 0);
    CHECK(nlohmann::json::parse(clean.out).at("sets_not_checked").empty());
    CHECK_FALSE(contains(clean.err, "NOT CHECKED"));

    args[3] = split.dir / "smk2.hex";
    args.push_back(split.share_file('B', 3));
    const auto r = run_smk(args);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.err, "set B: 1 share given, 5 needed to check them; not used"));
    CHECK(contains(r.err, split.share_file('B', 3) + " line 1"));
    const auto receipt = nlohmann::json::parse(r.out);
    CHECK(receipt.at("sets_not_checked").at(0).at("shares_given") == 1);
}
