// smk split, end to end through the real binary.

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "fixtures.hpp"
#include "run.hpp"
#include "slip39_tools.hpp"

namespace {

using namespace smk_test;
using nlohmann::json;

std::size_t word_count(const std::string& mnemonic) {
    return word_indices(mnemonic).size();
}

std::map<std::string, std::string> dir_contents(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        files[entry.path().filename().string()] = read_file(entry.path());
    }
    return files;
}

}  // namespace

TEST_CASE("split with no options: fresh SMK, 2 sets of 5-of-7, 14 files mode 0600") {
    TempDir tmp;
    const std::string out = tmp / "shares";
    const auto r = run_smk({"split", "--out-dir", out});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);

    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, std::regex(R"(identifier\s+(\d+))")));
    const std::string id = m[1];
    CHECK(std::regex_search(r.out, std::regex(R"(KCV\s+[0-9a-f]{6}\n)")));
    CHECK(std::regex_search(r.out, std::regex(R"(fingerprint\s+[0-9a-f]{32}\n)")));
    CHECK(std::regex_search(r.out, std::regex(R"(group threshold\s+1 of 2 sets)")));
    CHECK(std::regex_search(r.out, std::regex(R"(set A\s+5 of 7 shares)")));
    CHECK(std::regex_search(r.out, std::regex(R"(set B\s+5 of 7 shares)")));

    std::set<std::string> expected;
    for (const char* set : {"A", "B"}) {
        for (int n = 1; n <= 7; ++n) {
            expected.insert("smk-" + id + "-set" + set + "-share" + std::to_string(n) + ".txt");
        }
    }
    std::set<std::string> names;
    std::set<std::string> mnemonics;
    for (const auto& entry : fs::directory_iterator(out)) {
        const auto name = entry.path().filename().string();
        names.insert(name);
        CHECK_MESSAGE(file_mode(entry.path()) == 0600U, name);
        CHECK_MESSAGE(contains(r.out, entry.path().string()), "receipt lists " << name);
        const std::string text = read_file(entry.path());
        REQUIRE(text.back() == '\n');
        const std::string mnemonic = text.substr(0, text.size() - 1);
        CHECK(std::count(text.begin(), text.end(), '\n') == 1);
        CHECK(word_count(mnemonic) == 33);  // 256-bit secret
        CHECK(rs1024_ok(mnemonic));
        mnemonics.insert(mnemonic);
    }
    CHECK(names == expected);
    CHECK(mnemonics.size() == 14);
    CHECK(file_mode(out) == 0700U);
}

TEST_CASE("split --json with --out-dir: exact schema, files instead of mnemonics") {
    SplitRun split;
    const json& j = split.json;
    std::set<std::string> keys;
    for (const auto& item : j.items()) {
        keys.insert(item.key());
    }
    CHECK(keys ==
          std::set<std::string>{"identifier", "kcv", "fingerprint", "group_threshold", "groups"});
    CHECK(j.at("identifier").is_number_integer());
    CHECK(j.at("identifier").get<int>() >= 0);
    CHECK(j.at("identifier").get<int>() < 32768);
    CHECK(j.at("kcv") == kcv_of(kSecretHex));
    CHECK(j.at("fingerprint") == fingerprint_of(kSecretHex));
    CHECK(j.at("group_threshold") == 1);
    REQUIRE(j.at("groups").size() == 2);
    for (std::size_t g = 0; g < 2; ++g) {
        const auto& group = j["groups"][g];
        CHECK(group.size() == 4);
        CHECK(group.at("set") == std::string(1, static_cast<char>('A' + g)));
        CHECK(group.at("threshold") == 5);
        CHECK(group.at("count") == 7);
        REQUIRE(group.at("shares").size() == 7);
        for (std::size_t m = 0; m < 7; ++m) {
            const auto& share = group["shares"][m];
            CHECK(share.size() == 2);
            CHECK(share.at("index") == m + 1);
            CHECK_FALSE(share.contains("mnemonic"));
            const auto file = share.at("file").get<std::string>();
            CHECK(fs::path(file).filename().string() ==
                  "smk-" + std::to_string(split.identifier()) + "-set" +
                      group["set"].get<std::string>() + "-share" + std::to_string(m + 1) + ".txt");
            CHECK(fs::exists(file));
        }
    }
    // With --json the receipt moves to stderr; it never shows the key.
    CHECK(contains(split.run.err, kcv_of(kSecretHex)));
    CHECK_FALSE(contains(split.run.err, kSecretHex));
    CHECK_FALSE(contains(split.run.out, kSecretHex));
}

TEST_CASE("split --json without --out-dir carries the mnemonics") {
    TempDir tmp;
    write_file(tmp / "key.hex", kSecretHex);
    const auto r = run_smk({"split", "--secret-file", tmp / "key.hex", "--json"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    const json j = json::parse(r.out);
    REQUIRE(j.at("groups").size() == 2);
    std::vector<std::string> set_b;
    for (const auto& share : j["groups"][1]["shares"]) {
        CHECK(share.size() == 2);
        CHECK_FALSE(share.contains("file"));
        set_b.push_back(share.at("mnemonic").get<std::string>());
        CHECK(word_count(set_b.back()) == 33);
    }
    REQUIRE(set_b.size() == 7);
    CHECK(contains(r.err, "KCV"));
    // Those mnemonics recombine to the key.
    const auto c = run_smk({"combine", "--out", "-"},
                           join_lines({set_b[6], set_b[0], set_b[3], set_b[2], set_b[5]}));
    INFO("combine stderr: " << c.err);
    CHECK(c.exit_code == 0);
    CHECK(c.out == kSecretHex + "\n");
}

TEST_CASE("split to a pipe prints one mnemonic per line, a blank line between sets") {
    const auto r = run_smk({"split"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    const auto blocks = r.out.find("\n\n");
    REQUIRE(blocks != std::string::npos);
    const auto set_a = lines_of(r.out.substr(0, blocks));
    const auto set_b = lines_of(r.out.substr(blocks));
    CHECK(set_a.size() == 7);
    CHECK(set_b.size() == 7);
    std::smatch m;
    REQUIRE(std::regex_search(r.err, m, std::regex(R"(KCV\s+([0-9a-f]{6}))")));
    const std::string kcv = m[1];
    CHECK(contains(r.err, "(on stdout)"));
    const auto c = run_smk({"combine", "--out", "-", "--expect-kcv", kcv},
                           join_lines({set_b[1], set_b[2], set_b[3], set_b[4], set_b[5]}));
    INFO("combine stderr: " << c.err);
    CHECK(c.exit_code == 0);
    CHECK(c.out.size() == 65);
}

TEST_CASE("split refuses to print shares on a terminal unless --stdout") {
    const auto r = run_smk_pty({"split"}, {}, true);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "smk: usage: refusing to print shares on a terminal"));
    CHECK(contains(r.err, "--out-dir"));
    CHECK_FALSE(contains(r.tty, "academic"));
    CHECK(r.tty.size() < 10);  // no shares (a share is hundreds of characters)

    const auto forced = run_smk_pty({"split", "--stdout"}, {}, true);
    CHECK(forced.exit_code == 0);
    CHECK(lines_of(forced.tty).size() >= 14);
}

TEST_CASE("split refuses an --out-dir that already holds shares (7) and leaves them intact") {
    SplitRun first;
    const auto before = dir_contents(first.out_dir);
    REQUIRE(before.size() == 14);
    const auto r =
        run_smk({"split", "--secret-file", first.secret_file, "--out-dir", first.out_dir});
    CHECK(r.exit_code == 7);
    CHECK(contains(r.err, "smk: refused: "));
    CHECK(contains(r.err, first.share_file('A', 1)));
    CHECK(contains(r.err, "nothing was written"));
    CHECK(r.out.empty());
    CHECK(dir_contents(first.out_dir) == before);
}

TEST_CASE("split with general parameters: --group-threshold, repeated --group, --exp") {
    SplitRun split({"--group-threshold", "2", "--group", "2/3", "--group", "3/5", "--group", "1/1",
                    "--exp", "0"});
    const json& j = split.json;
    CHECK(j.at("group_threshold") == 2);
    REQUIRE(j.at("groups").size() == 3);
    CHECK(j["groups"][0]["threshold"] == 2);
    CHECK(j["groups"][0]["count"] == 3);
    CHECK(j["groups"][1]["threshold"] == 3);
    CHECK(j["groups"][1]["count"] == 5);
    CHECK(j["groups"][2]["threshold"] == 1);
    CHECK(j["groups"][2]["count"] == 1);
    CHECK(j["groups"][2]["set"] == "C");
    CHECK(std::distance(fs::directory_iterator(split.out_dir), fs::directory_iterator{}) == 9);

    const auto inspect = run_smk({"share", "inspect", "--json", split.share_file('B', 2)});
    REQUIRE(inspect.exit_code == 0);
    const json info = json::parse(inspect.out);
    CHECK(info["iteration_exponent"] == 0);
    CHECK(info["group_threshold"] == 2);
    CHECK(info["group_count"] == 3);

    // One set is not enough; set A (2 shares) and set C (1 share) are.
    const auto one =
        run_smk({"combine", "--out", "-", split.share_file('A', 1), split.share_file('A', 3)});
    CHECK(one.exit_code == 4);
    const auto two = run_smk({"combine", "--out", "-", split.share_file('C', 1),
                              split.share_file('A', 3), split.share_file('A', 2)});
    INFO("stderr: " << two.err);
    CHECK(two.exit_code == 0);
    CHECK(two.out == kSecretHex + "\n");
}

TEST_CASE("split rejects bad parameters with usage errors (2)") {
    TempDir tmp;
    const std::string out = tmp / "shares";
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"--group", "5-7"},
             {"--group", "6/5"},
             {"--group", "1/3"},
             {"--exp", "16"},
             {"--group-threshold", "3"},
             {"--group-threshold", "-1"},
             {"--secret-format", "base64"},
             {"--passphrase-file", "x", "--ask-passphrase"},
         }) {
        std::vector<std::string> full = {"split", "--out-dir", out};
        full.insert(full.end(), args.begin(), args.end());
        const auto r = run_smk(full);
        INFO(args.front() << " " << args.back() << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "smk: usage: "));
        CHECK_FALSE(fs::exists(out));
    }
}

TEST_CASE("split --secret-file: hex and raw keys, and keys that are not an SMK (3)") {
    TempDir tmp;
    std::string raw_key;
    for (std::size_t i = 0; i < kSecretHex.size(); i += 2) {
        raw_key.push_back(static_cast<char>(std::stoi(kSecretHex.substr(i, 2), nullptr, 16)));
    }
    write_file(tmp / "key.bin", raw_key);
    const auto r = run_smk({"split", "--secret-file", tmp / "key.bin", "--secret-format", "raw",
                            "--out-dir", tmp / "shares", "--json"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(json::parse(r.out).at("kcv") == kcv_of(kSecretHex));

    write_file(tmp / "short.hex", kSecretHex.substr(0, 30));
    write_file(tmp / "odd.hex", kSecretHex.substr(0, 40));
    write_file(tmp / "bad.hex", "zz" + kSecretHex.substr(2));
    for (const char* name : {"short.hex", "odd.hex", "bad.hex"}) {
        const auto bad = run_smk({"split", "--secret-file", tmp / name, "--out-dir", tmp / "x"});
        INFO(name << ": " << bad.err);
        CHECK(bad.exit_code == 3);
        CHECK(contains(bad.err, "smk: invalid input: "));
        CHECK(contains(bad.err, name));
        CHECK_FALSE(fs::exists(tmp / "x"));
    }
    const auto missing =
        run_smk({"split", "--secret-file", tmp / "nope.hex", "--out-dir", tmp / "x"});
    CHECK(missing.exit_code == 6);
    CHECK(contains(missing.err, "nope.hex"));
}

TEST_CASE("split --passphrase-file: combine needs the same passphrase") {
    TempDir tmp;
    write_file(tmp / "pass.txt", "correct horse battery staple\n");
    write_file(tmp / "wrong.txt", "correct horse battery stapler\n");
    SplitRun split({"--passphrase-file", tmp / "pass.txt"});
    CHECK(split.json.at("kcv") == kcv_of(kSecretHex));
    CHECK(contains(split.run.err, "passphrase       yes"));
    std::vector<std::string> five;
    for (int n = 1; n <= 5; ++n) {
        five.push_back(split.share_file('A', n));
    }
    auto args = [&](std::vector<std::string> head) {
        head.insert(head.end(), five.begin(), five.end());
        return head;
    };
    const auto right =
        run_smk(args({"combine", "--out", "-", "--passphrase-file", tmp / "pass.txt"}));
    CHECK(right.exit_code == 0);
    CHECK(right.out == kSecretHex + "\n");
    const auto wrong = run_smk(args({"combine", "--out", "-", "--expect-kcv", kcv_of(kSecretHex),
                                     "--passphrase-file", tmp / "wrong.txt"}));
    CHECK(wrong.exit_code == 5);
    CHECK(wrong.out.empty());
    const auto none = run_smk(args({"combine", "--out", "-"}));
    CHECK(none.exit_code == 0);
    CHECK(none.out != kSecretHex + "\n");
}

TEST_CASE("Ctrl-C at the hidden passphrase prompt leaves the terminal echoing") {
    TempDir tmp;
    // \x03 is the terminal's INTR character: the line discipline sends SIGINT.
    const auto r = run_smk_pty({"split", "--ask-passphrase", "--out-dir", tmp / "shares"},
                               {{"passphrase: ", "\x03"}}, false);
    INFO("tty: " << r.tty << "\nstderr: " << r.err);
    CHECK(r.exit_code == 128 + SIGINT);
    CHECK(r.echo_at_exit);
    CHECK_FALSE(fs::exists(tmp / "shares"));
}

TEST_CASE("split --ask-passphrase asks twice on /dev/tty without echo") {
    TempDir tmp;
    const std::string pass = "Tr0ub4dor&3 zebra";
    const auto r = run_smk_pty({"split", "--ask-passphrase", "--out-dir", tmp / "shares"},
                               {{"passphrase: ", pass + "\n"}, {"(again): ", pass + "\n"}}, false);
    INFO("tty: " << r.tty << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.tty, "SLIP-39 passphrase: "));
    CHECK(contains(r.tty, "SLIP-39 passphrase (again): "));
    CHECK_FALSE(contains(r.tty, "zebra"));
    CHECK_FALSE(contains(r.out, "zebra"));
    CHECK_FALSE(contains(r.err, "zebra"));
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, std::regex(R"(KCV\s+([0-9a-f]{6}))")));
    const std::string kcv = m[1];

    write_file(tmp / "pass.txt", pass + "\n");
    std::vector<std::string> args = {"combine",       "--out", tmp / "smk.hex",
                                     "--expect-kcv",  kcv,     "--passphrase-file",
                                     tmp / "pass.txt"};
    for (const auto& entry : fs::directory_iterator(tmp / "shares")) {
        if (contains(entry.path().filename().string(), "setB")) {
            args.push_back(entry.path().string());
        }
    }
    const auto c = run_smk(args);
    INFO("combine: " << c.err);
    CHECK(c.exit_code == 0);

    const auto differ = run_smk_pty({"split", "--ask-passphrase", "--out-dir", tmp / "other"},
                                    {{"passphrase: ", "one\n"}, {"(again): ", "two\n"}}, false);
    CHECK(differ.exit_code == 3);
    CHECK(contains(differ.err, "the two passphrases differ"));
    CHECK_FALSE(fs::exists(tmp / "other"));
}
