// `smk version`: the binary that runs a ceremony names itself: version, source commit
// and the SHA-256 of the running binary, in hex and PGP words, checked here against
// coreutils' sha256sum of the same file and `smk --version`.

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/run.hpp"
#include "smk/hex.hpp"
#include "smk/pgp_words.hpp"

namespace {

using smk_test::contains;
using smk_test::run_smk;

// sha256sum's hex digest of the smk binary (a tool we did not write).
std::string sha256sum_of_smk() {
    const auto r = smk_test::run_process(smk_test::Command({"sha256sum", SMK_BINARY}));
    REQUIRE(r.shell_status() == 0);
    return r.out.substr(0, 64);
}

// The words of the numbered "  N-M  w w ..." lines after `from` in `text`.
std::vector<std::string_view> block_words(std::string_view text, std::string_view from) {
    std::vector<std::string_view> words;
    for (const auto word : smk::split_words(text.substr(text.find(from) + from.size()))) {
        if (word.front() < '0' || word.front() > '9') {  // not a line number
            words.push_back(word);
        }
    }
    return words;
}

}  // namespace

TEST_CASE("cli: smk version names the running binary by its SHA-256 in hex and PGP words") {
    const auto r = run_smk({"version"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    const std::string hex = sha256sum_of_smk();
    CHECK(contains(r.out, "binary " + std::filesystem::canonical(SMK_BINARY).string() + "\n"));
    CHECK(contains(r.out, "  sha256sum  " + hex + "\n"));
    const auto words = block_words(r.out, "  PGP words\n");
    REQUIRE(words.size() == 32);
    CHECK(smk::to_hex(smk::bytes_of_pgp_words(words)) == hex);

    // The first line is what --version says, without the commit in brackets.
    const auto version = run_smk({"--version"});
    REQUIRE(version.exit_code == 0);
    const std::string first = r.out.substr(0, r.out.find('\n'));
    CHECK(version.out.rfind(first + " (commit ", 0) == 0);
    const std::string commit_line = "source commit ";
    const auto at = r.out.find(commit_line);
    REQUIRE(at != std::string::npos);
    const std::string commit = r.out.substr(at + commit_line.size(), 40);
    CHECK(contains(version.out, "(commit " + commit));

    const auto json = run_smk({"version", "--json"});
    REQUIRE(json.exit_code == 0);
    const auto doc = nlohmann::json::parse(json.out);
    CHECK(doc.at("sha256") == hex);
    CHECK(doc.at("commit").get<std::string>().rfind(commit, 0) == 0);
    CHECK(doc.at("pgp_words") == smk::pgp_words(smk::bytes_of_pgp_words(words)));
}
