// smk share inspect | verify-set, end to end through the real binary.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "run.hpp"
#include "slip39_tools.hpp"

namespace {

using namespace smk_test;
using nlohmann::json;

std::set<std::string> keys_of(const json& j) {
    std::set<std::string> keys;
    for (const auto& item : j.items()) {
        keys.insert(item.key());
    }
    return keys;
}

bool has_field(const std::string& text, const std::string& name, const std::string& value) {
    return std::regex_search(text, std::regex("(^|\n)" + name + " +" + value + "\n"));
}

}  // namespace

TEST_CASE("share inspect shows the public fields of one share") {
    SplitRun split;
    const std::string file = split.share_file('B', 3);
    const auto r = run_smk({"share", "inspect", file});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(has_field(r.out, "identifier", std::to_string(split.identifier())));
    CHECK(has_field(r.out, "extendable", "yes"));
    CHECK(has_field(r.out, "iteration exp\\.", "1"));
    CHECK(has_field(r.out, "set", "B"));
    CHECK(has_field(r.out, "index", "3"));
    CHECK(has_field(r.out, "member threshold", "5"));
    CHECK(has_field(r.out, "group threshold", "1"));
    CHECK(has_field(r.out, "group count", "2"));
    CHECK(has_field(r.out, "value length", "32 bytes"));
    CHECK(has_field(r.out, "checksum", "OK"));
    CHECK_FALSE(contains(r.out, split.mnemonic('B', 3).substr(0, 20)));

    const auto from_stdin = run_smk({"share", "inspect", "--json"}, split.mnemonic('A', 7) + "\n");
    REQUIRE(from_stdin.exit_code == 0);
    const json j = json::parse(from_stdin.out);
    CHECK(keys_of(j) == std::set<std::string>{"identifier", "extendable", "iteration_exponent",
                                              "set", "index", "threshold", "group_threshold",
                                              "group_count", "value_bytes", "checksum_ok"});
    CHECK(j["identifier"] == split.identifier());
    CHECK(j["extendable"] == true);
    CHECK(j["iteration_exponent"] == 1);
    CHECK(j["set"] == "A");
    CHECK(j["index"] == 7);
    CHECK(j["threshold"] == 5);
    CHECK(j["group_threshold"] == 1);
    CHECK(j["group_count"] == 2);
    CHECK(j["value_bytes"] == 32);
    CHECK(j["checksum_ok"] == true);

    const auto dash = run_smk({"share", "inspect", "-", "--json"}, split.mnemonic('A', 2));
    REQUIRE(dash.exit_code == 0);
    CHECK(json::parse(dash.out)["index"] == 2);
}

TEST_CASE("share inspect: a bad share is invalid input (3) and names it") {
    SplitRun split;
    write_file(split.dir / "bad.txt", "\n" + corrupt_word(split.mnemonic('A', 1), 20) + "\n");
    const auto r = run_smk({"share", "inspect", split.dir / "bad.txt"});
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "smk: invalid input: "));
    CHECK(contains(r.err, split.dir / "bad.txt" + " line 2"));
    CHECK(r.out.empty());

    write_file(split.dir / "two.txt",
               split.mnemonic('A', 1) + "\n" + split.mnemonic('A', 2) + "\n");
    const auto two = run_smk({"share", "inspect", split.dir / "two.txt"});
    CHECK(two.exit_code == 3);
    CHECK(contains(two.err, "holds 2 mnemonics"));

    const auto word = run_smk({"share", "inspect"}, "academic acid\n");
    CHECK(word.exit_code == 3);
}

TEST_CASE("share verify-set proves a whole set and shows no secret") {
    SplitRun split;
    const auto files = split.set_files('A');
    std::vector<std::string> args = {"share", "verify-set"};
    args.insert(args.end(), files.begin(), files.end());
    const auto r = run_smk(args);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(std::regex_search(
        r.out, std::regex(R"(identifier\s+)" + std::to_string(split.identifier()) + "\n")));
    CHECK(std::regex_search(r.out, std::regex(R"(set\s+A)")));
    CHECK(std::regex_search(r.out, std::regex(R"(shares given\s+7: numbers 1 2 3 4 5 6 7\n)")));
    CHECK(std::regex_search(
        r.out, std::regex(R"(subsets checked\s+21 \(every 5 of the 7 given\)\n)")));  // C(7,5)
    CHECK(contains(r.out, "every share given lies on one polynomial"));
    CHECK(contains(r.out, "the 7 shares given of set A are consistent"));
    CHECK(contains(r.out, "not checked      whether set A has more shares than these 7"));
    CHECK_FALSE(contains(r.out + r.err, kSecretHex));
    CHECK_FALSE(contains(r.out + r.err, kcv_of(kSecretHex)));

    std::string set_b;
    for (const auto& file : split.set_files('B')) {
        set_b += "\n" + read_file(file);
    }
    const auto j = run_smk({"share", "verify-set", "--json", "-"}, set_b);
    INFO("stderr: " << j.err);
    REQUIRE(j.exit_code == 0);
    const json result = json::parse(j.out);
    CHECK(keys_of(result) == std::set<std::string>{"identifier", "set", "threshold", "shares",
                                                   "subsets_checked", "consistent", "share_numbers",
                                                   "whole"});
    CHECK(result["share_numbers"] == json::array({1, 2, 3, 4, 5, 6, 7}));
    CHECK(result["whole"] == false);
    CHECK(result["identifier"] == split.identifier());
    CHECK(result["set"] == "B");
    CHECK(result["threshold"] == 5);
    CHECK(result["shares"] == 7);
    CHECK(result["subsets_checked"] == 21);
    CHECK(result["consistent"] == true);
}

TEST_CASE("share verify-set given 5 of 7 says what it checked and --count asks for the whole set") {
    SplitRun split;
    auto files = split.set_files('A');
    files.erase(files.begin() + 1);  // shares 2 and 4 left out
    files.erase(files.begin() + 2);
    std::vector<std::string> args = {"share", "verify-set"};
    args.insert(args.end(), files.begin(), files.end());
    const auto five = run_smk(args);
    INFO("stderr: " << five.err);
    REQUIRE(five.exit_code == 0);
    CHECK(contains(five.out, "the 5 shares given of set A are consistent"));
    CHECK_FALSE(contains(five.out, "whole"));
    CHECK(contains(five.out, "numbers 1 3 5 6 7"));
    CHECK(contains(five.out, "subsets checked  1 (every 5 of the 5 given)"));
    CHECK(contains(five.out, "not checked      whether set A has more shares than these 5"));

    std::vector<std::string> fewer = args;
    fewer.insert(fewer.end(), {"--count", "4"});
    const auto more = run_smk(fewer);
    CHECK(more.exit_code == 3);
    CHECK(contains(more.err, "5 distinct shares given (numbers 1 3 5 6 7), more than the 4"));

    args.insert(args.end(), {"--count", "7"});
    const auto counted = run_smk(args);
    CHECK(counted.exit_code == 4);
    CHECK(contains(counted.err,
                   "set A: 5 shares given (numbers 1 3 5 6 7), --count says the set has 7"));

    std::vector<std::string> all = {"share", "verify-set", "--count", "7"};
    const auto every = split.set_files('A');
    all.insert(all.end(), every.begin(), every.end());
    const auto whole = run_smk(all);
    CHECK(whole.exit_code == 0);
    CHECK(contains(whole.out, "set A is whole (all 7 shares, --count 7) and consistent"));
    CHECK_FALSE(contains(whole.out, "not checked"));
}

TEST_CASE("share verify-set names a member that is corrupted or disagrees") {
    SplitRun split;
    auto files = split.set_files('A');

    write_file(split.dir / "liar.txt", tamper_value(split.mnemonic('A', 4)) + "\n");
    files[3] = split.dir / "liar.txt";
    std::vector<std::string> args = {"share", "verify-set"};
    args.insert(args.end(), files.begin(), files.end());
    const auto liar = run_smk(args);
    CHECK(liar.exit_code == 5);
    CHECK(contains(liar.err, "smk: verification failed: "));
    CHECK(contains(liar.err, split.dir / "liar.txt line 1"));
    CHECK_FALSE(contains(liar.out, "every share lies on one polynomial"));

    write_file(split.dir / "typo.txt", corrupt_word(split.mnemonic('A', 4), 5) + "\n");
    args[3 + 2] = split.dir / "typo.txt";
    const auto typo = run_smk(args);
    CHECK(typo.exit_code == 3);
    CHECK(contains(typo.err, split.dir / "typo.txt line 1"));

    // Shares of two sets are not one set.
    const auto mixed =
        run_smk({"share", "verify-set", split.share_file('A', 1), split.share_file('A', 2),
                 split.share_file('A', 3), split.share_file('A', 4), split.share_file('A', 5),
                 split.share_file('B', 6)});
    CHECK(mixed.exit_code != 0);
    CHECK(contains(mixed.err, split.share_file('B', 6)));
}

TEST_CASE("share verify-set --expect-kcv decrypts the set's secret and checks its KCV") {
    TempDir tmp;
    write_file(tmp / "pass.txt", "ceremony 2024\n");
    SplitRun split({"--passphrase-file", tmp / "pass.txt"});
    const auto files = split.set_files('B');
    auto args = [&](std::vector<std::string> head) {
        head.insert(head.end(), files.begin(), files.end());
        return head;
    };
    const std::string kcv = kcv_of(kSecretHex);
    const auto right = run_smk(
        args({"share", "verify-set", "--expect-kcv", kcv, "--passphrase-file", tmp / "pass.txt"}));
    INFO("stderr: " << right.err);
    CHECK(right.exit_code == 0);
    CHECK(contains(right.out, kcv + " (as expected)"));

    const auto json_run = run_smk(args({"share", "verify-set", "--json", "--expect-kcv", kcv,
                                        "--passphrase-file", tmp / "pass.txt"}));
    REQUIRE(json_run.exit_code == 0);
    CHECK(json::parse(json_run.out).at("kcv") == kcv);

    const auto no_pass = run_smk(args({"share", "verify-set", "--expect-kcv", kcv}));
    CHECK(no_pass.exit_code == 5);
    CHECK(contains(no_pass.err, "KCV mismatch"));

    const auto pass_only =
        run_smk(args({"share", "verify-set", "--passphrase-file", tmp / "pass.txt"}));
    CHECK(pass_only.exit_code == 2);

    SplitRun two_sets({"--group-threshold", "2", "--group", "2/3", "--group", "2/3"});
    const auto needs_two =
        run_smk({"share", "verify-set", "--expect-kcv", kcv, two_sets.share_file('A', 1),
                 two_sets.share_file('A', 2), two_sets.share_file('A', 3)});
    CHECK(needs_two.exit_code == 2);
    CHECK(contains(needs_two.err, "group threshold 1"));
}
