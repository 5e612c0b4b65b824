// smk split|combine --format raw, end to end through the real binary.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "run.hpp"

namespace {

using namespace smk_test;

std::string pseudo_random_bytes(std::size_t size) {
    std::mt19937 gen(12345);
    std::string bytes(size, '\0');
    for (auto& b : bytes) {
        b = static_cast<char>(gen() & 0xFFU);
    }
    return bytes;
}

struct RawSplit {
    RawSplit() {
        write_file(secret, content);
        const auto r = run_smk({"split", "--format", "raw", "--group", "3/5", "--secret-file",
                                secret, "--out-dir", out_dir, "--json"});
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j.at("format") == "raw");
        CHECK(j.at("threshold") == 3);
        CHECK(j.at("count") == 5);
        CHECK(j.at("secret_bytes") == content.size());
        for (const auto& file : j.at("files")) {
            files.push_back(file.get<std::string>());
        }
    }
    TempDir tmp;
    std::string content = pseudo_random_bytes(300 * 1024 + 17);
    std::string secret = tmp / "secret.bin";
    std::string out_dir = tmp / "shares";
    std::vector<std::string> files;
};

}  // namespace

TEST_CASE("raw split and combine round trip") {
    RawSplit split;
    REQUIRE(split.files.size() == 5);
    for (const auto& file : split.files) {
        CHECK(fs::exists(file));
        CHECK(file_mode(file) == 0600U);
        CHECK(read_file(file).find(split.content.substr(1000, 64)) == std::string::npos);
    }
    const std::string out = split.tmp / "recovered.bin";
    const auto r = run_smk({"combine", "--format", "raw", "--out", out, split.files[4],
                            split.files[0], split.files[2]});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(read_file(out) == split.content);
    CHECK(file_mode(out) == 0600U);
    CHECK(contains(r.err, split.files[4]));

    const auto again = run_smk({"combine", "--format", "raw", "--out", out, split.files[1],
                                split.files[3], split.files[2]});
    CHECK(again.exit_code == 7);
    CHECK(read_file(out) == split.content);

    const auto two = run_smk({"combine", "--format", "raw", "--out", split.tmp / "two.bin",
                              split.files[1], split.files[3]});
    CHECK(two.exit_code == 4);
    CHECK_FALSE(fs::exists(split.tmp / "two.bin"));

    // A fourth share is not needed but is checked, and the receipt says so.
    const auto four =
        run_smk({"combine", "--format", "raw", "--json", "--out", split.tmp / "four.bin",
                 split.files[1], split.files[3], split.files[2], split.files[0]});
    INFO("stderr: " << four.err);
    REQUIRE(four.exit_code == 0);
    const auto j = nlohmann::json::parse(four.out);
    CHECK(j.at("threshold") == 3);
    CHECK(j.at("count") == 5);
    CHECK(j.at("shares_used").size() == 3);
    CHECK(j.at("shares_checked") == nlohmann::json::array({split.files[0]}));
    CHECK(read_file(split.tmp / "four.bin") == split.content);
}

TEST_CASE("raw combine names a corrupted share and writes nothing") {
    RawSplit split;
    std::string bytes = read_file(split.files[1]);
    REQUIRE(bytes.size() > 200 * 1024);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
    write_file(split.files[1], bytes);
    const std::string out = split.tmp / "recovered.bin";
    const auto r = run_smk({"combine", "--format", "raw", "--out", out, split.files[0],
                            split.files[1], split.files[2]});
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "smk: invalid input: "));
    CHECK(contains(r.err, split.files[1]));
    CHECK_FALSE(fs::exists(out));
    for (const auto& entry : fs::directory_iterator(split.tmp.path())) {
        CHECK_MESSAGE(!contains(entry.path().filename().string(), "recovered"),
                      "left behind: " << entry.path());
    }
}

TEST_CASE("raw split and combine reject options that do not apply (2)") {
    TempDir tmp;
    write_file(tmp / "s.bin", "some secret bytes");
    const std::vector<std::vector<std::string>> cases = {
        {"split", "--format", "raw", "--secret-file", tmp / "s.bin", "--out-dir", tmp / "o"},
        {"split", "--format", "raw", "--group", "3/5", "--group", "2/3", "--secret-file",
         tmp / "s.bin", "--out-dir", tmp / "o"},
        {"split", "--format", "raw", "--group", "1/5", "--secret-file", tmp / "s.bin", "--out-dir",
         tmp / "o"},
        {"split", "--format", "raw", "--group", "3/5", "--out-dir", tmp / "o"},
        {"split", "--format", "raw", "--group", "3/5", "--secret-file", tmp / "s.bin"},
        {"split", "--format", "raw", "--group", "3/5", "--secret-file", tmp / "s.bin", "--out-dir",
         tmp / "o", "--exp", "2"},
        {"combine", "--format", "raw", "--out", "-", tmp / "s.bin"},
        {"combine", "--format", "raw", "--out", tmp / "r.bin"},
        {"combine", "--format", "raw", "--out", tmp / "r.bin", "--expect-kcv", "abcdef",
         tmp / "s.bin"},
        {"split", "--format", "shamir"},
    };
    for (const auto& args : cases) {
        const auto r = run_smk(args);
        INFO(args[0] << " ... " << args.back() << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "smk: usage: "));
    }
    CHECK_FALSE(fs::exists(tmp / "o"));
    CHECK_FALSE(fs::exists(tmp / "r.bin"));
}
